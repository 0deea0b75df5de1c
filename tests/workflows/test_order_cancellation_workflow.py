"""Cancellation requests against a running ``order-fulfilment`` workflow in moto (real orders, the Stripe
stand-in, the tasks run as their functions): the request reaches ``fulfilment-cancellations`` as the
orders context's event would, and the ledgers are checked after each (captured + voided = authorised in
the Stripe stand-in; reserved = what active reservations hold)."""

from __future__ import annotations

from typing import Any

from tests.workflows.fulfilment_world import FulfilmentWorld, Placed
from tests.workflows.test_order_fulfilment import LAPTOP, _settled_in_full, _stock_matches_reservations

REQUEST = "5b1f2a3c-0000-4000-8000-00000000000{}"


def _cancelled_and_given_back(world: FulfilmentWorld, placed: Placed) -> None:
    described = world.ended(placed)
    world.process_orders()  # checkout-events sees the cancelled order: OrderCancelled, stock released
    assert described["status"] == "SUCCEEDED", described
    assert world.visited(placed)[-2:] == ["Void authorisation of a cancelled order", "Order cancelled"]
    ledger = _settled_in_full(world, placed)
    assert ledger["captured"] == 0
    assert _stock_matches_reservations(world, LAPTOP, "kyiv-dc") == (10, 0, 10)


def test_an_order_waiting_for_the_warehouse_is_cancelled_and_everything_given_back(
    world: FulfilmentWorld,
) -> None:
    # GIVEN a paid order of two laptops the warehouse is asked to pick
    placed = world.place([(LAPTOP, 2)])
    (shipment,) = world.picks_requested(placed.order_id)
    # WHEN the buyer cancels it (the request delivered twice)
    assert world.cancel(placed.order_id, REQUEST.format(1)) == {"batchItemFailures": []}
    assert world.cancel(placed.order_id, REQUEST.format(1)) == {"batchItemFailures": []}
    # THEN the workflow voided and ended cancelled; nothing captured, the laptops back in stock
    _cancelled_and_given_back(world, placed)
    assert world.cancellation(placed.order_id, REQUEST.format(1))["outcome"] == "cancelled"
    # AND the warehouse's late report is refused
    assert world.packed(shipment["shipment_id"], [{"sku": LAPTOP, "quantity": 2}]).status == 409


def test_an_order_under_review_is_cancelled_by_request(world: FulfilmentWorld) -> None:
    # GIVEN an order held for an agent's review
    placed = world.place([(LAPTOP, 1)], review=True)
    world.waiting_for(placed, "hold_for_review")
    # WHEN the buyer cancels it / THEN it is cancelled; the agent's approval comes too late
    assert world.cancel(placed.order_id, REQUEST.format(2)) == {"batchItemFailures": []}
    _cancelled_and_given_back(world, placed)
    assert world.review(placed.order_id, "approve").status == 409


def test_an_order_cancelled_before_its_allocation_is_answered_cancelled_and_given_back(
    world: FulfilmentWorld,
) -> None:
    # GIVEN the buyer's request reaches fulfilment after the payment, before the workflow's first task runs
    requested: list[dict[str, Any]] = []

    def cancel_first(name: str, payload: Any) -> None:
        if payload.get("action") == "allocate" and not requested:
            requested.append(world.cancel(payload["order"]["order_id"], REQUEST.format(5)))

    world.invoker.before.append(cancel_first)
    # WHEN the order is paid and the workflow runs
    placed = world.place([(LAPTOP, 1)])
    # THEN "Allocate shipments" answered its token with CancelledByRequest (recorded pending: nothing
    # allocated) and the workflow voided; nothing captured, the laptop back in stock
    _cancelled_and_given_back(world, placed)
    assert requested == [{"batchItemFailures": []}]
    assert world.cancellation(placed.order_id, REQUEST.format(5))["outcome"] == "pending"
    assert world.visited(placed)[0] == "Allocate shipments"
    assert world.visited(placed).count("Allocate shipments") == 1
    assert world._shipments(placed.order_id) == []
    # AND the function returned (an invocation that raised records no call): no Lambda error for ops' alarm
    assert [p["action"] for _, p in world.invoker.calls].count("allocate") == 1


