"""Electronic lines (e-certificates: the catalog's ``fulfilment`` attribute is ``digital``) in the order
fulfilment workflow, end to end in moto: they hold no stock and are never shipped, they are charged as a
shipment of their own (``Charge electronic lines``) when the order is confirmed, and fulfilment announces
``ElectronicLinesFulfilled``; the orders context confirms the order (``OrderConfirmed``), on which loyalty
issues the certificates (followed here through the rules' queues and the consumers). Ledgers checked as in
the other workflow tests: captured + voided = authorised, nothing left capturable, reserved = what active
holds hold."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from infra.local.lambda_tasks import HarnessInvoker, routed_to
from tests.integration.cart.conftest import catalog_events_batch, product_snapshot
from tests.workflows.fulfilment_world import FulfilmentWorld, Placed, sqs_event, tracking_batch
from tests.workflows.test_order_fulfilment import (
    HAPPY_PATH,
    LAPTOP,
    _settled_in_full,
    _ship,
    _stock_matches_reservations,
)

ECERT = "ECERT-25"
ECERT_EUR = 2_500
ECERT_UAH = ECERT_EUR * 88  # the guest carts here are in UAH


def ecertificate_published() -> Any:
    """The catalog's ``ProductPublished`` of an e-certificate: a gift certificate delivered electronically."""
    from catalog.domain.events import ProductPublished, ProductSnapshot, event_id
    from shop_kernel.events import make_event

    product = product_snapshot("prod_ecert", 1, [(ECERT, ECERT_EUR, ECERT_UAH)])
    product["attributes"] = [
        {"code": "gift_certificate", "label": {"en": "Gift certificate"}, "kind": "boolean", "value": True},
        {"code": "fulfilment", "label": {"en": "Fulfilment"}, "kind": "enum", "value": "digital"},
    ]
    snapshot = ProductSnapshot.model_validate(product)
    return make_event(
        "shop.catalog",
        "ProductPublished",
        ProductPublished(product=snapshot),
        version="1.0",
        occurred_at="2026-11-01T10:00:00.000Z",
        event_id=event_id("prod_ecert", 1, "ProductPublished"),
    )


@pytest.fixture
def world(
    executing_workflows: None,
    carrier_standin: Any,
    shop: Any,
    functions: Any,
    lambda_context: Any,
    cart: Any,
    checkout: Any,
    webhook: Any,
) -> Iterator[FulfilmentWorld]:
    batch = catalog_events_batch([ecertificate_published()])
    for consumer in ("cart-catalog-projector", "loyalty-earning"):  # the cart's and loyalty's SKU facts
        assert functions.invoke(consumer, batch, lambda_context) == {"batchItemFailures": []}
    invoker = HarnessInvoker(functions)
    with routed_to(invoker):
        yield FulfilmentWorld(shop, functions, lambda_context, invoker, cart, checkout, webhook)


def _drain(world: FulfilmentWorld, queue_name: str, function: str) -> list[dict[str, Any]]:
    """What the rules queued on ``queue_name``, handed to ``function`` as its event source mapping would
    (a failed record is redelivered, a few rounds at most: events of one order may arrive out of order);
    the bodies handed over."""
    queue = world.shop.provisioned["queues"][queue_name]
    sqs = world.sqs  # made before any execution ran (see FulfilmentWorld.sqs)
    bodies: list[dict[str, Any]] = []
    for _ in range(5):
        messages = sqs.receive_message(
            QueueUrl=queue["url"], MaxNumberOfMessages=10, VisibilityTimeout=0
        ).get("Messages", [])
        if not messages:
            break
        answer = world.invoke(function, sqs_event(messages, queue["arn"]))
        failed = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
        for message in messages:
            if message["MessageId"] not in failed:
                bodies.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=queue["url"], ReceiptHandle=message["ReceiptHandle"])
    return bodies


