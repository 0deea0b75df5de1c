"""Electronic lines (e-certificates: the catalog's ``fulfilment`` attribute is ``digital``) in the order
fulfilment workflow, end to end in moto: they hold no stock and are never shipped, they are charged as a
shipment of their own (``Charge electronic lines``) when the order is confirmed, and fulfilment announces
``OrderConfirmed`` (on which loyalty issues the certificates). Ledgers checked as in the other workflow
tests: captured + voided = authorised, nothing left capturable, reserved = what active holds hold."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from infra.local.lambda_tasks import HarnessInvoker, routed_to
from tests.conftest import REGION
from tests.integration.cart.conftest import catalog_events_batch, product_snapshot
from tests.workflows.fulfilment_world import FulfilmentWorld, Placed
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
    assert functions.invoke("cart-catalog-projector", batch, lambda_context) == {"batchItemFailures": []}
    invoker = HarnessInvoker(functions)
    with routed_to(invoker):
        yield FulfilmentWorld(shop, functions, lambda_context, invoker, cart, checkout, webhook)


def _confirmations(world: FulfilmentWorld, order_id: str) -> list[dict[str, Any]]:
    """fulfilment's ``OrderConfirmed`` events for the order, as the rule queued them for the orders context."""
    queue = world.shop.provisioned["queues"]["orders-events"]
    sqs = boto3.client("sqs", region_name=REGION)
    found = []
    while messages := sqs.receive_message(QueueUrl=queue["url"], MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            body = json.loads(message["Body"])
            data = body["detail"]["data"]
            if body["detail-type"] == "OrderConfirmed" and data.get("order_id") == order_id:
                found.append({"source": body["source"], "id": body["detail"]["metadata"]["eventId"], **data})
            sqs.delete_message(QueueUrl=queue["url"], ReceiptHandle=message["ReceiptHandle"])
    return found


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
        "Needs fraud review?",
        "Charge electronic lines",
        "Allocate shipments",
        "Fulfil each shipment",
    ]
    assert [c["action"] for c in _charges(world, placed)] == ["capture_electronic"]
    # AND the whole authorisation was captured (nothing voided, nothing left capturable)
    ledger = _settled_in_full(world, placed)
    assert (ledger["captured"], ledger["voided"]) == (2 * ECERT_UAH, 0)
    # AND fulfilment confirmed the order once
    (confirmed,) = _confirmations(world, placed.order_id)
    assert (confirmed["source"], confirmed["reason"]) == ("shop.fulfilment", "electronic lines charged")


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
    assert world.visited(placed) == [HAPPY_PATH[0], "Charge electronic lines", *HAPPY_PATH[1:]]
    # AND the whole order was captured; the laptop left the warehouse, nothing stays reserved
    ledger = _settled_in_full(world, placed)
    assert ledger["voided"] == 0
    assert ledger["captured"] == ledger["authorised"]
    assert _stock_matches_reservations(world, LAPTOP, "kyiv-dc") == (9, 0, 9)
    # AND fulfilment confirmed the order (once: the id is the order's)
    assert (
        len({c["id"] for c in _confirmations(world, placed.order_id) if c["source"] == "shop.fulfilment"})
        == 1
    )


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
    assert world.visited(approved)[:3] == [
        "Needs fraud review?",
        "Wait for fraud review of electronic lines",
        "Charge electronic lines",
    ]
    assert _settled_in_full(world, approved)["voided"] == 0
    # AND the rejected one is cancelled: nothing charged, the authorisation voided, never confirmed
    world.ended(rejected)
    assert world.visited(rejected)[-1] == "Order cancelled"
    assert "Charge electronic lines" not in world.visited(rejected)
    assert _settled_in_full(world, rejected)["captured"] == 0
    assert _confirmations(world, rejected.order_id) == []
