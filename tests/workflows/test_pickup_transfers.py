"""Transfers to a pickup store, and pickups cancelled while they wait, in the ``order-fulfilment`` workflow
(moto; real orders, the Stripe stand-in, the tasks run as their functions).

A laptop ordered for pickup in the Lviv store (which has none) is picked in the Kyiv warehouse and carried
to the store: a ``transfer``. It is not charged at dispatch: it waits in the store for its shopper like a
store pickup, is captured when collected, and released and voided when nobody comes. A pickup (or
transfer) waiting in the store may still be cancelled; the store's "collected" and the request race on the
shipment, and the order ends one way. Ledgers checked after each: captured + voided = authorised in the
Stripe stand-in, reserved = what active reservations hold."""

from __future__ import annotations

from typing import Any

import pytest

from tests.workflows.fulfilment_world import FulfilmentWorld, Placed
from tests.workflows.test_order_fulfilment import (
    LAPTOP,
    PHONE,
    _settled_in_full,
    _ship,
    _stock_matches_reservations,
)

STORE, WAREHOUSE = "lviv-store", "kyiv-dc"
REQUEST = "7c2e3b4d-0000-4000-8000-00000000000{}"
TRANSFER_PATH = [
    "Allocate shipments",
    "Fulfil each shipment",
    "Request warehouse pick",
    "Ship it or collect it?",
    "Book transfer to the store",
    "Wait for arrival at the store",
    "Wait for collection",
    "Capture collected lines",
]


def _transfer_packed(world: FulfilmentWorld) -> tuple[Placed, dict[str, Any]]:
    placed = world.place([(LAPTOP, 1)], pickup=STORE)
    (shipment,) = world.picks_requested(placed.order_id)
    assert (shipment["kind"], shipment["location_id"]) == ("transfer", WAREHOUSE)
    _ship(world, placed, shipment)
    return placed, shipment


def _transfer_at_store(world: FulfilmentWorld) -> tuple[Placed, dict[str, Any]]:
    placed, shipment = _transfer_packed(world)
    world.waiting_for(placed, "await_delivery")
    assert world.settlement(placed)["captured"] == 0  # dispatched, not charged
    assert world.tracked(placed.order_id, shipment["shipment_id"], "delivered") == {"batchItemFailures": []}
    return placed, shipment


def _pickup_waiting(world: FulfilmentWorld) -> tuple[Placed, dict[str, Any]]:
    placed = world.place([(PHONE, 1)], pickup=STORE)
    (shipment,) = world.picks_requested(placed.order_id)
    _ship(world, placed, shipment)
    world.waiting_for(placed, "await_collection")
    return placed, shipment


def test_a_transfer_is_charged_when_its_shopper_collects_it_in_the_store(world: FulfilmentWorld) -> None:
    # GIVEN a laptop carried from the warehouse to the pickup store, delivered there
    placed, shipment = _transfer_at_store(world)
    world.waiting_for(placed, "await_collection")
    # THEN nothing is captured while it waits in the store
    assert world.settlement(placed)["captured"] == 0
    # WHEN the store's staff confirm the collection
    assert world.collected(shipment["shipment_id"]).status == 200
    described = world.ended(placed)
    # THEN it ran the transfer path in 9 transitions and captured in full at collection
    assert described["status"] == "SUCCEEDED", described
    assert world.visited(placed) == TRANSFER_PATH
    ledger = _settled_in_full(world, placed)
    assert ledger["captured"] == ledger["authorised"]
    assert _stock_matches_reservations(world, LAPTOP, WAREHOUSE) == (9, 0, 9)


def test_an_uncollected_transfer_is_released_and_voided(world: FulfilmentWorld) -> None:
    # GIVEN pickups are held 1 second, and a transfer delivered to the store
    world.functions.override("fulfilment-tasks", PICKUP_HOLD_S="1")
    placed, shipment = _transfer_at_store(world)
    # WHEN nobody collects it
    described = world.ended(placed)
    world.process_orders()
    # THEN its unit went back to the warehouse's stock, never charged, and a late confirmation is a 409
    assert described["status"] == "SUCCEEDED", described
    assert world.visited(placed)[-6:] == [
        "Wait for arrival at the store",
        "Wait for collection",
        "Release uncollected lines",
        "Is anything else on its way?",
        "Void authorisation of an uncollected order",
        "Not collected",
    ]
    assert _settled_in_full(world, placed)["captured"] == 0
    assert _stock_matches_reservations(world, LAPTOP, WAREHOUSE) == (10, 0, 10)
    assert world.collected(shipment["shipment_id"]).status == 409