def _followed_to_loyalty(world: FulfilmentWorld) -> list[tuple[str, str, str]]:
    """Every order's events through the orders context (its projector) to loyalty's consumer: the
    ``(order id, source, detail-type)`` of each handed over, in order."""
    handed = _drain(world, "orders-events", "orders-events") + _drain(
        world, "loyalty-order-events", "loyalty-earning"
    )
    return [
        (str((b["detail"].get("data") or {}).get("order_id")), b["source"], b["detail-type"]) for b in handed
    ]


def _certificates(world: FulfilmentWorld, order_id: str) -> list[dict[str, Any]]:
    """The gift certificates loyalty's table holds for the order (a test-only Scan)."""
    from shop_kernel.dynamo import deserialize

    table = world.shop.provisioned["tables"]["loyalty"]["name"]
    items = [deserialize(i) for i in world.shop.dynamodb.scan(TableName=table)["Items"]]
    return [i for i in items if i.get("type") == "gift_certificate" and i["doc"].get("order_id") == order_id]


def _ledger_entries(world: FulfilmentWorld, order_id: str) -> list[dict[str, Any]]:
    """The points ledger's entries for the order (a test-only Scan of loyalty's table)."""
    from shop_kernel.dynamo import deserialize

    table = world.shop.provisioned["tables"]["loyalty"]["name"]
    items = [deserialize(i) for i in world.shop.dynamodb.scan(TableName=table)["Items"]]
    return [i for i in items if i.get("type") == "entry" and i.get("order_id") == order_id]


def _stage(world: FulfilmentWorld, order_id: str) -> str:
    """The order's stage as the orders context computes it from what its projector recorded."""
    import orders.wiring

    page = world.functions.run("orders-events", lambda: orders.wiring.container.store().order_page(order_id))
    assert page is not None
    return str(page.stage.value)


def _charges(world: FulfilmentWorld, placed: Placed) -> list[dict[str, Any]]:
    return [
        p for n, p in world.invoker.calls if n == "payment-tasks" and p.get("order_id") == placed.order_id
    ]


def test_an_order_of_electronic_lines_only_is_charged_and_confirmed_without_a_shipment(
    world: FulfilmentWorld,
) -> None:
    # GIVEN a paid order of two e-certificates (no stock anywhere: they have none)
    placed = world.place([(ECERT, 2)])
    # WHEN the workflow runs
    described = world.ended(placed)
    # THEN it charged the electronic lines, planned no shipment and ended, in 4 transitions
    assert described["status"] == "SUCCEEDED", described
    assert world.visited(placed) == [
        "Allocate shipments",
        "Charge electronic lines",
        "Allocate shipments",
        "Fulfil each shipment",
    ]
    assert [c["action"] for c in _charges(world, placed)] == ["capture_electronic"]
    # AND the whole authorisation was captured (nothing voided, nothing left capturable)
    ledger = _settled_in_full(world, placed)
    assert (ledger["captured"], ledger["voided"]) == (2 * ECERT_UAH, 0)
    # AND the orders context confirmed it on fulfilment's word, and loyalty issued its two certificates
    followed = _followed_to_loyalty(world)
    assert (placed.order_id, "shop.fulfilment", "ElectronicLinesFulfilled") in followed
    assert (placed.order_id, "shop.orders", "OrderConfirmed") in followed
    issued = _certificates(world, placed.order_id)
    assert sorted(c["balance"] for c in issued) == [ECERT_UAH, ECERT_UAH]
    # AND it is delivered (by e-mail: nothing ships), announced once with the delivered event loyalty
    # earns on, which loyalty's consumer took
    assert _stage(world, placed.order_id) == "delivered"
    assert followed.count((placed.order_id, "shop.orders", "OrderDelivered")) == 1
    assert [e["reason"] for e in _ledger_entries(world, placed.order_id)] == ["order"]


