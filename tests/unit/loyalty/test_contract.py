"""Loyalty's contract: the parts checkout adds to its transaction, and what their refusals mean."""

from __future__ import annotations

from datetime import UTC, datetime

from loyalty import contract
from loyalty.domain.errors import (
    InsufficientPoints,
    NothingToRestore,
    PointsAlreadyRestored,
    PointsAlreadySpent,
)

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
    assert entry["Put"]["Item"]["reason"]["S"] == "spend"
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
    assert isinstance(refusal([part], [FINE, FAILED, FINE, FINE]), PointsAlreadyRestored)
    assert isinstance(refusal([part], [FAILED, FINE, FINE, FINE]), NothingToRestore)


def test_reads_find_the_points_and_the_rules_among_the_callers_items() -> None:
    summary = {**contract.member_key("m-1"), "acct_points": {"N": "42"}}
    assert contract.available_points([summary], "m-1") == 42
    assert contract.available_points([], "m-1") == 0
    assert contract.redemption_rules([]).max_share_bp == 5_000