def test_a_transfer_returned_to_the_warehouse_is_released_and_voided(world: FulfilmentWorld) -> None:
    # GIVEN a transfer on its way to the store
    placed, shipment = _transfer_packed(world)
    world.waiting_for(placed, "await_delivery")
    # WHEN the carrier returns it to the warehouse
    world.tracked(placed.order_id, shipment["shipment_id"], "returned_to_sender")
    described = world.ended(placed)
    world.process_orders()
    # THEN the shopper cannot collect it: released and voided, nothing charged
    assert described["status"] == "SUCCEEDED", described
    assert world.visited(placed)[-2:] == ["Void authorisation of an uncollected order", "Not collected"]
    assert _settled_in_full(world, placed)["captured"] == 0
    assert _stock_matches_reservations(world, LAPTOP, WAREHOUSE) == (10, 0, 10)


def _cancelled_and_given_back(world: FulfilmentWorld, placed: Placed, sku: str, location: str) -> None:
    described = world.ended(placed)
    world.process_orders()  # checkout-events sees the cancelled order: OrderCancelled, stock released
    assert described["status"] == "SUCCEEDED", described
    assert world.visited(placed)[-2:] == ["Void authorisation of a cancelled order", "Order cancelled"]
    assert _settled_in_full(world, placed)["captured"] == 0
    on_hand, reserved, available = _stock_matches_reservations(world, sku, location)
    assert (reserved, available) == (0, on_hand)


def test_a_pickup_waiting_in_the_store_is_cancelled_and_everything_given_back(world: FulfilmentWorld) -> None:
    # GIVEN a phone packed in the store, waiting for its shopper
    placed, shipment = _pickup_waiting(world)
    # WHEN the buyer cancels the order (the request delivered twice)
    assert world.cancel(placed.order_id, REQUEST.format(1)) == {"batchItemFailures": []}
    assert world.cancel(placed.order_id, REQUEST.format(1)) == {"batchItemFailures": []}
    # THEN the wait ended, the authorisation was voided and the phone is back on the shelf, once
    _cancelled_and_given_back(world, placed, PHONE, STORE)
    assert world.cancellation(placed.order_id, REQUEST.format(1))["outcome"] == "cancelled"
    assert world.visited(placed).count("Void authorisation of a cancelled order") == 1
    # AND the store's late confirmation is refused
    assert world.collected(shipment["shipment_id"]).status == 409


def test_a_transfer_waiting_in_the_store_is_cancelled_and_everything_given_back(
    world: FulfilmentWorld,
) -> None:
    # GIVEN a transfer delivered to the store, waiting for its shopper
    placed, shipment = _transfer_at_store(world)
    world.waiting_for(placed, "await_collection")
    # WHEN the buyer cancels the order
    assert world.cancel(placed.order_id, REQUEST.format(2)) == {"batchItemFailures": []}
    # THEN voided, nothing charged, the laptop's reservation released
    _cancelled_and_given_back(world, placed, LAPTOP, WAREHOUSE)
    assert world.collected(shipment["shipment_id"]).status == 409


def test_a_cancellation_racing_the_collection_loses_to_it(world: FulfilmentWorld) -> None:
    # GIVEN the request arrives while the collected lines are being captured (the store's confirmation won)
    outcomes: list[dict[str, Any]] = []

    def cancel_during_capture(name: str, payload: Any) -> None:
        if name == "payment-tasks" and payload.get("action") == "capture" and not outcomes:
            outcomes.append(world.cancel(payload["order_id"], REQUEST.format(3)))

    world.invoker.before.append(cancel_during_capture)
    placed, shipment = _pickup_waiting(world)
    # WHEN the store confirms the collection
    assert world.collected(shipment["shipment_id"]).status == 200
    described = world.ended(placed)
    # THEN one consistent end: refused (handed over), captured in full, the phone gone from the shelf
    assert outcomes == [{"batchItemFailures": []}]
    record = world.cancellation(placed.order_id, REQUEST.format(3))
    assert (record["outcome"], record["reason"]) == ("refused", "dispatched")
    assert described["status"] == "SUCCEEDED", described
    assert world.visited(placed)[-1] == "Capture collected lines"
    ledger = _settled_in_full(world, placed)
    assert ledger["captured"] == ledger["authorised"]
    assert _stock_matches_reservations(world, PHONE, STORE) == (4, 0, 4)


