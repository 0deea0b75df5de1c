"""Loyalty's contract: the parts checkout adds to its transaction, and what their refusals mean."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from loyalty import contract
from loyalty.adapters.records import entry_from_item, entry_item
from loyalty.domain.errors import (
    InsufficientPoints,
    NothingToRestore,
    PointsAlreadyRestored,
    PointsAlreadySpent,
)
from loyalty.domain.events import events_for_entry
from loyalty.domain.ledger import Entry
from loyalty.domain.ledger import Reason as Reason_
from loyalty.handlers.responses import entry_view

from shop_kernel.transact import Reason, refusal

AT = datetime(2026, 12, 1, tzinfo=UTC)
FAILED = Reason(code="ConditionalCheckFailed")
FINE = Reason()


def test_a_debit_is_conditioned_on_the_balance_and_on_the_order_not_having_spent() -> None:
    # WHEN checkout asks for the part debiting 300 points for an order
    part = contract.debit_points("t", "m-1", 300, "ord_1", AT)
    guard, entry, summary = part.entries
    # THEN the guard must be new, and the summary keeps the balance covering 300 while taking them
    assert guard["Put"]["ConditionExpression"] == "attribute_not_exists(pk)"
    assert guard["Put"]["Item"]["sk"]["S"] == "I#spend#ord_1"
    # AND the entry reads as the issue names it: reason order, on the spend side, naming the order
    assert entry["Put"]["Item"]["reason"]["S"] == "order"
    assert entry["Put"]["Item"]["kind"]["S"] == "spend"
    assert entry["Put"]["Item"]["order_id"]["S"] == "ord_1"
    update = summary["Update"]
    assert update["ConditionExpression"] == "#avail >= :covers"
    assert update["ExpressionAttributeValues"][":covers"] == {"N": "300"}
    assert update["ExpressionAttributeValues"][":a0"] == {"N": "-300"}


def test_a_debit_refused_by_the_balance_is_insufficient_points_naming_what_is_left() -> None:
    part = contract.debit_points("t", "m-1", 300, "ord_1", AT)
    left = Reason(code="ConditionalCheckFailed", item={"acct_points": {"N": "120"}})
    error = refusal([part], [FINE, FINE, left])
    assert isinstance(error, InsufficientPoints)
    assert error.extra == {"available": 120}


def test_a_second_debit_for_the_order_is_points_already_spent() -> None:
    part = contract.debit_points("t", "m-1", 300, "ord_1", AT)
    assert isinstance(refusal([part], [FAILED, FINE, FINE]), PointsAlreadySpent)


def test_a_restore_happens_once_and_only_for_an_order_that_spent() -> None:
    part = contract.restore_points("t", "m-1", 300, "ord_1", AT)
    check = part.entries[0]["ConditionCheck"]
    assert check["Key"]["sk"]["S"] == "I#spend#ord_1"
    entry = part.entries[2]["Put"]["Item"]
    assert (entry["reason"]["S"], entry["kind"]["S"]) == ("cancellation", "spend")
    assert isinstance(refusal([part], [FINE, FAILED, FINE, FINE]), PointsAlreadyRestored)
    assert isinstance(refusal([part], [FAILED, FINE, FINE, FINE]), NothingToRestore)


def test_reads_find_the_points_and_the_rules_among_the_callers_items() -> None:
    summary = {**contract.member_key("m-1"), "acct_points": {"N": "42"}}
    assert contract.available_points([summary], "m-1") == 42
    assert contract.available_points([], "m-1") == 0
    assert contract.redemption_rules([]).max_share_bp == 5_000


def _stored(reason: str, points: int, kind: str | None = None) -> dict[str, Any]:
    """A ledger entry as stored, optionally without a kind (written before kinds existed)."""
    item = entry_item(
        Entry(
            member_id="m-1",
            idempotency_id=f"x#{reason}",
            reason=Reason_.ORDER,
            deltas={"points": points},
            recorded_at=AT,
            order_id="ord_1",
        )
    )
    item["reason"] = {"S": reason}
    if kind is None:
        del item["kind"]
    else:
        item["kind"] = {"S": kind}
    return item


@pytest.mark.parametrize(
    ("stored", "kind", "points", "reads_as"),
    [
        ("spend", None, -300, ("order", "spend", True, False)),
        ("restore", None, 300, ("cancellation", "spend", False, True)),
        ("order", None, 120, ("order", "earn", False, False)),
        ("order", "spend", -300, ("order", "spend", True, False)),
        ("expiry", None, -50, ("expiry", "earn", False, False)),
    ],
)
def test_entries_written_before_kinds_read_as_the_issues_reasons(
    stored: str, kind: str | None, points: int, reads_as: tuple[str, str, bool, bool]
) -> None:
    # GIVEN a ledger entry stored with an old reason (spend, restore) and no kind, or in the new shape
    # WHEN loyalty reads it back (GET /me/loyalty, the stream)
    entry = entry_from_item(_stored(stored, points, kind))
    # THEN it has the issue's reason and the side of the account it is on
    assert (entry.reason.value, entry.kind.value, entry.is_spending, entry.is_give_back) == reads_as
    assert entry_view(entry)["reason"] == reads_as[0]


def test_a_spend_publishes_points_spent_and_its_give_back_points_earned_old_or_new_shape() -> None:
    for spend_item, restore_item in (
        (_stored("spend", -300), _stored("restore", 300)),
        (_stored("order", -300, "spend"), _stored("cancellation", 300, "spend")),
    ):
        # GIVEN a spend and its give-back as stored (old shape, then new)
        # WHEN the stream turns them into events
        spent = events_for_entry(entry_from_item(spend_item))
        given_back = events_for_entry(entry_from_item(restore_item))
        # THEN the spend is PointsSpent (no PointsEarned), the give-back PointsEarned with reason restore
        assert [(e.detail_type, e.data["points"]) for e in spent] == [("PointsSpent", 300)]
        assert [(e.detail_type, e.data["reason"], e.data["pending"]) for e in given_back] == [
            ("PointsEarned", "restore", False)
        ]
