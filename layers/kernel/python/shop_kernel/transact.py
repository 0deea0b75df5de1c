"""One ``TransactWriteItems`` written by several owners, and what its cancellation means to each of them.

A context that lets another write its items in the caller's transaction (checkout reserving stock,
closing the cart, counting code uses, debiting certificates) publishes a contract module
(``<context>/contract.py``) whose functions return a ``TransactPart``: the entries, in order, and a
function that turns the cancellation reasons of exactly those entries into the owner's domain error.
The caller's adapter joins the parts, sends them, and on ``TransactionCanceledException`` hands each part
its own slice of ``CancellationReasons`` (``refusal``): no one reads a reason by its position among
entries someone else built. Pure data; no SDK.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

CONDITION_FAILED = "ConditionalCheckFailed"
TRANSACTION_CONFLICT = "TransactionConflict"  # another transaction held the item: contention, not a refusal


class WriteContended(Exception):
    """Someone else's write got there first (a condition on a quantity, or DynamoDB's own contention):
    nothing was written, and reading and planning again may well succeed."""


@dataclass(frozen=True)
class Reason:
    """One entry's cancellation reason: its code (``None`` when the entry was fine) and, when the entry
    asked for ``ALL_OLD``, the item as it was."""

    code: str | None = None
    item: dict[str, Any] | None = None

    @property
    def condition_failed(self) -> bool:
        return self.code == CONDITION_FAILED

    @classmethod
    def from_response(cls, reason: dict[str, Any]) -> Reason:
        code = reason.get("Code")
        return cls(code=None if code in (None, "None") else str(code), item=reason.get("Item"))


Explain = Callable[[Sequence[Reason]], Exception | None]


def _nothing(reasons: Sequence[Reason]) -> Exception | None:
    return None


@dataclass(frozen=True)
class TransactPart:
    """Entries one owner contributes to a transaction, and what their failed conditions mean.

    ``explain`` is given the reasons of these entries only (same order) when at least one condition of
    theirs failed, and answers the owner's domain error (None: nothing the owner can name).
    """

    entries: tuple[dict[str, Any], ...]
    explain: Explain = _nothing

    def __len__(self) -> int:
        return len(self.entries)


def refusal(parts: Sequence[TransactPart], reasons: Sequence[Reason]) -> Exception:
    """What a cancelled transaction means: the first part's error that is not mere contention, else the
    first contention error a part named, else ``WriteContended`` (no condition failed, or none named)."""
    errors: list[Exception] = []
    at = 0
    for part in parts:
        mine = list(reasons[at : at + len(part)])
        at += len(part)
        if any(r.condition_failed for r in mine) and (error := part.explain(mine)) is not None:
            errors.append(error)
    final = next((e for e in errors if not isinstance(e, WriteContended)), None)
    return final or (
        errors[0] if errors else WriteContended("another write held an item; nothing was written")
    )


__all__ = ["CONDITION_FAILED", "Reason", "TransactPart", "WriteContended", "refusal"]
