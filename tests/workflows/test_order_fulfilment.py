"""The order fulfilment workflow (``state_machines/order_fulfilment.asl.json``) end to end in moto.

Real orders (cart, checkout, the Stripe stand-in), the workflow run by moto's interpreter with every task
run as its function (``fulfilment-tasks``, ``carrier-tasks`` with the carrier stand-in, ``payment-tasks``),
and the outside world played through its real entry points: the warehouse's packed report, carriers'
tracking event, an agent's review decision. Every test checks the ledgers, not only how the execution
ended: the PaymentIntent's settlement in the Stripe stand-in (captured + voided = authorised, nothing
left capturable) and inventory's stock (reserved = what active reservations hold).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.checkout.conftest import put_location, set_stock
from tests.workflows.fulfilment_world import SECOND_WAREHOUSE, FulfilmentWorld, Placed

LAPTOP, PHONE = "LAP-A-BLK", "PHN-B-BLK"
HAPPY_PATH = [
    "Allocate shipments",
    "Fulfil each shipment",
    "Request warehouse pick",
    "Ship it or collect it?",
    "Book carrier and capture shipped lines",
    "Wait for delivery",
]


def _settled_in_full(world: FulfilmentWorld, placed: Placed) -> dict[str, int]:
    ledger = world.settlement(placed)
    assert ledger["authorised"] > 0
    assert ledger["captured"] + ledger["voided"] == ledger["authorised"]
    assert ledger["capturable"] == 0
    return ledger


def _stock_matches_reservations(world: FulfilmentWorld, sku: str, location: str) -> tuple[int, int, int]:
    on_hand, reserved, available = world.stock(sku, location)
    assert reserved == world.active_reservations(sku, location)
    return on_hand, reserved, available


def _ship(world: FulfilmentWorld, placed: Placed, shipment: dict[str, Any]) -> None:
    lines = [{"sku": line["sku"], "quantity": line["quantity"]} for line in shipment["lines"]]
    assert world.packed(shipment["shipment_id"], lines).status == 200


def test_a_single_shipment_order_is_delivered_in_six_transitions(world: FulfilmentWorld) -> None:
    # GIVEN a paid order of two laptops (Kyiv DC holds 10)
    placed = world.place([(LAPTOP, 2)])
    (shipment,) = world.picks_requested(placed.order_id)
    # WHEN the warehouse packs it (twice: a repeated delivery), and the carrier reports it delivered (twice)
    _ship(world, placed, shipment)
    again = world.packed(shipment["shipment_id"], [{"sku": LAPTOP, "quantity": 2}])
    world.waiting_for(placed, "await_delivery")
    assert world.tracked(placed.order_id, shipment["shipment_id"], "delivered") == {"batchItemFailures": []}
    described = world.ended(placed)
    history = len(world.history(placed))
    assert world.tracked(placed.order_id, shipment["shipment_id"], "delivered") == {"batchItemFailures": []}
    # THEN the order went through the business steps in 6 transitions and succeeded
    assert described["status"] == "SUCCEEDED", described
    assert world.visited(placed) == HAPPY_PATH
    # AND the repeats changed nothing: the same answer, no new history
    assert again.status == 200
    assert again.body["packed_units"] == 2
    assert len(world.history(placed)) == history
    # AND exactly the order was captured, its two units left the warehouse and nothing stays reserved
    ledger = _settled_in_full(world, placed)
    assert ledger["voided"] == 0
    assert _stock_matches_reservations(world, LAPTOP, "kyiv-dc") == (8, 0, 8)


def test_a_split_order_ships_from_two_warehouses(world: FulfilmentWorld) -> None:
    # GIVEN a second warehouse holding the phone, and an order of a laptop and a phone (no one warehouse has both)
    put_location(world.shop, "odesa-dc", SECOND_WAREHOUSE)
    set_stock(world.shop, PHONE, "odesa-dc", 3)
    placed = world.place([(LAPTOP, 1), (PHONE, 1)])
    # WHEN both shipments are packed and delivered
    shipments = world.picks_requested(placed.order_id, count=2)
    assert sorted(s["location_id"] for s in shipments) == ["kyiv-dc", "odesa-dc"]
    for shipment in shipments:
        _ship(world, placed, shipment)
    world.waiting_for(placed, "await_delivery", count=2)
    for shipment in shipments:
        world.tracked(placed.order_id, shipment["shipment_id"], "delivered")
    described = world.ended(placed)
    # THEN it succeeded with each shipment's steps; the order was captured in full, both stocks committed
    assert described["status"] == "SUCCEEDED", described
    visited = world.visited(placed)
    assert visited.count("Book carrier and capture shipped lines") == 2
    assert _settled_in_full(world, placed)["voided"] == 0
    assert _stock_matches_reservations(world, LAPTOP, "kyiv-dc") == (9, 0, 9)
    assert _stock_matches_reservations(world, PHONE, "odesa-dc") == (2, 0, 2)


def test_a_short_pick_charges_only_what_shipped_and_releases_the_rest(world: FulfilmentWorld) -> None:
    # GIVEN an order of two laptops
    placed = world.place([(LAPTOP, 2)])
    (shipment,) = world.picks_requested(placed.order_id)
    # WHEN the warehouse finds only one, and it is delivered
    answer = world.packed(shipment["shipment_id"], [{"sku": LAPTOP, "quantity": 1}])
    world.waiting_for(placed, "await_delivery")
    world.tracked(placed.order_id, shipment["shipment_id"], "delivered")
    described = world.ended(placed)
    # THEN the unpicked laptop was released before booking, and only one was charged
    assert described["status"] == "SUCCEEDED", described
    assert answer.body["dropped"] == [{"sku": LAPTOP, "quantity": 1}]
    assert "Release short-picked lines" in world.visited(placed)
    ledger = _settled_in_full(world, placed)
    assert 0 < ledger["captured"] < ledger["authorised"]
    assert ledger["voided"] > 0
    assert _stock_matches_reservations(world, LAPTOP, "kyiv-dc") == (9, 0, 9)


def test_an_approved_review_goes_on_to_fulfilment(world: FulfilmentWorld) -> None:
    # GIVEN an order the fraud screening flagged, waiting for an agent
    placed = world.place([(LAPTOP, 1)], review=True)
    world.waiting_for(placed, "hold_for_review")
    # WHEN an agent approves it (twice)
    first, second = world.review(placed.order_id, "approve"), world.review(placed.order_id, "approve")
    (shipment,) = world.picks_requested(placed.order_id)
    # THEN the same answer twice (one decision, on the order's timeline), and fulfilment went on to the
    # warehouse after the wait
    assert (first.status, second.status) == (202, 202)
    assert first.body == second.body
    assert (first.body["order_id"], first.body["decision"]) == (placed.order_id, "approve")
    assert world.review(placed.order_id, "reject").status == 409
    _ship(world, placed, shipment)
    world.waiting_for(placed, "await_delivery")
    world.tracked(placed.order_id, shipment["shipment_id"], "delivered")
    assert world.ended(placed)["status"] == "SUCCEEDED"
    # AND "Allocate shipments" sent it to the review, which led back there: 8 transitions in all; both
    # invocations returned (the hold is an answer to the token, not a Lambda error that would page ops)
    assert world.visited(placed) == ["Allocate shipments", "Wait for fraud review", *HAPPY_PATH]
    assert [p["action"] for _, p in world.invoker.calls].count("allocate") == 2
    assert _settled_in_full(world, placed)["voided"] == 0


def _cancelled(world: FulfilmentWorld, placed: Placed) -> None:
    described = world.ended(placed)
    world.process_orders()  # the cancellation reaches checkout-events, which releases the stock
    assert described["status"] == "SUCCEEDED", described
    assert world.visited(placed)[-1] == "Order cancelled"
    ledger = _settled_in_full(world, placed)
    assert ledger["captured"] == 0
    assert _stock_matches_reservations(world, LAPTOP, "kyiv-dc") == (10, 0, 10)


def _never_allocated(world: FulfilmentWorld, placed: Placed) -> None:
    """ "Allocate shipments" sent the order to its review, which cancelled it: no shipment was planned."""
    assert world.visited(placed)[:2] == ["Allocate shipments", "Wait for fraud review"]
    assert world.visited(placed).count("Allocate shipments") == 1
    assert world._shipments(placed.order_id) == []


def test_a_rejected_review_cancels_the_order_and_gives_everything_back(world: FulfilmentWorld) -> None:
    # GIVEN a flagged order waiting for an agent
    placed = world.place([(LAPTOP, 1)], review=True)
    world.waiting_for(placed, "hold_for_review")
    # WHEN the agent rejects it
    assert world.review(placed.order_id, "reject").status == 202
    # THEN the order is cancelled: nothing captured, the authorisation voided, the laptop back in stock
    _cancelled(world, placed)
    _never_allocated(world, placed)
    assert world.review(placed.order_id, "approve").status == 409


def test_no_review_decision_in_time_cancels_the_order(world: FulfilmentWorld) -> None:
    # GIVEN orders held for review wait 1 second
    world.functions.override("checkout-events", FRAUD_REVIEW_TIMEOUT_S="1")
    placed = world.place([(LAPTOP, 1)], review=True)
    # WHEN nobody decides / THEN the order is cancelled and everything given back; a late decision is a 409
    _cancelled(world, placed)
    _never_allocated(world, placed)
    assert world.review(placed.order_id, "approve").status == 409


FORWARD_TASKS = [
    ("fulfilment-tasks", "allocate"),
    ("fulfilment-tasks", "request_pick"),
    ("carrier-tasks", "book"),
    ("payment-tasks", "capture"),
]


@pytest.mark.parametrize(("function", "action"), FORWARD_TASKS, ids=[f"{f}-{a}" for f, a in FORWARD_TASKS])
def test_a_failure_before_anything_shipped_voids_and_gives_everything_back(
    world: FulfilmentWorld, function: str, action: str
) -> None:
    # GIVEN the task fails for good
    world.fail(function, action)
    placed = world.place([(LAPTOP, 2)])
    if action != "allocate" and action != "request_pick":
        (shipment,) = world.picks_requested(placed.order_id)
        _ship(world, placed, shipment)
    # WHEN the workflow meets it
    described = world.ended(placed)
    world.process_orders()
    # THEN it compensated in reverse and failed for ops to see; nothing was charged, nothing stays held
    assert described["status"] == "FAILED", described
    assert described["error"] == "FulfilmentFailed"
    visited = world.visited(placed)
    assert visited[-2:] == ["Void authorisation", "Fulfilment failed"]
    # AND a booking or capture failed inside the Express child, which failed its one state in the workflow
    assert ("Book carrier and capture shipped lines" in visited) == (function != "fulfilment-tasks")
    ledger = _settled_in_full(world, placed)
    assert ledger["captured"] == 0
    assert _stock_matches_reservations(world, LAPTOP, "kyiv-dc") == (10, 0, 10)


def test_an_allocation_failing_after_an_approved_review_voids_and_gives_everything_back(
    world: FulfilmentWorld,
) -> None:
    # GIVEN a flagged order whose allocation fails for good once its review leads back to it (the first
    # invocation only routed it to the review)
    world.fail("fulfilment-tasks", "allocate", passing=1)
    placed = world.place([(LAPTOP, 2)], review=True)
    world.waiting_for(placed, "hold_for_review")
    # WHEN an agent approves it
    assert world.review(placed.order_id, "approve").status == 202
    described = world.ended(placed)
    world.process_orders()
    # THEN it compensated and failed for ops to see; nothing was charged, nothing stays held
    assert described["status"] == "FAILED", described
    assert described["error"] == "FulfilmentFailed"
    visited = world.visited(placed)
    assert visited[:3] == ["Allocate shipments", "Wait for fraud review", "Allocate shipments"]
    assert visited[-2:] == ["Void authorisation", "Fulfilment failed"]
    assert _settled_in_full(world, placed)["captured"] == 0
    assert _stock_matches_reservations(world, LAPTOP, "kyiv-dc") == (10, 0, 10)


def test_an_allocation_retried_after_it_answered_its_token_allocates_once(world: FulfilmentWorld) -> None:
    # GIVEN the first allocation's invocation fails after the function answered its own token (Lambda's
    # response lost: a transient error the Task retries; moto's retry passes the same token again, the
    # cloud's may pass a new one: either way the second answer is no error and changes nothing)
    failed = world.fail_after("fulfilment-tasks", "allocate", "Lambda.ServiceException")
    placed = world.place([(LAPTOP, 2)])
    # WHEN the retry answers and the order is packed and delivered
    (shipment,) = world.picks_requested(placed.order_id)
    _ship(world, placed, shipment)
    world.waiting_for(placed, "await_delivery")
    world.tracked(placed.order_id, shipment["shipment_id"], "delivered")
    described = world.ended(placed)
    # THEN the order took the happy path (a retry enters no state again), was invoked twice and allocated once
    assert described["status"] == "SUCCEEDED", described
    assert world.visited(placed) == HAPPY_PATH
    assert failed == [{"answered": "allocated"}]
    assert [p["action"] for _, p in world.invoker.calls].count("allocate") == 2
    assert [s["shipment_id"] for s in world._shipments(placed.order_id)] == [shipment["shipment_id"]]
    # AND the ledgers are whole: charged once, in full, the two laptops gone from stock
    assert _settled_in_full(world, placed)["voided"] == 0
    assert _stock_matches_reservations(world, LAPTOP, "kyiv-dc") == (8, 0, 8)


def test_a_failure_after_the_capture_keeps_the_charge_and_compensates_the_rest(
    world: FulfilmentWorld,
) -> None:
    # GIVEN the wait for delivery cannot even start (its task fails for good)
    world.fail("fulfilment-tasks", "await_delivery")
    placed = world.place([(LAPTOP, 2)])
    (shipment,) = world.picks_requested(placed.order_id)
    _ship(world, placed, shipment)
    # WHEN the workflow meets it
    described = world.ended(placed)
    # THEN it failed after compensating; the shipped goods stay charged, nothing is voided or held
    assert described["status"] == "FAILED"
    visited = world.visited(placed)
    assert "Release what did not ship" in visited
    assert "Void authorisation" not in visited
    ledger = _settled_in_full(world, placed)
    assert ledger["captured"] == ledger["authorised"]
    assert _stock_matches_reservations(world, LAPTOP, "kyiv-dc") == (8, 0, 8)


def test_a_failing_compensation_ends_for_ops_to_finish(world: FulfilmentWorld) -> None:
    # GIVEN the capture fails, and so does the void that compensates it
    world.fail("payment-tasks", "capture")
    world.fail("payment-tasks", "void")
    placed = world.place([(LAPTOP, 1)])
    (shipment,) = world.picks_requested(placed.order_id)
    _ship(world, placed, shipment)
    # WHEN the workflow meets them
    described = world.ended(placed)
    # THEN it ends as a compensation failure (the alarm), with the booking already cancelled
    assert described["status"] == "FAILED"
    assert described["error"] == "CompensationFailed"
    assert "Cancel booking" in world.visited(placed)
