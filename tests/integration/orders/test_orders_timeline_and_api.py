"""orders-events and orders-api driven as their functions with real-shaped events: the timeline a customer
reads, staff search and the order view, cancellation requests."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from tests.conformance import answers_for, served_document
from tests.integration.orders.conftest import (
    AGENT,
    CUSTOMER,
    ORDER_ID,
    STRANGER,
    bus_event,
    customer_order,
    orders_event,
    place,
    placed,
    requested,
    sqs_batch,
    tracking,
)
from tests.support import reply_from


def _api(functions: Any, event: dict[str, Any], context: Any) -> tuple[int, dict[str, Any]]:
    """orders-api's answer to ``event``; it must be what the served OpenAPI document says of it."""
    answer = functions.invoke("orders-api", event, context)
    documented = answers_for("orders", lambda: served_document("orders.handlers.api", "/orders/openapi.json"))
    documented.check(event["httpMethod"], event["path"], reply_from(answer))
    return answer["statusCode"], json.loads(answer["body"])


def _project(functions: Any, context: Any, *events: dict[str, Any]) -> None:
    assert functions.invoke("orders-events", sqs_batch(list(events)), context) == {"batchItemFailures": []}


def test_the_customer_reads_paid_confirmed_dispatched_in_transit_delivered_whatever_order_events_arrive_in(
    orders_stack: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    # GIVEN a customer's authorised order, and its news delivered backwards, some of it twice
    place(orders_stack, customer_order())
    news = [
        tracking("delivered", 3, "2026-12-03T11:00:00.000Z"),
        tracking("in_transit", 2, "2026-12-02T20:00:00.000Z"),
        tracking("dispatched", 1, "2026-12-02T15:00:00.000Z"),
        requested(),
        placed(),
    ]
    _project(functions, lambda_context, *news)
    _project(functions, lambda_context, news[0], news[3])
    # WHEN the customer reads the order
    status, body = _api(functions, orders_event("GET", f"/me/orders/{ORDER_ID}"), lambda_context)
    # THEN it is delivered, each transition once and in the order it happened, with who made it
    assert status == 200
    assert body["stage"] == "delivered"
    steps = [(e["what"], e.get("stage"), e["actor"]["kind"], e.get("reason")) for e in body["timeline"]]
    assert steps == [
        ("OrderCreated", "pending_payment", "customer", None),
        ("OrderPlaced", "paid", "system", None),
        ("FulfilmentRequested", "confirmed", "system", "sent to kyiv-dc to pick and pack"),
        ("ShipmentStatusChanged", None, "carrier", "dispatched"),
        ("ShipmentStatusChanged", None, "carrier", "in_transit"),
        ("ShipmentStatusChanged", None, "carrier", "delivered"),
    ]
    # AND the shipment shows its latest report with the carrier's tracking page
    assert body["shipments"] == [
        {
            "shipment_id": "shp_1",
            "carrier": "nova-poshta",
            "tracking_number": "20450000000001",
            "status": "delivered",
            "updated_at": "2026-12-03T11:00:00.000Z",
            "kind": "delivery",
            "pickup_store": None,
            "tracking_url": "https://novaposhta.ua/tracking/?cargo_number=20450000000001",
        }
    ]


def _transfer_requested() -> dict[str, Any]:
    event = requested()
    event["detail"]["data"].update(kind="transfer", transfer_to="lviv-store")
    return event


def _in_store(detail_type: str, at: str) -> dict[str, Any]:
    data = {"order_id": ORDER_ID, "shipment_id": "shp_1", "location_id": "lviv-store", "kind": "transfer"}
    if detail_type == "ShipmentReadyForCollection":
        data |= {"ready_at": at, "collect_by": "2026-12-10T11:05:00.000Z"}
    else:
        data |= {"collected_at": at}
    return bus_event("shop.fulfilment", detail_type, data, f"{detail_type}-{ORDER_ID}", at)


def test_a_transfer_to_a_pickup_store_reads_ready_for_collection_then_collected_never_delivered(
    orders_stack: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    # GIVEN a customer's order carried to the Lviv store for pickup, the carrier's "delivered" (to the
    # store) arriving before fulfilment's request that says it is a transfer
    place(orders_stack, customer_order())
    _project(functions, lambda_context, placed(), tracking("delivered", 3, "2026-12-03T11:00:00.000Z"))
    _project(functions, lambda_context, _transfer_requested())
    # WHEN the customer reads the order
    status, body = _api(functions, orders_event("GET", f"/me/orders/{ORDER_ID}"), lambda_context)
    # THEN it waits in the store for them: ready for collection, not delivered
    assert status == 200
    assert body["stage"] == "ready_for_collection"
    (shipment,) = body["shipments"]
    assert (shipment["status"], shipment["kind"], shipment["pickup_store"]) == (
        "ready_for_collection",
        "transfer",
        "lviv-store",
    )
    # WHEN the store has it ready and the shopper collects it
    _project(
        functions,
        lambda_context,
        _in_store("ShipmentReadyForCollection", "2026-12-03T11:05:00.000Z"),
        _in_store("ShipmentCollected", "2026-12-04T09:00:00.000Z"),
    )
    status, body = _api(functions, orders_event("GET", f"/me/orders/{ORDER_ID}"), lambda_context)
    # THEN it is collected, the store's two steps on the timeline
    assert body["stage"] == "collected"
    assert body["shipments"][0]["status"] == "collected"
    reasons = [e.get("reason") for e in body["timeline"] if e["what"].startswith("ShipmentReady")]
    assert reasons == ["ready for collection in lviv-store until 2026-12-10T11:05:00.000Z"]
    assert body["timeline"][-1]["what"] == "ShipmentCollected"


def test_another_customers_order_is_not_found_and_the_list_shows_stages(
    orders_stack: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    # GIVEN the customer's order, paid and sent to the warehouse
    place(orders_stack, customer_order())
    _project(functions, lambda_context, placed(), requested())
    # WHEN someone else asks for it, and the customer lists theirs
    other, problem = _api(
        functions, orders_event("GET", f"/me/orders/{ORDER_ID}", sub=STRANGER), lambda_context
    )
    status, listed = _api(functions, orders_event("GET", "/me/orders"), lambda_context)
    # THEN the stranger gets a 404 (as for no order), the customer sees it confirmed
    assert other == 404
    assert problem["status"] == 404
    assert status == 200
    assert [(o["id"], o["stage"]) for o in listed["orders"]] == [(ORDER_ID, "confirmed")]


def test_staff_find_orders_by_stage_email_phone_number_and_dates_page_by_page(
    orders_stack: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    # GIVEN three paid orders on two days, one of them also in transit
    ids = [
        "ord_01JDQ4Z9K8M2N5P7R9T1V3X5Z1",
        "ord_01JDQ4Z9K8M2N5P7R9T1V3X5Z2",
        "ord_01JDQ4Z9K8M2N5P7R9T1V3X5Z3",
    ]
    days = ["2026-12-01T10:00:00.000Z", "2026-12-02T10:00:00.000Z", "2026-12-02T12:00:00.000Z"]
    for order_id, day in zip(ids, days, strict=True):
        place(orders_stack, customer_order(order_id, created_at=day))
        _project(functions, lambda_context, placed(order_id, day))
    _project(functions, lambda_context, tracking("in_transit", 2, "2026-12-02T20:00:00.000Z", ids[2]))

    def search(**query: str) -> tuple[int, dict[str, Any]]:
        return _api(
            functions,
            orders_event("GET", "/admin/orders", sub=AGENT, groups="agents", query=query),
            lambda_context,
        )

    # WHEN staff search by stage, a page at a time
    _, first = search(status="paid", limit="1")
    _, second = search(status="paid", limit="1", cursor=first["next_cursor"])
    # THEN the paid orders come newest first across pages
    assert [o["id"] for o in first["items"] + second["items"]] == [ids[1], ids[0]]
    # AND by e-mail (any case), phone (any spelling), number and dates
    _, by_email = search(email="olena@EXAMPLE.com", since="2026-12-02")
    assert [o["id"] for o in by_email["items"]] == [ids[2], ids[1]]
    _, by_phone = search(phone="+380441234567", status="in_transit")
    assert [(o["id"], o["stage"]) for o in by_phone["items"]] == [(ids[2], "in_transit")]
    _, by_number = search(order=ids[0])
    assert [o["id"] for o in by_number["items"]] == [ids[0]]
    _, on_day = search(status="paid", since="2026-12-01", until="2026-12-01")
    assert [o["id"] for o in on_day["items"]] == [ids[0]]
    # AND a search without criteria, or with another search's cursor, is a 422
    assert search()[0] == 422
    assert search(status="in_transit", cursor=first["next_cursor"])[0] == 422


def test_staff_read_an_order_with_payments_timeline_and_the_workflow_execution(
    orders_stack: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    # GIVEN a paid order
    place(orders_stack, customer_order())
    _project(functions, lambda_context, placed())
    # WHEN an agent reads it
    status, body = _api(
        functions,
        orders_event("GET", f"/admin/orders/{ORDER_ID}", sub=AGENT, groups="agents"),
        lambda_context,
    )
    # THEN the buyer's contact, the payment and the workflow's console link are there
    assert status == 200
    assert body["email"] == "Olena@Example.com"
    assert body["buyer"]["key"] == CUSTOMER
    assert body["payments"]["status"] == "authorized"
    assert body["payments"]["charges"] == []
    assert body["workflow"]["execution_arn"].endswith(f":execution:shop-test-order-fulfilment:{ORDER_ID}")
    assert "console.aws.amazon.com/states" in body["workflow"]["console_url"]
    # AND a customer token is refused there
    refused, _ = _api(functions, orders_event("GET", f"/admin/orders/{ORDER_ID}"), lambda_context)
    assert refused == 403


def test_a_cancellation_is_asked_before_dispatch_refused_after_and_its_outcome_comes_onto_the_order(
    orders_stack: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    # GIVEN a paid, confirmed order of two laptops
    place(orders_stack, customer_order())
    _project(functions, lambda_context, placed(), requested())
    path = f"/me/orders/{ORDER_ID}/cancellation"
    # WHEN the customer asks for one laptop too many, then for one
    too_many, problem = _api(
        functions,
        orders_event("POST", path, {"lines": [{"sku": "LAP-A-BLK", "quantity": 3}], "reason": "x"}),
        lambda_context,
    )
    status, asked = _api(
        functions,
        orders_event(
            "POST", path, {"lines": [{"sku": "LAP-A-BLK", "quantity": 1}], "reason": "one is enough"}
        ),
        lambda_context,
    )
    # THEN the first is a 422 naming the quantity, the second is accepted
    assert too_many == 422
    assert problem["errors"][0]["field"] == "body.lines.0.quantity"
    assert status == 202
    assert asked["lines"] == [{"sku": "LAP-A-BLK", "quantity": 1}]
    # WHEN fulfilment answers that it cancelled the line, and the parcel leaves later
    answer = {
        "order_id": ORDER_ID,
        "lines": [{"sku": "LAP-A-BLK", "quantity": 1}],
        "amount_released": {"amount": 5000, "currency": "UAH"},
        "cancelled_at": "2026-12-02T10:05:00.000Z",
    }
    lines_cancelled = bus_event(
        "shop.fulfilment", "OrderLinesCancelled", answer, "lines-1", "2026-12-02T10:05:00.000Z"
    )
    _project(
        functions, lambda_context, lines_cancelled, tracking("dispatched", 1, "2026-12-02T15:00:00.000Z")
    )
    # THEN the order shows the request (who, why), the cancelled line, and is dispatched
    _, body = _api(functions, orders_event("GET", f"/me/orders/{ORDER_ID}"), lambda_context)
    request = next(e for e in body["timeline"] if e["what"] == "OrderCancellationRequested")
    assert request["actor"] == {"kind": "customer", "id": CUSTOMER}
    assert request["reason"] == "one is enough"
    assert body["cancelled_lines"] == [{"sku": "LAP-A-BLK", "quantity": 1}]
    assert body["stage"] == "dispatched"
    # AND an agent's request now is refused with a 409 problem
    refused, problem = _api(
        functions,
        orders_event(
            "POST",
            f"/admin/orders/{ORDER_ID}/cancellation",
            {"reason": "customer called"},
            sub=AGENT,
            groups="agents",
        ),
        lambda_context,
    )
    assert refused == 409
    assert problem["code"] == "already_dispatched"


def test_fulfilment_cancelling_the_whole_order_makes_it_cancelled(
    orders_stack: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    # GIVEN a paid order an agent asked to cancel
    place(orders_stack, customer_order())
    _project(functions, lambda_context, placed())
    path = f"/admin/orders/{ORDER_ID}/cancellation"
    status, _ = _api(
        functions,
        orders_event("POST", path, {"reason": "fraud call"}, sub=AGENT, groups="ops"),
        lambda_context,
    )
    assert status == 202
    # WHEN fulfilment announces the order cancelled (with who asked)
    data = {
        "order_id": ORDER_ID,
        "reason": "fraud call",
        "cancelled_at": "2026-12-02T10:10:00.000Z",
        "requested_by": {"kind": "agent", "id": AGENT},
    }
    _project(
        functions,
        lambda_context,
        bus_event("shop.fulfilment", "OrderCancelled", data, "cancelled-1", data["cancelled_at"]),
    )
    # THEN the order is cancelled, the agent named on its timeline
    _, body = _api(functions, orders_event("GET", f"/me/orders/{ORDER_ID}"), lambda_context)
    assert body["stage"] == "cancelled"
    assert body["timeline"][-1]["actor"] == {"kind": "agent", "id": AGENT}


def test_a_line_of_an_order_waiting_in_the_store_is_cancelled_by_the_customer_or_staff_until_collected(
    orders_stack: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    # GIVEN two laptops carried to the Lviv store, ready there for their shopper
    place(orders_stack, customer_order())
    _project(functions, lambda_context, placed(), _transfer_requested())
    _project(functions, lambda_context, _in_store("ShipmentReadyForCollection", "2026-12-03T11:05:00.000Z"))
    one = {"lines": [{"sku": "LAP-A-BLK", "quantity": 1}], "reason": "one is enough"}
    # WHEN the customer asks to cancel one laptop, and ops staff the other
    mine, asked = _api(
        functions, orders_event("POST", f"/me/orders/{ORDER_ID}/cancellation", one), lambda_context
    )
    staff_path = f"/admin/orders/{ORDER_ID}/cancellation"
    theirs, _ = _api(
        functions,
        orders_event("POST", staff_path, one | {"reason": "called"}, sub=AGENT, groups="ops"),
        lambda_context,
    )
    # THEN both are accepted for fulfilment to decide, each on the timeline with who asked and why
    assert (mine, theirs) == (202, 202)
    assert asked["lines"] == [{"sku": "LAP-A-BLK", "quantity": 1}]
    _, body = _api(functions, orders_event("GET", f"/me/orders/{ORDER_ID}"), lambda_context)
    requests = [e for e in body["timeline"] if e["what"] == "OrderCancellationRequested"]
    assert [(e["actor"]["kind"], e["reason"]) for e in requests] == [
        ("customer", "one is enough"),
        ("agent", "called"),
    ]
    # WHEN fulfilment took one laptop off the shipment, and the shopper collected the other
    answer = {
        "order_id": ORDER_ID,
        "lines": [{"sku": "LAP-A-BLK", "quantity": 1}],
        "amount_released": {"amount": 5000, "currency": "UAH"},
        "cancelled_at": "2026-12-03T12:00:00.000Z",
    }
    lines_cancelled = bus_event(
        "shop.fulfilment", "OrderLinesCancelled", answer, "lines-store", "2026-12-03T12:00:00.000Z"
    )
    _project(
        functions, lambda_context, lines_cancelled, _in_store("ShipmentCollected", "2026-12-04T09:00:00.000Z")
    )
    # THEN the order shows the cancelled laptop and is collected; a request now is a 409 problem
    _, body = _api(functions, orders_event("GET", f"/me/orders/{ORDER_ID}"), lambda_context)
    assert body["cancelled_lines"] == [{"sku": "LAP-A-BLK", "quantity": 1}]
    assert body["stage"] == "collected"
    refused, problem = _api(
        functions, orders_event("POST", f"/me/orders/{ORDER_ID}/cancellation", one), lambda_context
    )
    assert refused == 409
    assert problem["code"] == "already_dispatched"
