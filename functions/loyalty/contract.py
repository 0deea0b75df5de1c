"""What loyalty publishes for checkout: points as a tender, debited inside checkout's one transaction.

Checkout reads the member's available points and the redemption rules in the reads it makes anyway
(``member_key``, ``rules_key``; then ``available_points`` and ``redemption_rules`` on what it found), asks
``quote`` how many points the order may take, and adds ``debit_points`` to its order transaction: the
spend entry (once per order: its idempotency guard must be new) and the summary's balance, taken only
while it still covers the points (two checkouts spending the same points: one wins). A cancelled order
gives them back with ``restore_points``, exactly once, and only if the order debited them.

Cancellation reasons become loyalty's domain errors: ``InsufficientPoints`` (the balance no longer covers
the debit), ``PointsAlreadySpent`` (this order debited already), ``PointsAlreadyRestored``,
``NothingToRestore``. The layout is loyalty's (``loyalty.adapters.records``) and may change behind these.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from loyalty.adapters.records import (
    ACCOUNT_PREFIX,
    RULES_SK,
    SUMMARY_SK,
    append_entries,
    balance_update,
    guard_key,
    rules_key,
    summary_key,
)
from loyalty.domain.errors import (
    InsufficientPoints,
    NothingToRestore,
    PointsAlreadyRestored,
    PointsAlreadySpent,
)
from loyalty.domain.ledger import POINTS, Entry, Reason
from loyalty.domain.orders import OrderLine
from loyalty.domain.redemption import Redemption, redeemable
from loyalty.domain.rules import DEFAULT_RULES, RedemptionRules
from shop_kernel.clock import isoformat
from shop_kernel.dynamo import deserialize
from shop_kernel.transact import Reason as Cancellation
from shop_kernel.transact import TransactPart

Key = dict[str, dict[str, str]]


# --- reads, in the caller's own BatchGetItem -------------------------------------------------------


def member_key(member_id: str) -> Key:
    return summary_key(member_id)


def loyalty_rules_key() -> Key:
    return rules_key()


def available_points(items: Sequence[dict[str, Any]], member_id: str) -> int:
    """The member's available points among ``items`` (0 for a member with no summary)."""
    key = summary_key(member_id)
    for item in items:
        if item["pk"] == key["pk"] and item["sk"]["S"] == SUMMARY_SK:
            return int(item.get(ACCOUNT_PREFIX + POINTS, {"N": "0"})["N"])
    return 0


def redemption_rules(items: Sequence[dict[str, Any]]) -> RedemptionRules:
    """The redemption rules among ``items`` (the defaults while merchandisers stored none)."""
    for item in items:
        if item["pk"]["S"] == rules_key()["pk"]["S"] and item["sk"]["S"] == RULES_SK:
            return RedemptionRules.model_validate(deserialize(item)["doc"]["redemption"])
    return DEFAULT_RULES.redemption


def quote(
    lines: Sequence[OrderLine],
    currency: str,
    rules: RedemptionRules,
    available: int,
    wanted: int | None = None,
) -> Redemption:
    """The points the order may take (at most ``wanted``) and what they pay."""
    return redeemable(lines, currency, rules, available, wanted)


# --- writes, as parts of the caller's transaction ----------------------------------------------------


def _spend_refused(reasons: Sequence[Cancellation]) -> Exception:
    guard, _entry, summary = reasons
    if guard.condition_failed:
        return PointsAlreadySpent("this order has debited its points already")
    available = int(deserialize(summary.item).get(ACCOUNT_PREFIX + POINTS, 0)) if summary.item else 0
    return InsufficientPoints(f"{available} points available", available=available)


def debit_points(table: str, member_id: str, points: int, order_id: str, at: datetime) -> TransactPart:
    """Take ``points`` from the member's available balance for ``order_id`` (once), while it covers them."""
    if points <= 0:
        raise ValueError("debit a positive number of points")
    entry = Entry(
        member_id=member_id,
        idempotency_id=f"spend#{order_id}",
        reason=Reason.SPEND,
        deltas={POINTS: -points},
        recorded_at=at,
        order_id=order_id,
    )
    summary = balance_update(
        table, member_id, {POINTS: -points}, doc_sets={"last_activity_at": isoformat(at)}, covers=points
    )
    return TransactPart((*append_entries(table, entry), summary), _spend_refused)


def _restore_refused(reasons: Sequence[Cancellation]) -> Exception:
    _spent, guard, *_ = reasons
    if guard.condition_failed:
        return PointsAlreadyRestored("this order's points were given back already")
    return NothingToRestore("this order debited no points")


def restore_points(table: str, member_id: str, points: int, order_id: str, at: datetime) -> TransactPart:
    """Give back the ``points`` ``order_id`` debited: exactly once, and only if it debited them."""
    if points <= 0:
        raise ValueError("restore a positive number of points")
    spent = {
        "ConditionCheck": {
            "TableName": table,
            "Key": guard_key(member_id, f"spend#{order_id}"),
            "ConditionExpression": "attribute_exists(pk)",
        }
    }
    entry = Entry(
        member_id=member_id,
        idempotency_id=f"restore#{order_id}",
        reason=Reason.RESTORE,
        deltas={POINTS: points},
        recorded_at=at,
        order_id=order_id,
    )
    summary = balance_update(table, member_id, {POINTS: points})
    return TransactPart((spent, *append_entries(table, entry), summary), _restore_refused)


__all__ = [
    "InsufficientPoints",
    "NothingToRestore",
    "PointsAlreadyRestored",
    "PointsAlreadySpent",
    "available_points",
    "debit_points",
    "loyalty_rules_key",
    "member_key",
    "quote",
    "redemption_rules",
    "restore_points",
]
