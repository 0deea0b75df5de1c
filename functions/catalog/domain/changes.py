"""What every command shares: who acts, optimistic-concurrency checks and history entries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from catalog.domain.history import AUDIT_FIELDS, diff
from catalog.domain.ports import HistoryEntry
from shop_kernel.errors import PreconditionFailed, PreconditionRequired


@dataclass(frozen=True)
class Actor:
    """The caller (token subject) and the request's correlation id, recorded with every change."""

    subject: str
    correlation_id: str | None = None


ANY_VERSION: Literal["*"] = "*"
# The version a change was made against: a number from an ETag, ANY_VERSION for ``If-Match: *`` (RFC 9110:
# whatever version is current), or None when the caller named none.
ExpectedVersion = int | Literal["*"] | None


def expect_version(current: int, expected: ExpectedVersion) -> None:
    if expected == ANY_VERSION:
        return
    if expected is None:
        raise PreconditionRequired('send If-Match with the ETag you read, e.g. If-Match: "3"')
    if expected != current:
        raise PreconditionFailed(
            f"the resource is at version {current}, not {expected}: read it again and reapply your change",
            current_version=current,
        )


def history_entry(
    kind: str,
    entity_id: str,
    version: int,
    change: str,
    at: str,
    actor: Actor,
    before: dict[str, Any] | None,
    after: dict[str, Any],
) -> HistoryEntry:
    return HistoryEntry(
        kind=kind,
        entity_id=entity_id,
        version=version,
        change=change,
        at=at,
        by=actor.subject,
        diff=diff(before, after, ignore=AUDIT_FIELDS),
        document=after,
    )