def test_a_collection_racing_the_cancellation_loses_to_it(world: FulfilmentWorld) -> None:
    # GIVEN the store's confirmation arrives while the cancelled order's authorisation is being voided
    answers: list[int] = []

    def collect_during_void(name: str, payload: Any) -> None:
        if name == "payment-tasks" and payload.get("action") == "void" and not answers:
            answers.append(world.collected(shipment["shipment_id"]).status)

    world.invoker.before.append(collect_during_void)
    placed, shipment = _pickup_waiting(world)
    # WHEN the buyer cancels
    assert world.cancel(placed.order_id, REQUEST.format(4)) == {"batchItemFailures": []}
    # THEN the confirmation is refused, and the order ends cancelled with everything given back
    _cancelled_and_given_back(world, placed, PHONE, STORE)
    assert answers == [409]


def test_cancelling_the_line_waiting_in_the_store_releases_it_and_the_transfer_is_still_collected(
    world: FulfilmentWorld,
) -> None:
    # GIVEN a phone waiting in the store and a laptop carried there from the warehouse
    placed = world.place([(PHONE, 1), (LAPTOP, 1)], pickup=STORE)
    shipments = {s["kind"]: s for s in world.picks_requested(placed.order_id, count=2)}
    for shipment in shipments.values():
        _ship(world, placed, shipment)
    world.waiting_for(placed, "await_collection")
    world.waiting_for(placed, "await_delivery")
    # WHEN the buyer cancels the phone
    assert world.cancel(placed.order_id, REQUEST.format(5), [{"sku": PHONE, "quantity": 1}]) == {
        "batchItemFailures": []
    }
    # AND the laptop reaches the store and is collected
    transfer = shipments["transfer"]["shipment_id"]
    world.tracked(placed.order_id, transfer, "delivered")
    world.waiting_for(placed, "await_collection", count=2)
    assert world.collected(transfer).status == 200
    described = world.ended(placed)
    # THEN the phone was released as uncollected (never charged), the laptop charged at collection
    assert described["status"] == "SUCCEEDED", described
    record = world.cancellation(placed.order_id, REQUEST.format(5))
    assert record["outcome"] == "lines_cancelled"
    visited = world.visited(placed)
    assert "Release uncollected lines" in visited
    assert "Void authorisation of an uncollected order" not in visited
    assert "Capture collected lines" in visited
    ledger = _settled_in_full(world, placed)
    assert 0 < ledger["captured"] < ledger["authorised"]
    assert _stock_matches_reservations(world, PHONE, STORE) == (5, 0, 5)
    assert _stock_matches_reservations(world, LAPTOP, WAREHOUSE) == (9, 0, 9)
    assert world.collected(shipments["store_pickup"]["shipment_id"]).status == 409


TRANSFER_TASKS = [
    ("carrier-tasks", "book"),
    ("fulfilment-tasks", "await_delivery"),
    ("fulfilment-tasks", "await_collection"),
    ("payment-tasks", "capture"),
]


@pytest.mark.parametrize(("function", "action"), TRANSFER_TASKS, ids=[f"{f}-{a}" for f, a in TRANSFER_TASKS])
def test_a_failing_transfer_step_compensates_and_gives_everything_back(
    world: FulfilmentWorld, function: str, action: str
) -> None:
    # GIVEN a step of the transfer's path fails for good
    world.fail(function, action)
    placed, shipment = _transfer_packed(world)
    if action in ("await_collection", "capture"):
        world.waiting_for(placed, "await_delivery")
        world.tracked(placed.order_id, shipment["shipment_id"], "delivered")
    if action == "capture":
        world.waiting_for(placed, "await_collection")
        assert world.collected(shipment["shipment_id"]).status == 200
    # WHEN the workflow meets it
    described = world.ended(placed)
    world.process_orders()
    # THEN it compensated (booking cancelled, released, voided) and failed for ops to see; nothing charged,
    # nothing held
    assert described["status"] == "FAILED", described
    assert described["error"] == "FulfilmentFailed"
    assert world.visited(placed)[-2:] == ["Void authorisation", "Fulfilment failed"]
    assert _settled_in_full(world, placed)["captured"] == 0
    assert _stock_matches_reservations(world, LAPTOP, WAREHOUSE) == (10, 0, 10)
