"""Restate the published catalog as events, for a read model to rebuild from.

    python -m catalog.tools.published_events > published.jsonl
    python -m catalog.tools.published_events | python -m search.tools.replay

Each line is one EventBridge event (``source``, ``detail-type``, ``time``, ``detail``, as a rule hands it
to a queue): the ``ProductPublished`` (schema 1.0) the catalog's stream would publish had the product
just been published -- its current snapshot and version, the same deterministic event id. Consumers that
order by the product version (search, cart) apply it when they hold an older version or nothing, and
change nothing otherwise, so a restatement never undoes a newer change.

This is the catalog's own answer to "search lost its projection" (a new stage, a lost table, events
older than the bus archive's retention): it reads the catalog's table (run it with the catalog's
credentials, or the local stage's environment); whoever reads the lines never touches that table.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from catalog.domain.events import events_for_change
from shop_kernel.events import DomainEvent


def restatement(states: Iterable[dict[str, Any]]) -> Iterator[DomainEvent]:
    """The ``ProductPublished`` of each published product state (``{status, version, doc, public}``)."""
    for state in states:
        yield from events_for_change(None, state)


def eventbridge_line(event: DomainEvent) -> str:
    """One event as EventBridge delivers it to a rule's target, on one line."""
    envelope = {
        "source": event.source,
        "detail-type": event.detail_type,
        "time": event.metadata.occurred_at,
        "detail": event.detail(),
    }
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":"))


def write_published_events(states: Iterable[dict[str, Any]], out: TextIO) -> int:
    """Writes one line per published product; returns how many."""
    written = 0
    for event in restatement(states):
        out.write(eventbridge_line(event) + "\n")
        written += 1
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m catalog.tools.published_events",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.parse_args(argv)
    from catalog import wiring

    written = write_published_events(wiring.container.repository().published_states(), sys.stdout)
    print(f"{written} published products restated", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
