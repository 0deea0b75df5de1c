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

Gift certificates are stored value too. Cart and checkout read one by its code in the reads they make
anyway (``certificate_key``, then ``read_certificate``: None for a voided one, which nothing may spend);
checkout adds ``debit_certificate`` to its order transaction (the balance taken only while it is the one
priced and the certificate is not voided, the debit recorded by order; else ``CertificateBalanceChanged``,
the shopper's 409 ``balance_changed`` on the cart's certificates) and a cancellation ``restore_certificate``
(once, only what the order debited; else ``CertificateLedgerMismatch``). Layout:
``loyalty.adapters.certificate_records``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from loyalty.adapters.certificate_records import balance_from_item
from loyalty.adapters.certificate_records import certificate_key as _certificate_key
from loyalty.adapters.certificate_records import debit_items as _certificate_debit_items
from loyalty.adapters.certificate_records import restore_items as _certificate_restore_items
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
from loyalty.domain.certificates import (
    CertificateBalance,
    CertificateBalanceChanged,
    CertificateLedgerMismatch,
    balance_changed,
)
from loyalty.domain.errors import (
    InsufficientPoints,
    NothingToRestore,
    PointsAlreadyRestored,
    PointsAlreadySpent,
)
from loyalty.domain.ledger import POINTS, Entry, Kind, Reason
from loyalty.domain.orders import OrderLine
from loyalty.domain.redemption import Redemption, redeemable
from loyalty.domain.rules import DEFAULT_RULES, RedemptionRules
from shop_kernel.clock import isoformat
from shop_kernel.dynamo import deserialize
from shop_kernel.money import Money
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
        reason=Reason.ORDER,
        kind=Kind.SPEND,
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
        reason=Reason.CANCELLATION,
        kind=Kind.SPEND,
        deltas={POINTS: points},
        recorded_at=at,
        order_id=order_id,
    )
    summary = balance_update(table, member_id, {POINTS: points})
    return TransactPart((spent, *append_entries(table, entry), summary), _restore_refused)


# --- gift certificates -------------------------------------------------------------------------------

CERTIFICATE_FIELDS = "cart"  # the only caller spends a cart's certificates


def certificate_key(code: str) -> Key:
    """The certificate's key, found by its (normalised) code."""
    return _certificate_key(code)


def read_certificate(code: str, item: dict[str, Any] | None) -> CertificateBalance | None:
    """The certificate among what was read by ``certificate_key(code)``; None when there is none or it
    was voided (nothing may spend it)."""
    if item is None:
        return None
    found = balance_from_item(code, item)
    return None if found.voided else found


def debit_certificate(
    table: str, code: str, amount: Money, expected_balance: Money, order_id: str, at: str
) -> TransactPart:
    """Take ``amount`` from the certificate while its balance is ``expected_balance`` (the one priced)."""
    if amount.amount <= 0:
        raise ValueError("debit a positive amount")
    entries = _certificate_debit_items(table, code, amount, expected_balance, order_id, at)
    return TransactPart(tuple(entries), lambda _: balance_changed(code, prefix=CERTIFICATE_FIELDS))


def restore_certificate(table: str, code: str, amount: Money, order_id: str, at: str) -> TransactPart:
    """Give back what ``order_id`` debited from the certificate: exactly once."""
    entries = _certificate_restore_items(table, code, amount, order_id, at)
    return TransactPart(tuple(entries), lambda _: CertificateLedgerMismatch(code))


__all__ = [
    "CertificateBalance",
    "CertificateBalanceChanged",
    "CertificateLedgerMismatch",
    "InsufficientPoints",
    "NothingToRestore",
    "PointsAlreadyRestored",
    "PointsAlreadySpent",
    "available_points",
    "certificate_key",
    "debit_certificate",
    "debit_points",
    "loyalty_rules_key",
    "member_key",
    "quote",
    "read_certificate",
    "redemption_rules",
    "restore_certificate",
    "restore_points",
]