def test_cancelling_one_unit_releases_it_and_charges_the_rest(world: FulfilmentWorld) -> None:
    # GIVEN an order of two laptops waiting for the warehouse
    placed = world.place([(LAPTOP, 2)])
    (shipment,) = world.picks_requested(placed.order_id)
    # WHEN one laptop is cancelled, then the warehouse packs what it was asked (one) and it is delivered
    assert world.cancel(placed.order_id, REQUEST.format(3), [{"sku": LAPTOP, "quantity": 1}]) == {
        "batchItemFailures": []
    }
    answer = world.packed(shipment["shipment_id"], [{"sku": LAPTOP, "quantity": 1}])
    world.waiting_for(placed, "await_delivery")
    world.tracked(placed.order_id, shipment["shipment_id"], "delivered")
    described = world.ended(placed)
    # THEN one laptop was charged, the other released like an unpicked unit, never charged
    assert described["status"] == "SUCCEEDED", described
    assert answer.body["dropped"] == [{"sku": LAPTOP, "quantity": 1}]
    record = world.cancellation(placed.order_id, REQUEST.format(3))
    assert record["outcome"] == "lines_cancelled"
    assert record["amount_released"]["amount"] > 0
    ledger = _settled_in_full(world, placed)
    assert 0 < ledger["captured"] < ledger["authorised"]
    assert _stock_matches_reservations(world, LAPTOP, "kyiv-dc") == (9, 0, 9)


def test_a_cancellation_while_the_carrier_is_booked_is_refused_and_the_order_delivered(
    world: FulfilmentWorld,
) -> None:
    # GIVEN the request arrives while the carrier is being booked
    outcomes: list[dict[str, Any]] = []

    def cancel_during_booking(name: str, payload: Any) -> None:
        if name == "carrier-tasks" and payload.get("action") == "book" and not outcomes:
            outcomes.append(world.cancel(payload["order_id"], REQUEST.format(4)))

    world.invoker.before.append(cancel_during_booking)
    placed = world.place([(LAPTOP, 2)])
    (shipment,) = world.picks_requested(placed.order_id)
    assert world.packed(shipment["shipment_id"], [{"sku": LAPTOP, "quantity": 2}]).status == 200
    world.waiting_for(placed, "await_delivery")
    world.tracked(placed.order_id, shipment["shipment_id"], "delivered")
    described = world.ended(placed)
    # THEN one consistent state: refused (dispatched), the booking kept, the order captured and delivered
    assert outcomes == [{"batchItemFailures": []}]
    record = world.cancellation(placed.order_id, REQUEST.format(4))
    assert (record["outcome"], record["reason"]) == ("refused", "dispatched")
    assert described["status"] == "SUCCEEDED", described
    ledger = _settled_in_full(world, placed)
    assert ledger["captured"] == ledger["authorised"]
    assert _stock_matches_reservations(world, LAPTOP, "kyiv-dc") == (8, 0, 8)


def test_a_failing_void_of_a_cancelled_order_ends_for_ops(world: FulfilmentWorld) -> None:
    # GIVEN the void fails for good
    world.fail("payment-tasks", "void")
    placed = world.place([(LAPTOP, 1)])
    world.picks_requested(placed.order_id)
    # WHEN the order is cancelled while the warehouse picks
    assert world.cancel(placed.order_id, REQUEST.format(5)) == {"batchItemFailures": []}
    described = world.ended(placed)
    # THEN it ends as a compensation failure (the alarm); nothing captured, the stock still adds up
    assert described["status"] == "FAILED", described
    assert described["error"] == "CompensationFailed"
    assert "Void authorisation of a cancelled order" in world.visited(placed)
    assert world.settlement(placed)["captured"] == 0
    _stock_matches_reservations(world, LAPTOP, "kyiv-dc")