def test_a_mixed_order_charges_its_electronic_lines_first_and_ships_the_rest(world: FulfilmentWorld) -> None:
    # GIVEN a paid order of a laptop (Kyiv DC holds 10) and an e-certificate
    placed = world.place([(LAPTOP, 1), (ECERT, 1)])
    # WHEN the laptop's single shipment is picked (the e-certificate is in no shipment) and delivered
    (shipment,) = world.picks_requested(placed.order_id)
    assert shipment["lines"] == [{"sku": LAPTOP, "quantity": 1}]
    _ship(world, placed, shipment)
    world.waiting_for(placed, "await_delivery")
    world.tracked(placed.order_id, shipment["shipment_id"], "delivered")
    described = world.ended(placed)
    # THEN the physical path is the single-shipment one with the charge of the electronic lines before it
    assert described["status"] == "SUCCEEDED", described
    assert world.visited(placed) == [HAPPY_PATH[0], "Charge electronic lines", *HAPPY_PATH]
    # AND the whole order was captured; the laptop left the warehouse, nothing stays reserved
    ledger = _settled_in_full(world, placed)
    assert ledger["voided"] == 0
    assert ledger["captured"] == ledger["authorised"]
    assert _stock_matches_reservations(world, LAPTOP, "kyiv-dc") == (9, 0, 9)
    # AND the order was confirmed and its certificate issued, once; the e-certificate alone does not make
    # it delivered
    followed = _followed_to_loyalty(world)
    assert followed.count((placed.order_id, "shop.orders", "OrderConfirmed")) == 1
    assert [c["balance"] for c in _certificates(world, placed.order_id)] == [ECERT_UAH]
    assert _stage(world, placed.order_id) == "confirmed"
    # WHEN the carrier's news of the laptop reaches the orders context too (its own rule in the stack)
    news = tracking_batch(placed.order_id, shipment["shipment_id"], "delivered")
    assert world.invoke("orders-events", news) == {"batchItemFailures": []}
    # THEN the order is delivered with its last physical shipment, announced once
    followed += _followed_to_loyalty(world)
    assert _stage(world, placed.order_id) == "delivered"
    assert followed.count((placed.order_id, "shop.orders", "OrderDelivered")) == 1


def test_an_order_held_for_review_charges_its_electronic_lines_only_when_approved(
    world: FulfilmentWorld,
) -> None:
    # GIVEN two flagged orders of an e-certificate, waiting for an agent
    approved = world.place([(ECERT, 1)], review=True)
    rejected = world.place([(ECERT, 1)], review=True, email="petro@example.com", ip="203.0.113.8")
    world.waiting_for(approved, "hold_for_review")
    world.waiting_for(rejected, "hold_for_review")
    assert _charges(world, approved) == []
    # WHEN an agent approves one and rejects the other
    assert world.review(approved.order_id, "approve").status == 202
    assert world.review(rejected.order_id, "reject").status == 202
    # THEN the approved one is charged in full and confirmed
    assert world.ended(approved)["status"] == "SUCCEEDED"
    assert world.visited(approved) == [
        "Allocate shipments",
        "Wait for fraud review",
        "Allocate shipments",
        "Charge electronic lines",
        "Allocate shipments",
        "Fulfil each shipment",
    ]
    assert _settled_in_full(world, approved)["voided"] == 0
    # AND the rejected one is cancelled: nothing charged, the authorisation voided, never confirmed
    world.ended(rejected)
    assert world.visited(rejected)[-1] == "Order cancelled"
    assert "Charge electronic lines" not in world.visited(rejected)
    assert _settled_in_full(world, rejected)["captured"] == 0
    world.process_orders()  # checkout-events publishes the rejected order's OrderCancelled
    # AND loyalty issued the approved order's certificate and none for the rejected one
    followed = _followed_to_loyalty(world)
    assert (approved.order_id, "shop.orders", "OrderConfirmed") in followed
    assert (rejected.order_id, "shop.checkout", "OrderCancelled") in followed
    assert (rejected.order_id, "shop.orders", "OrderConfirmed") not in followed
    assert len(_certificates(world, approved.order_id)) == 1
    assert _certificates(world, rejected.order_id) == []
