"""Rebuild search's projection, and the live index with it, from events: ``python -m search.tools.replay``.

    python -m catalog.tools.published_events | python -m search.tools.replay
    python -m search.tools.replay archived.jsonl

Reads JSON lines, each one EventBridge event (``source``, ``detail-type``, ``detail``) as a rule hands it
to search's queue: the catalog's restatement of its published products (``catalog.tools.published_events``)
or events exported from the bus archive. Each is recorded by the indexer's own code
(``SearchIndexer.record``): ordered by the product version and the stock sequence, so a line older than
what search holds changes nothing, and a replay can run while the indexer keeps consuming the queue. The
touched products' documents are rebuilt every ``--batch`` products. Lines search does not handle are
counted and skipped. For a fresh physical index afterwards, run ``python -m search.tools.reindex``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from typing import TextIO

from search.domain.indexing import SearchIndexer, Stale, handles

DEFAULT_BATCH = 200


def replay(lines: Iterable[str], indexer: SearchIndexer, batch: int = DEFAULT_BATCH) -> dict[str, int]:
    """Records every event line and rebuilds what it touched; returns the counts."""
    counts = {"events": 0, "recorded": 0, "skipped": 0, "refreshed": 0}
    touched: list[Stale] = []

    def flush() -> None:
        counts["refreshed"] += len(indexer.refresh_stale(touched))
        touched.clear()

    for line in lines:
        if not line.strip():
            continue
        event = json.loads(line)
        counts["events"] += 1
        source, detail_type = event.get("source"), event.get("detail-type")
        if not handles(source, detail_type):
            counts["skipped"] += 1
            continue
        stale = indexer.record(source, detail_type, event["detail"]["data"])
        if stale is not None:
            counts["recorded"] += 1
            touched.append(stale)
        if len(touched) >= batch:
            flush()
    flush()
    return counts


def main(argv: list[str] | None = None, stdin: TextIO = sys.stdin) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m search.tools.replay",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", nargs="?", default="-", help="JSON lines of events; - (default) reads stdin")
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH, help="products per index write")
    args = parser.parse_args(argv)
    from search import wiring

    if args.file == "-":
        counts = replay(stdin, wiring.container.indexer(), args.batch)
    else:
        with open(args.file, encoding="utf-8") as lines:
            counts = replay(lines, wiring.container.indexer(), args.batch)
    print(
        f"{counts['events']} events: {counts['recorded']} recorded, {counts['skipped']} not search's; "
        f"{counts['refreshed']} product documents rebuilt",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
