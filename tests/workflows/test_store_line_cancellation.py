"""Some lines of a shipment waiting in the pickup store cancelled by request, in the ``order-fulfilment``
workflow (moto; real orders, the Stripe stand-in, the tasks run as their functions).

Two phones wait in the Lviv store for their shopper; the buyer cancels one. The shipment goes on waiting
with the other; at collection only that one is captured, and the cancelled one's reservation is released
in the same write, never charged. The store's "collected" and the request race on the shipment's version:
whichever writes first wins. Ledgers checked after each: captured + voided = authorised in the Stripe
stand-in, reserved = what active reservations hold."""

from __future__ import annotations

from typing import Any

from tests.workflows.fulfilment_world import FulfilmentWorld, Placed
from tests.workflows.test_order_fulfilment import (
    LAPTOP,
    PHONE,
    _settled_in_full,
    _ship,
    _stock_matches_reservations,
)
from tests.workflows.test_store_pickup import PICKUP_PATH, STORE

WAREHOUSE = "kyiv-dc"
REQUEST = "9d4e5f6a-0000-4000-8000-00000000000{}"
ONE_PHONE = [{"sku": PHONE, "quantity": 1}]


def _two_phones_waiting(world: FulfilmentWorld) -> tuple[Placed, dict[str, Any]]:
    placed = world.place([(PHONE, 2)], pickup=STORE)
    (shipment,) = world.picks_requested(placed.order_id)
    assert shipment["kind"] == "store_pickup"
    _ship(world, placed, shipment)
    world.waiting_for(placed, "await_collection")
    return placed, shipment


def test_one_phone_cancelled_while_waiting_is_released_and_only_the_other_captured(
    world: FulfilmentWorld,
) -> None:
    # GIVEN two phones waiting in the store (the store holds 5)
    placed, shipment = _two_phones_waiting(world)
    assert _stock_matches_reservations(world, PHONE, STORE) == (5, 2, 3)
    # WHEN the buyer cancels one of them (the request delivered twice), then collects the other
    assert world.cancel(placed.order_id, REQUEST.format(1), ONE_PHONE) == {"batchItemFailures": []}
    assert world.cancel(placed.order_id, REQUEST.format(1), ONE_PHONE) == {"batchItemFailures": []}
    record = world.cancellation(placed.order_id, REQUEST.format(1))
    assert world.collected(shipment["shipment_id"]).status == 200
    described = world.ended(placed)
    # THEN the wait went on and the pickup path is unchanged; one phone was charged, the
    # other never, and its reservation went back to the store's stock once
    assert record["outcome"] == "lines_cancelled"
    assert record["lines"] == ONE_PHONE
    assert record["amount_released"]["amount"] > 0
    assert described["status"] == "SUCCEEDED", described
    assert world.visited(placed) == PICKUP_PATH
    ledger = _settled_in_full(world, placed)
    assert ledger["authorised"] - ledger["captured"] == record["amount_released"]["amount"]
    assert _stock_matches_reservations(world, PHONE, STORE) == (4, 0, 4)


def test_a_collection_that_wins_the_race_hands_over_and_charges_both_phones(world: FulfilmentWorld) -> None:
    # GIVEN the line request arrives while the collected phones are being captured (the store won)
    outcomes: list[dict[str, Any]] = []

    def cancel_during_capture(name: str, payload: Any) -> None:
        if name == "payment-tasks" and payload.get("action") == "capture" and not outcomes:
            outcomes.append(world.cancel(payload["order_id"], REQUEST.format(2), ONE_PHONE))

    world.invoker.before.append(cancel_during_capture)
    placed, shipment = _two_phones_waiting(world)
    # WHEN the store confirms the collection
    assert world.collected(shipment["shipment_id"]).status == 200
    described = world.ended(placed)
    # THEN the request was refused (handed over), both phones captured, both gone from the shelf
    assert outcomes == [{"batchItemFailures": []}]
    record = world.cancellation(placed.order_id, REQUEST.format(2))
    assert (record["outcome"], record["reason"]) == ("refused", "dispatched")
    assert described["status"] == "SUCCEEDED", described
    ledger = _settled_in_full(world, placed)
    assert ledger["captured"] == ledger["authorised"]
    assert _stock_matches_reservations(world, PHONE, STORE) == (3, 0, 3)


def test_the_other_phone_uncollected_after_a_line_cancellation_releases_both(world: FulfilmentWorld) -> None:
    # GIVEN pickups are held 2 seconds, and one of two waiting phones was cancelled
    world.functions.override("fulfilment-tasks", PICKUP_HOLD_S="2")
    placed, _ = _two_phones_waiting(world)
    assert world.cancel(placed.order_id, REQUEST.format(3), ONE_PHONE) == {"batchItemFailures": []}
    # WHEN nobody collects the other one
    described = world.ended(placed)
    world.process_orders()
    # THEN both phones are back on the shelf, released once; nothing was charged
    assert described["status"] == "SUCCEEDED", described
    assert world.visited(placed)[-2:] == ["Void authorisation of an uncollected order", "Not collected"]
    assert _settled_in_full(world, placed)["captured"] == 0
    assert _stock_matches_reservations(world, PHONE, STORE) == (5, 0, 5)


def test_the_last_phone_cancelled_withdraws_its_shipment_and_the_transfer_is_still_collected(
    world: FulfilmentWorld,
) -> None:
    # GIVEN two phones waiting in the store and a laptop carried there from the warehouse
    placed = world.place([(PHONE, 2), (LAPTOP, 1)], pickup=STORE)
    shipments = {s["kind"]: s for s in world.picks_requested(placed.order_id, count=2)}
    for shipment in shipments.values():
        _ship(world, placed, shipment)
    world.waiting_for(placed, "await_collection")
    world.waiting_for(placed, "await_delivery")
    # WHEN the buyer cancels one phone, then the other
    assert world.cancel(placed.order_id, REQUEST.format(4), ONE_PHONE) == {"batchItemFailures": []}
    assert world.cancel(placed.order_id, REQUEST.format(5), ONE_PHONE) == {"batchItemFailures": []}
    # AND the laptop reaches the store and is collected
    transfer = shipments["transfer"]["shipment_id"]
    world.tracked(placed.order_id, transfer, "delivered")
    world.waiting_for(placed, "await_collection", count=2)
    assert world.collected(transfer).status == 200
    described = world.ended(placed)
    # THEN the phones' shipment was withdrawn as a whole one is (both phones released as uncollected,
    # never charged), the laptop charged at collection
    assert described["status"] == "SUCCEEDED", described
    outcomes = [world.cancellation(placed.order_id, REQUEST.format(n))["outcome"] for n in (4, 5)]
    assert outcomes == ["lines_cancelled", "lines_cancelled"]
    visited = world.visited(placed)
    assert "Release uncollected lines" in visited
    assert "Void authorisation of an uncollected order" not in visited
    ledger = _settled_in_full(world, placed)
    assert 0 < ledger["captured"] < ledger["authorised"]
    assert _stock_matches_reservations(world, PHONE, STORE) == (5, 0, 5)
    assert _stock_matches_reservations(world, LAPTOP, WAREHOUSE) == (9, 0, 9)
    assert world.collected(shipments["store_pickup"]["shipment_id"]).status == 409
