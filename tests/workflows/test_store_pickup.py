"""Store pickups in the ``order-fulfilment`` workflow (moto): packed in the store, then waiting for the
shopper (a task token the store's staff answer), captured only at collection; released and voided when
nobody comes within the hold period. Ledgers checked after each: captured + voided = authorised in the
Stripe stand-in, reserved = what active reservations hold."""

from __future__ import annotations

from typing import Any

import pytest

from tests.workflows.fulfilment_world import FulfilmentWorld, Placed
from tests.workflows.test_order_fulfilment import PHONE, _settled_in_full, _ship, _stock_matches_reservations

STORE = "lviv-store"
PICKUP_PATH = [
    "Allocate shipments",
    "Fulfil each shipment",
    "Request warehouse pick",
    "Ship it or collect it?",
    "Wait for collection",
    "Capture collected lines",
]


def _packed_in_store(world: FulfilmentWorld) -> tuple[Placed, dict[str, Any]]:
    placed = world.place([(PHONE, 1)], pickup=STORE)
    (shipment,) = world.picks_requested(placed.order_id)
    assert shipment["kind"] == "store_pickup"
    _ship(world, placed, shipment)
    return placed, shipment


def test_a_store_pickup_is_captured_when_the_shopper_collects_it(world: FulfilmentWorld) -> None:
    # GIVEN a phone packed in the Lviv store for its shopper
    placed, shipment = _packed_in_store(world)
    world.waiting_for(placed, "await_collection")
    # THEN nothing is captured while it waits
    assert world.settlement(placed)["captured"] == 0
    # WHEN the store's staff confirm the collection (twice: a repeated click)
    first, again = world.collected(shipment["shipment_id"]), world.collected(shipment["shipment_id"])
    described = world.ended(placed)
    # THEN the same answer twice; the order ran the pickup path in 7 transitions and captured in full
    assert (first.status, again.status) == (200, 200)
    assert first.body == again.body == {"shipment_id": shipment["shipment_id"], "status": "collected"}
    assert described["status"] == "SUCCEEDED", described
    assert world.visited(placed) == PICKUP_PATH
    ledger = _settled_in_full(world, placed)
    assert ledger["captured"] == ledger["authorised"]
    assert _stock_matches_reservations(world, PHONE, STORE) == (4, 0, 4)


def test_an_uncollected_pickup_is_released_and_voided_after_its_hold_period(world: FulfilmentWorld) -> None:
    # GIVEN store pickups are held 1 second
    world.functions.override("fulfilment-tasks", PICKUP_HOLD_S="1")
    placed, shipment = _packed_in_store(world)
    # WHEN nobody collects it
    described = world.ended(placed)
    world.process_orders()
    # THEN its units went back to stock, the authorisation was voided, and a late confirmation is a 409
    assert described["status"] == "SUCCEEDED", described
    assert world.visited(placed)[-5:] == [
        "Wait for collection",
        "Release uncollected lines",
        "Is anything else on its way?",
        "Void authorisation of an uncollected order",
        "Not collected",
    ]
    ledger = _settled_in_full(world, placed)
    assert ledger["captured"] == 0
    assert _stock_matches_reservations(world, PHONE, STORE) == (5, 0, 5)
    assert world.collected(shipment["shipment_id"]).status == 409


PICKUP_TASKS = [("fulfilment-tasks", "await_collection"), ("payment-tasks", "capture")]


@pytest.mark.parametrize(("function", "action"), PICKUP_TASKS, ids=[f"{f}-{a}" for f, a in PICKUP_TASKS])
def test_a_failing_pickup_step_compensates_and_gives_everything_back(
    world: FulfilmentWorld, function: str, action: str
) -> None:
    # GIVEN the pickup's own step fails for good
    world.fail(function, action)
    placed, shipment = _packed_in_store(world)
    if action == "capture":
        world.waiting_for(placed, "await_collection")
        assert world.collected(shipment["shipment_id"]).status == 200
    # WHEN the workflow meets it
    described = world.ended(placed)
    world.process_orders()
    # THEN it compensated (released, voided) and failed for ops to see; nothing charged, nothing held
    assert described["status"] == "FAILED", described
    assert world.visited(placed)[-2:] == ["Void authorisation", "Fulfilment failed"]
    ledger = _settled_in_full(world, placed)
    assert ledger["captured"] == 0
    assert _stock_matches_reservations(world, PHONE, STORE) == (5, 0, 5)


@pytest.mark.parametrize("action", ["release", "void"])
def test_a_failing_step_after_the_hold_period_ends_for_ops_with_the_stock_accounted(
    world: FulfilmentWorld, action: str
) -> None:
    # GIVEN a pickup held 1 second, and the payment step that follows its timeout fails for good
    world.functions.override("fulfilment-tasks", PICKUP_HOLD_S="1")
    world.fail("payment-tasks", action)
    placed, _ = _packed_in_store(world)
    # WHEN nobody collects it
    described = world.ended(placed)
    # THEN the compensation met the same failure: it ends as one (the alarm), nothing was captured,
    # and the stock still adds up to what the reservations hold
    assert described["status"] == "FAILED", described
    assert described["error"] == "CompensationFailed"
    assert world.settlement(placed)["captured"] == 0
    _stock_matches_reservations(world, PHONE, STORE)
