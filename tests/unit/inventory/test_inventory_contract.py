"""``inventory.contract``: the stock hold another context writes in its transaction, and what a refusal
of those entries means in inventory's terms (never read by position outside inventory)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from inventory import contract
from inventory.domain.allocation import Fulfilment, ReservationLine, plan_reservation
from inventory.domain.models import Location
from inventory.domain.reservations import (
    HoldChanged,
    HoldExists,
    HoldLapsed,
    HoldShort,
    Reservation,
    ReservationStatus,
    ReservedLine,
    StockTaken,
)
from shop_kernel.transact import Reason, TransactPart, WriteContended, refusal
from tests.unit.inventory.conftest import level, location

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FAILED = "ConditionalCheckFailed"


def _hold() -> TransactPart:
    network: dict[str, Location] = {
        "near-dc": location("near-dc", kind="warehouse", priority=1),
        "far-dc": location("far-dc", kind="warehouse", priority=2),
    }
    stock = {"A": {"near-dc": level("A", "near-dc", 3), "far-dc": level("A", "far-dc", 2)}}
    plan = plan_reservation(
        [ReservationLine(sku="A", quantity=5)],
        Fulfilment(mode="delivery"),
        NOW,
        stock=stock,
        locations=network,
    )
    return contract.reserve("inv", plan, "res_1", "ord_1", timedelta(minutes=15))


def _stock_item(sku: str, location_id: str) -> dict[str, dict[str, str]]:
    return {"sku": {"S": sku}, "location_id": {"S": location_id}, "available": {"N": "0"}}


def test_a_hold_takes_each_unit_only_while_available_and_writes_a_new_reservation() -> None:
    # GIVEN 5 of A planned over two warehouses
    # WHEN the hold is built
    part = _hold()
    # THEN one update per stock item, conditioned on available >= :q, then the reservation (new only)
    *stock, put = part.entries
    assert [e["Update"]["ConditionExpression"] for e in stock] == ["available >= :q"] * 2
    assert sorted(e["Update"]["ExpressionAttributeValues"][":q"]["N"] for e in stock) == ["2", "3"]
    assert put["Put"]["ConditionExpression"] == "attribute_not_exists(pk)"
    assert put["Put"]["Item"]["order_id"] == {"S": "ord_1"}


def test_a_refused_stock_entry_is_stock_taken_naming_the_sku_and_location() -> None:
    # GIVEN the hold, and DynamoDB refusing its second stock entry with the item as it was
    part = _hold()
    reasons = [Reason(), Reason(FAILED, _stock_item("A", "far-dc")), Reason()]
    # WHEN the refusal is explained
    error = refusal([part], reasons)
    # THEN inventory says another buyer took the stock: a contention, to plan again
    assert isinstance(error, StockTaken)
    assert isinstance(error, WriteContended)
    assert (error.sku, error.location_id) == ("A", "far-dc")


def test_a_refused_reservation_put_is_a_hold_that_exists_whatever_the_stock_said() -> None:
    # GIVEN the reservation's own condition fails (with a stock entry too)
    part = _hold()
    reasons = [Reason(FAILED, _stock_item("A", "near-dc")), Reason(), Reason(FAILED)]
    # THEN the hold exists already: no plan again would help
    assert isinstance(refusal([part], reasons), HoldExists)


def test_contention_alone_is_no_domain_error() -> None:
    # GIVEN DynamoDB's TransactionConflict on a stock entry and no condition failed
    part = _hold()
    reasons = [Reason("TransactionConflict"), Reason(), Reason()]
    # THEN it is plain contention
    error = refusal([part], reasons)
    assert type(error) is WriteContended


def test_an_extension_refused_is_a_lapsed_hold() -> None:
    # GIVEN an extension of res_1 until a time
    part = contract.extend_hold("inv", "res_1", 2_000_000_000)
    (entry,) = part.entries
    assert entry["Update"]["ConditionExpression"] == "#status = :active"
    # WHEN its condition fails
    # THEN the hold had lapsed
    assert isinstance(refusal([part], [Reason(FAILED)]), HoldLapsed)


@pytest.mark.parametrize("config_first", [True, False])
def test_stock_levels_come_from_stock_items_only(config_first: bool) -> None:
    # GIVEN a batch answer holding the locations config item and one stock item
    config = {
        "pk": {"S": "CONFIG#locations"},
        "sk": {"S": "CONFIG"},
        "version": {"N": "1"},
        "doc": {"S": "{}"},
    }
    stock = {
        "pk": {"S": "SKU#A"},
        "sk": {"S": "LOC#near-dc"},
        **_stock_item("A", "near-dc"),
        "on_hand": {"N": "4"},
        "reserved": {"N": "4"},
        "version": {"N": "2"},
    }
    items = [config, stock] if config_first else [stock, config]
    # WHEN the levels are read
    levels = contract.stock_levels(items)
    # THEN only the stock item counts
    assert list(levels) == ["A"]
    assert (levels["A"]["near-dc"].on_hand, levels["A"]["near-dc"].available) == (4, 0)


def _reservation() -> Reservation:
    lines = (ReservedLine("A", "near-dc", 3), ReservedLine("B", "near-dc", 1))
    return Reservation(
        "res_1", "ord_1", ReservationStatus.ACTIVE, lines, 2_000_000_000, "2026-03-02T09:00:00Z"
    )


def test_shipping_part_of_a_hold_commits_those_units_and_keeps_the_rest_held_as_read() -> None:
    # GIVEN a hold of 3 A and 1 B
    # WHEN 2 A ship
    part = contract.commit_lines("inv", _reservation(), [ReservedLine("A", "near-dc", 2)], NOW)
    # THEN the reservation keeps 1 A and the B, only while it is active with the lines read, and the
    # 2 A leave on hand and reserved
    hold, stock = part.entries
    update = hold["Update"]
    assert update["ConditionExpression"] == "#status = :active AND #lines = :lines"
    kept = update["ExpressionAttributeValues"][":remaining"]["L"]
    assert [(i["M"]["sku"]["S"], i["M"]["quantity"]["N"]) for i in kept] == [("A", "1"), ("B", "1")]
    assert stock["Update"]["UpdateExpression"].startswith(
        "SET on_hand = on_hand - :q, reserved = reserved - :q"
    )
    # AND a refused reservation entry means the hold changed since it was read (read again)
    assert isinstance(refusal([part], [Reason(FAILED), Reason()]), HoldChanged)


def test_dropping_the_last_units_finishes_the_hold_as_released() -> None:
    # GIVEN a hold of 3 A and 1 B
    # WHEN all of it is dropped
    part = contract.release_lines("inv", _reservation(), list(_reservation().lines), NOW)
    # THEN the reservation is released and each line goes back to available
    hold, *stock = part.entries
    assert hold["Update"]["ExpressionAttributeValues"][":to"] == {"S": "released"}
    assert [e["Update"]["UpdateExpression"].split(",")[0] for e in stock] == [
        "SET available = available + :q"
    ] * 2
    # AND units it does not hold are refused before anything is sent
    with pytest.raises(HoldShort):
        contract.commit_lines("inv", _reservation(), [ReservedLine("B", "near-dc", 2)], NOW)
