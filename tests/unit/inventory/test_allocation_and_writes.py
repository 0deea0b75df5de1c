"""Allocation policy and the reservation / release / commit transaction entries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from inventory.adapters.records import (
    commit_transact_items,
    expired_tombstone_items,
    release_transact_items,
    reservation_transact_items,
)
from inventory.domain.allocation import (
    Fulfilment,
    InsufficientStock,
    ReservationLine,
    ReservationPlan,
    plan_reservation,
)
from inventory.domain.models import Location
from inventory.domain.reservations import MAX_TTL, MIN_TTL, Reservation, ReservationStatus, ReservedLine
from shop_kernel.errors import NotFound, ValidationFailed
from tests.unit.inventory.conftest import level, location

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
A, B = "SKU-A", "SKU-B"


def _locations(*items: Location) -> dict[str, Location]:
    return {loc.id: loc for loc in items}


@pytest.fixture
def network() -> dict[str, Location]:
    return _locations(
        location("podil", transfer_lead_time_hours={"far-dc": 10, "near-dc": 30}),
        location("mall", pickup=False),
        location("near-dc", "warehouse", priority=10),
        location("far-dc", "warehouse", priority=20),
    )


def stock(**levels: dict[str, int]) -> dict[str, dict]:
    return {sku: {loc: level(sku, loc, n) for loc, n in by_loc.items()} for sku, by_loc in levels.items()}


def lines(*pairs: tuple[str, int]) -> list[ReservationLine]:
    return [ReservationLine(sku=s, quantity=q) for s, q in pairs]


DELIVERY = Fulfilment(mode="delivery")
PICKUP = Fulfilment(mode="pickup", location_id="podil")


def test_delivery_prefers_one_warehouse_for_the_whole_order(network: dict[str, Location]) -> None:
    # GIVEN the priority warehouse lacks B, the other has both
    levels = stock(**{A: {"near-dc": 5, "far-dc": 5}, B: {"far-dc": 2}})
    # WHEN planning a delivery of A and B
    plan = plan_reservation(lines((A, 2), (B, 1)), DELIVERY, NOW, stock=levels, locations=network)
    # THEN both come from far-dc (one parcel)
    assert {a.location_id for a in plan.allocations} == {"far-dc"}


def test_delivery_by_priority_when_both_can_ship(network: dict[str, Location]) -> None:
    levels = stock(**{A: {"near-dc": 1, "far-dc": 50}})
    plan = plan_reservation(lines((A, 1)), DELIVERY, NOW, stock=levels, locations=network)
    assert plan.allocations[0].location_id == "near-dc"


def test_delivery_per_line_then_split(network: dict[str, Location]) -> None:
    # GIVEN A only at near-dc, B 3+2 split over both
    levels = stock(**{A: {"near-dc": 4}, B: {"near-dc": 3, "far-dc": 2}})
    plan = plan_reservation(lines((A, 4), (B, 5)), DELIVERY, NOW, stock=levels, locations=network)
    # THEN A from near-dc; B 3 from near-dc (priority) and 2 from far-dc
    got = sorted((a.sku, a.location_id, a.quantity) for a in plan.allocations)
    assert got == [(A, "near-dc", 4), (B, "far-dc", 2), (B, "near-dc", 3)]


def test_delivery_never_uses_store_stock(network: dict[str, Location]) -> None:
    # GIVEN stock only in a store
    with pytest.raises(InsufficientStock) as raised:
        plan_reservation(lines((A, 1)), DELIVERY, NOW, stock=stock(**{A: {"podil": 9}}), locations=network)
    # THEN 409 naming the line's quantity
    assert raised.value.status == 409
    assert raised.value.errors[0].field == "lines.0.quantity"


def test_pickup_from_the_store_when_it_has_it(network: dict[str, Location]) -> None:
    plan = plan_reservation(
        lines((A, 2)), PICKUP, NOW, stock=stock(**{A: {"podil": 2, "near-dc": 9}}), locations=network
    )
    assert plan.allocations[0].location_id == "podil"
    assert plan.allocations[0].transfer_to is None


def test_pickup_transfers_from_the_fastest_warehouse(network: dict[str, Location]) -> None:
    # GIVEN the store has 1 of 2; far-dc is 10 h away, near-dc 30 h
    levels = stock(**{A: {"podil": 1, "near-dc": 9, "far-dc": 9}})
    plan = plan_reservation(lines((A, 2)), PICKUP, NOW, stock=levels, locations=network)
    # THEN the whole line comes from far-dc and moves to the store
    assert (plan.allocations[0].location_id, plan.allocations[0].transfer_to) == ("far-dc", "podil")


def test_pickup_short_everywhere_names_the_best_figure(network: dict[str, Location]) -> None:
    with pytest.raises(InsufficientStock) as raised:
        plan_reservation(
            lines((A, 5)), PICKUP, NOW, stock=stock(**{A: {"podil": 1, "near-dc": 3}}), locations=network
        )
    assert raised.value.extra["available"] == 3


def test_pickup_needs_a_known_pickup_store(network: dict[str, Location]) -> None:
    with pytest.raises(NotFound) as unknown:
        plan_reservation(
            lines((A, 1)), Fulfilment(mode="pickup", location_id="nowhere"), NOW, stock={}, locations=network
        )
    assert unknown.value.errors[0].field == "fulfilment.location_id"
    with pytest.raises(ValidationFailed):
        plan_reservation(
            lines((A, 1)), Fulfilment(mode="pickup", location_id="mall"), NOW, stock={}, locations=network
        )
    with pytest.raises(ValidationFailed):
        plan_reservation(
            lines((A, 1)), Fulfilment(mode="pickup", location_id="near-dc"), NOW, stock={}, locations=network
        )


def test_duplicate_and_empty_lines_are_refused(network: dict[str, Location]) -> None:
    with pytest.raises(ValidationFailed) as duplicate:
        plan_reservation(lines((A, 1), (A, 2)), DELIVERY, NOW, stock={}, locations=network)
    assert duplicate.value.errors[0].field == "lines.1.sku"
    with pytest.raises(ValidationFailed):
        plan_reservation([], DELIVERY, NOW, stock={}, locations=network)


@pytest.mark.parametrize("quantity", [0, -1, 1001, 1.5, "2", True])
def test_line_quantities_are_positive_bounded_integers(quantity: object) -> None:
    with pytest.raises(ValidationError):
        ReservationLine(sku=A, quantity=quantity)  # type: ignore[arg-type]


def test_pickup_needs_a_location_and_delivery_none() -> None:
    with pytest.raises(ValidationError):
        Fulfilment(mode="pickup")
    with pytest.raises(ValidationError):
        Fulfilment(mode="delivery", location_id="podil")


def test_reservation_items_condition_every_stock_change_and_put_once(network: dict[str, Location]) -> None:
    # GIVEN a plan over two warehouses
    levels = stock(**{A: {"near-dc": 3, "far-dc": 2}})
    plan = plan_reservation(lines((A, 5)), DELIVERY, NOW, stock=levels, locations=network)
    # WHEN building the transaction entries for 15 minutes
    items = reservation_transact_items(plan, "res_1", "ord_1", timedelta(minutes=15), table_name="inv")
    # THEN one conditional update per stock item, then the reservation put (new only) with its TTL
    updates = [i["Update"] for i in items if "Update" in i]
    assert len(updates) == 2
    assert all(u["ConditionExpression"] == "available >= :q" for u in updates)
    assert all("available = available - :q" in u["UpdateExpression"] for u in updates)
    put = items[-1]["Put"]
    assert put["ConditionExpression"] == "attribute_not_exists(pk)"
    assert put["Item"]["status"] == {"S": "active"}
    assert put["Item"]["expires_at"] == {"N": str(int((NOW + timedelta(minutes=15)).timestamp()))}
    assert put["Item"]["gsi1pk"] == {"S": "RESERVATIONS#active"}


def _one_unit_plan() -> ReservationPlan:
    return plan_reservation(
        lines((A, 1)),
        DELIVERY,
        NOW,
        stock=stock(**{A: {"near-dc": 1}}),
        locations=_locations(location("near-dc", "warehouse")),
    )


@pytest.mark.parametrize("ttl", [MIN_TTL, MAX_TTL], ids=["one-minute", "thirty-days"])
def test_a_hold_of_exactly_one_minute_or_thirty_days_is_allowed(ttl: timedelta) -> None:
    # GIVEN a plan for one unit
    plan = _one_unit_plan()
    # WHEN its entries are built with a TTL at either bound
    items = reservation_transact_items(plan, "res_1", "ord_1", ttl, table_name="inv")
    # THEN the hold expires that long after the plan
    assert items[-1]["Put"]["Item"]["expires_at"] == {"N": str(int((NOW + ttl).timestamp()))}


@pytest.mark.parametrize(
    "ttl",
    [timedelta(seconds=5), MIN_TTL - timedelta(seconds=1), MAX_TTL + timedelta(seconds=1)],
    ids=["seconds", "under-a-minute", "over-thirty-days"],
)
def test_a_hold_outside_one_minute_to_thirty_days_is_refused(ttl: timedelta) -> None:
    # GIVEN a plan for one unit
    plan = _one_unit_plan()
    # WHEN its entries are built with a TTL outside the bounds
    # THEN they are refused
    with pytest.raises(ValueError, match="between"):
        reservation_transact_items(plan, "res_1", "ord_1", ttl, table_name="inv")


RESERVATION = Reservation(
    id="res_1",
    order_id="ord_1",
    status=ReservationStatus.ACTIVE,
    lines=(ReservedLine(A, "near-dc", 2),),
    expires_at=1,
    created_at="2026-03-02T09:00:00.000Z",
)


def test_release_is_conditioned_on_status_and_reserved() -> None:
    items = release_transact_items(RESERVATION, NOW, table_name="inv")
    finish, stock_update = items[0]["Update"], items[1]["Update"]
    assert finish["ConditionExpression"] == "#status = :active"
    assert finish["ExpressionAttributeValues"][":to"] == {"S": "released"}
    assert "REMOVE gsi1pk, gsi1sk" in finish["UpdateExpression"]
    assert stock_update["ConditionExpression"] == "reserved >= :q"


def test_expiry_is_conditioned_on_the_hold_being_overdue_when_it_lands() -> None:
    # GIVEN an active reservation; WHEN it is expired at NOW
    items = release_transact_items(RESERVATION, NOW, table_name="inv", status=ReservationStatus.EXPIRED)
    finish = items[0]["Update"]
    # THEN the write holds only while it is still active AND its expiry (maybe extended since) has passed
    assert finish["ConditionExpression"] == "#status = :active AND expires_at <= :epoch"
    assert finish["ExpressionAttributeValues"][":epoch"] == {"N": str(int(NOW.timestamp()))}
    assert finish["ExpressionAttributeValues"][":to"] == {"S": "expired"}


def test_commit_takes_units_out_of_on_hand_and_reserved() -> None:
    items = commit_transact_items(RESERVATION, NOW, table_name="inv")
    stock_update = items[1]["Update"]
    assert "on_hand = on_hand - :q, reserved = reserved - :q" in stock_update["UpdateExpression"]
    assert "available" not in stock_update["UpdateExpression"]


def test_tombstone_is_written_once() -> None:
    items = expired_tombstone_items(RESERVATION, NOW, table_name="inv")
    assert items[0]["Put"]["ConditionExpression"] == "attribute_not_exists(pk)"
    assert items[0]["Put"]["Item"]["status"] == {"S": "expired"}
