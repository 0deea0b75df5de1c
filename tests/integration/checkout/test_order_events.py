"""The orders stream (checkout-events) and the unpaid-order sweeper: fulfilment started once,
OrderPlaced / OrderCancelled / PaymentFailed on the bus, stock released once, unpaid orders expired."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from tests.conftest import REGION
from tests.integration.checkout.conftest import (
    ADDRESS,
    OrdersStream,
    deliver,
    guest_cart,
    item,
    new_key,
    pay,
    stock,
)
from tests.support import Reply, order_json

BODY = {"email": "olena@example.com", "shipping_address": ADDRESS}


@pytest.fixture
def event_log(checkout_stack: SimpleNamespace) -> Callable[[], list[dict[str, Any]]]:
    """Everything that reached the stage's event-log queue (every ``shop.*`` event on the bus)."""
    from infra.resources import physical_name

    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.get_queue_url(QueueName=physical_name("test", "event-log"))["QueueUrl"]
    seen: list[dict[str, Any]] = []

    def read() -> list[dict[str, Any]]:
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            seen.extend(json.loads(m["Body"]) for m in messages)
            sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )
        return [e for e in seen if e["source"] == "shop.checkout"]

    return read


@pytest.fixture
def process(
    checkout_stack: SimpleNamespace, lambda_context: Any, functions: Any
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def _process(batch: dict[str, Any]) -> dict[str, Any]:
        return functions.invoke("checkout-events", batch, lambda_context)  # type: ignore[no-any-return]

    return _process


def _executions(stack: SimpleNamespace) -> list[dict[str, Any]]:
    arn = stack.provisioned["workflows"]["order-fulfilment"]["arn"]
    return list(
        boto3.client("stepfunctions", region_name=REGION).list_executions(stateMachineArn=arn)["executions"]
    )


def _checkout(cart: Callable[..., Reply], checkout: Callable[..., Reply]) -> dict[str, Any]:
    token = guest_cart(cart, [("LAP-A-BLK", 2)])
    placed = checkout("POST", "/checkout", BODY, token=token, key=new_key())
    assert placed.status == 201, placed.body
    return dict(placed.body)


def test_a_placed_order_starts_fulfilment_once_and_announces_itself(
    cart: Callable[..., Reply],
    checkout: Callable[..., Reply],
    webhook: Callable[[str, str | None], Reply],
    shop: SimpleNamespace,
    orders_stream: OrdersStream,
    process: Callable[[dict[str, Any]], dict[str, Any]],
    event_log: Callable[[], list[dict[str, Any]]],
) -> None:
    # GIVEN an order whose payment was authorised
    placed = _checkout(cart, checkout)
    order_id, intent_id = placed["order"]["id"], placed["payment"]["payment_intent_id"]
    pay(shop.standin, intent_id)
    deliver(shop.standin, webhook, ("payment_intent.amount_capturable_updated",), intent_id)
    # WHEN the orders stream's batch reaches checkout-events, and the same batch is delivered again
    batch = orders_stream.batch()
    first, replayed = process(batch), process(batch)
    # THEN no record failed, the fulfilment workflow runs once, named after the order
    assert first == replayed == {"batchItemFailures": []}
    (execution,) = _executions(shop)
    assert execution["name"] == order_id
    described = boto3.client("stepfunctions", region_name=REGION).describe_execution(
        executionArn=execution["executionArn"]
    )
    assert json.loads(described["input"])["review_required"] is False
    # AND OrderPlaced was published with a stable id (the replay repeats that id, it adds no other event)
    placed_events = [e for e in event_log() if e["detail-type"] == "OrderPlaced"]
    assert {e["detail"]["metadata"]["eventId"] for e in placed_events} == {
        placed_events[0]["detail"]["metadata"]["eventId"]
    }
    data = placed_events[0]["detail"]["data"]
    assert (data["order_id"], data["destination_country"], data["review_required"]) == (
        order_id,
        "UA",
        False,
    )
    assert "email" not in data  # ids, not personal data (v2.0)
    assert "shipping_address" not in data
    assert [(line["sku"], line["quantity"]) for line in data["lines"]] == [("LAP-A-BLK", 2)]
    assert data["totals"]["grand_total"] == placed["order"]["totals"]["grand_total"]


def test_a_cancelled_order_gives_its_stock_back_once(
    cart: Callable[..., Reply],
    checkout: Callable[..., Reply],
    webhook: Callable[[str, str | None], Reply],
    shop: SimpleNamespace,
    orders_stream: OrdersStream,
    process: Callable[[dict[str, Any]], dict[str, Any]],
    event_log: Callable[[], list[dict[str, Any]]],
) -> None:
    import stripe

    from tests.integration.checkout.conftest import API_KEY

    # GIVEN an order with 2 laptops reserved whose payment is cancelled
    placed = _checkout(cart, checkout)
    intent_id = placed["payment"]["payment_intent_id"]
    assert stock(shop, "LAP-A-BLK", "kyiv-dc") == (10, 2, 8)
    stripe.StripeClient(API_KEY, base_addresses={"api": shop.standin.url}).v1.payment_intents.cancel(
        intent_id
    )
    deliver(shop.standin, webhook, ("payment_intent.canceled",), intent_id)
    # WHEN the stream delivers the change twice
    batch = orders_stream.batch()
    process(batch)
    process(batch)
    # THEN the 2 units are available again (once), the reservation is released, OrderCancelled published
    assert stock(shop, "LAP-A-BLK", "kyiv-dc") == (10, 0, 10)
    order = order_json(item(shop, shop.orders, f"ORDER#{placed['order']['id']}", "ORDER"))
    reservation = item(shop, shop.inventory, f"RES#{order['reservation_id']}", "RESERVATION")
    assert reservation["status"] == "released"
    cancelled = [e for e in event_log() if e["detail-type"] == "OrderCancelled"]
    assert cancelled
    assert cancelled[0]["detail"]["data"] | {"cancelled_at": None} == {
        "order_id": placed["order"]["id"],
        "reason": "payment_cancelled",
        "cancelled_at": None,
        "reservation_id": order["reservation_id"],
        "was_placed": False,
    }
    assert _executions(shop) == []


def test_a_declined_card_is_announced_for_the_shopper(
    cart: Callable[..., Reply],
    checkout: Callable[..., Reply],
    webhook: Callable[[str, str | None], Reply],
    shop: SimpleNamespace,
    orders_stream: OrdersStream,
    process: Callable[[dict[str, Any]], dict[str, Any]],
    event_log: Callable[[], list[dict[str, Any]]],
) -> None:
    # GIVEN a declined first card
    placed = _checkout(cart, checkout)
    intent_id = placed["payment"]["payment_intent_id"]
    pay(shop.standin, intent_id, "pm_card_chargeDeclined")
    deliver(shop.standin, webhook, ("payment_intent.payment_failed",), intent_id)
    # WHEN the stream delivers it
    process(orders_stream.batch())
    # THEN PaymentFailed says which attempt, why, and until when the shopper can pay
    (failed,) = [e["detail"]["data"] for e in event_log() if e["detail-type"] == "PaymentFailed"]
    assert (failed["attempt"], failed["code"], failed["pay_by"]) == (
        1,
        "card_declined",
        placed["order"]["payment_due_by"],
    )


def test_the_sweeper_expires_unpaid_orders_and_places_paid_ones_whose_webhook_is_late(
    cart: Callable[..., Reply],
    checkout: Callable[..., Reply],
    due_at_once: None,
    shop: SimpleNamespace,
    orders_stream: OrdersStream,
    process: Callable[[dict[str, Any]], dict[str, Any]],
    sweep: Callable[[], dict[str, int]],
) -> None:
    # GIVEN two orders past their payment deadline: one never paid, one paid but its webhook not arrived
    unpaid, paid = _checkout(cart, checkout), _checkout(cart, checkout)
    pay(shop.standin, paid["payment"]["payment_intent_id"])
    # WHEN the scheduled sweeper runs (twice), and the stream delivers what it changed
    first, second = sweep(), sweep()
    process(orders_stream.batch())
    # THEN the unpaid one is cancelled with its PaymentIntent, the paid one placed; the second run found none
    assert (first["expired"], first["checked"], second["checked"]) == (1, 2, 0)
    ledger = shop.standin.api.ledger.payment_intents
    assert ledger[unpaid["payment"]["payment_intent_id"]]["status"] == "canceled"
    assert ledger[paid["payment"]["payment_intent_id"]]["status"] == "requires_capture"
    expired = order_json(item(shop, shop.orders, f"ORDER#{unpaid['order']['id']}", "ORDER"))
    assert (expired["status"], expired["cancel_reason"]) == ("CANCELLED", "payment_expired")
    placed = order_json(item(shop, shop.orders, f"ORDER#{paid['order']['id']}", "ORDER"))
    assert placed["status"] == "PAYMENT_AUTHORIZED"
    # AND the expired order's 2 units came back; the placed order's 2 stay reserved
    assert stock(shop, "LAP-A-BLK", "kyiv-dc") == (10, 2, 8)
    assert [e["name"] for e in _executions(shop)] == [paid["order"]["id"]]
