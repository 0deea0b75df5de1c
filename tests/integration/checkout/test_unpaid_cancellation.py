"""A customer cancels an order still waiting for payment (3-D Secure not completed), end to end on moto with
the Stripe stand-in: ``POST /me/orders/{id}/cancellation`` on orders-api, its ``OrderCancellationRequested``
as the rule puts it on ``checkout-cancellations``, that function, then the orders stream through
checkout-events. The order is cancelled at once with what it redeemed given back, its PaymentIntent
cancelled, its stock released and ``OrderCancelled`` published; a payment that completes after the
cancellation is voided; one whose webhook landed first leaves the paid order to fulfilment."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
import stripe

from infra.resources import physical_name
from tests.certificates import stored
from tests.conftest import REGION
from tests.integration.checkout.conftest import (
    ADDRESS,
    API_KEY,
    CUSTOMER_SUB,
    OrdersStream,
    deliver,
    item,
    new_key,
    pay,
    put_promotions,
    read_queue,
    stock,
)
from tests.support import Reply, order_json

Webhook = Callable[[str, str | None], Reply]
THREE_D_SECURE = "pm_card_authenticationRequired"


def _queue(name: str) -> tuple[Any, str, str]:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.get_queue_url(QueueName=physical_name("test", name))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return sqs, url, arn


def _requests_to(name: str) -> list[dict[str, Any]]:
    """The EventBridge events the rules put on queue ``name`` (read and deleted)."""
    sqs, url, _ = _queue(name)
    return read_queue(sqs, url)


def _batch(bodies: list[dict[str, Any]]) -> dict[str, Any]:
    """An SQS batch as the checkout-cancellations event source mapping hands it over."""
    _, _, arn = _queue("checkout-cancellations")
    return {
        "Records": [
            {
                "messageId": f"msg-{n}",
                "receiptHandle": f"handle-{n}",
                "body": json.dumps(body),
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1764669000000"},
                "messageAttributes": {},
                "md5OfBody": "0" * 32,
                "eventSource": "aws:sqs",
                "eventSourceARN": arn,
                "awsRegion": REGION,
            }
            for n, body in enumerate(bodies)
        ]
    }


@pytest.fixture
def unpaid(
    cart: Callable[..., Reply], checkout: Callable[..., Reply], shop: SimpleNamespace
) -> dict[str, Any]:
    """A customer's order of one laptop with a once-per-customer code and a 500 UAH certificate, the rest by
    a card that asked for 3-D Secure, which the shopper has not completed."""
    put_promotions(shop)
    created = cart("POST", "/me/cart", {"currency": "UAH", "destination_country": "UA"}, sub=CUSTOMER_SUB)
    assert created.status in (200, 201), created.body
    cart("POST", "/me/cart/lines", {"sku": "LAP-A-BLK", "quantity": 1}, sub=CUSTOMER_SUB)
    assert cart("POST", "/me/cart/promo-codes", {"code": "ONCE"}, sub=CUSTOMER_SUB).status == 200
    assert cart("POST", "/me/cart/gift-certificates", {"code": "GC-500"}, sub=CUSTOMER_SUB).status == 200
    placed = checkout("POST", "/me/checkout", {"shipping_address": ADDRESS}, sub=CUSTOMER_SUB, key=new_key())
    assert placed.status == 201, placed.body
    intent_id = placed.body["payment"]["payment_intent_id"]
    assert pay(shop.standin, intent_id, THREE_D_SECURE)["status"] == "requires_action"
    return {"order_id": placed.body["order"]["id"], "intent_id": intent_id}


def _ask(orders: Callable[..., Reply], order_id: str, body: dict[str, Any] | None = None) -> Reply:
    path = f"/me/orders/{order_id}/cancellation"
    return orders("POST", path, body or {"reason": "paid another way"}, sub=CUSTOMER_SUB)  # type: ignore[no-any-return]


def _intent(shop: SimpleNamespace, intent_id: str) -> Any:
    return stripe.StripeClient(API_KEY, base_addresses={"api": shop.standin.url}).v1.payment_intents.retrieve(
        intent_id
    )


def _order(shop: SimpleNamespace, order_id: str) -> dict[str, Any]:
    found = item(shop, shop.orders, f"ORDER#{order_id}", "ORDER")
    assert found is not None
    return dict(order_json(found))


def test_a_customer_cancels_an_unpaid_order_at_once_and_gets_everything_back_once(
    orders: Callable[..., Reply],
    shop: SimpleNamespace,
    unpaid: dict[str, Any],
    orders_stream: OrdersStream,
    functions: Any,
    lambda_context: Any,
) -> None:
    order_id, intent_id = unpaid["order_id"], unpaid["intent_id"]
    assert stock(shop, "LAP-A-BLK", "kyiv-dc")[1] == 1
    # WHEN the customer asks to cancel it, and the request reaches checkout-cancellations twice (redelivered)
    asked = _ask(orders, order_id)
    requests = _requests_to("checkout-cancellations")
    first = functions.invoke("checkout-cancellations", _batch(requests), lambda_context)
    again = functions.invoke("checkout-cancellations", _batch(requests), lambda_context)
    # THEN the request was accepted, put on the timeline, and carried out without a failure
    assert asked.status == 202, asked.body
    assert [r["detail-type"] for r in requests] == ["OrderCancellationRequested"]
    assert first == again == {"batchItemFailures": []}
    # AND the order is cancelled at the customer's request, its PaymentIntent with it (3-D Secure can no
    # longer complete it)
    order = _order(shop, order_id)
    assert (order["status"], order["cancel_reason"]) == ("CANCELLED", "cancellation_requested")
    assert _intent(shop, intent_id).status == "canceled"
    late = pay(shop.standin, intent_id, three_d_secure="complete")
    assert "status of canceled" in late["error"]["message"]
    # AND the certificate, the code and the customer's use of it were given back exactly once
    assert stored(shop.dynamodb, shop.loyalty, "GC-500", "CERT")["balance"] == 50000  # type: ignore[index]
    assert item(shop, shop.promotions, "CODE#ONCE", "CODE")["uses"] == 0  # type: ignore[index]
    assert item(shop, shop.promotions, "CODE#ONCE", f"USE#customer:{CUSTOMER_SUB}")["uses"] == 0  # type: ignore[index]
    # AND the orders stream releases the laptop and announces OrderCancelled (checkout-events)
    assert functions.invoke("checkout-events", orders_stream.batch(), lambda_context) == {
        "batchItemFailures": []
    }
    assert stock(shop, "LAP-A-BLK", "kyiv-dc")[1] == 0
    cancelled = [e for e in _requests_to("event-log") if e["detail-type"] == "OrderCancelled"]
    assert [e["detail"]["data"]["order_id"] for e in cancelled] == [order_id]
    # AND the customer sees the request on the order's timeline and the order cancelled
    shown = orders("GET", f"/me/orders/{order_id}", sub=CUSTOMER_SUB).body
    assert shown["stage"] == "cancelled"
    assert "OrderCancellationRequested" in [e["what"] for e in shown["timeline"]]


def test_a_payment_completed_after_the_cancellation_is_voided_when_its_webhook_comes(
    orders: Callable[..., Reply],
    shop: SimpleNamespace,
    unpaid: dict[str, Any],
    webhook: Webhook,
    functions: Any,
    lambda_context: Any,
) -> None:
    order_id, intent_id = unpaid["order_id"], unpaid["intent_id"]
    # GIVEN the shopper completed 3-D Secure (Stripe holds the money) but the webhook is late
    pay(shop.standin, intent_id, three_d_secure="complete")
    assert _intent(shop, intent_id).status == "requires_capture"
    # WHEN the customer's cancellation is carried out first, then the authorisation's webhook lands
    assert _ask(orders, order_id).status == 202
    functions.invoke("checkout-cancellations", _batch(_requests_to("checkout-cancellations")), lambda_context)
    (late,) = deliver(shop.standin, webhook, ("payment_intent.amount_capturable_updated",), intent_id)
    # THEN the order stays cancelled, the authorisation is voided and nothing was captured
    assert late.body["outcome"] == "late authorisation voided"
    assert _order(shop, order_id)["status"] == "CANCELLED"
    intent = _intent(shop, intent_id)
    assert (intent.status, intent.amount_received) == ("canceled", 0)


def test_a_payment_whose_webhook_landed_first_leaves_the_paid_order_to_fulfilment(
    orders: Callable[..., Reply],
    shop: SimpleNamespace,
    unpaid: dict[str, Any],
    webhook: Webhook,
    functions: Any,
    lambda_context: Any,
) -> None:
    order_id, intent_id = unpaid["order_id"], unpaid["intent_id"]
    # GIVEN the customer asked to cancel the unpaid order
    assert _ask(orders, order_id).status == 202
    # WHEN the shopper's 3-D Secure payment completes and its webhook places the order before
    # checkout-cancellations carries the request out
    pay(shop.standin, intent_id, three_d_secure="complete")
    deliver(shop.standin, webhook, ("payment_intent.amount_capturable_updated",), intent_id)
    answer = functions.invoke(
        "checkout-cancellations", _batch(_requests_to("checkout-cancellations")), lambda_context
    )
    # THEN checkout leaves the paid order and its authorisation alone: the same request reached
    # fulfilment, which cancels a paid order (or holds the request until the workflow meets it)
    assert answer == {"batchItemFailures": []}
    assert _order(shop, order_id)["status"] == "PAYMENT_AUTHORIZED"
    assert _intent(shop, intent_id).status == "requires_capture"
    to_fulfilment = _requests_to("fulfilment-cancellations")
    assert [(r["detail-type"], r["detail"]["data"]["order_id"]) for r in to_fulfilment] == [
        ("OrderCancellationRequested", order_id)
    ]


def test_some_lines_of_an_unpaid_order_are_refused(
    orders: Callable[..., Reply], shop: SimpleNamespace, unpaid: dict[str, Any]
) -> None:
    # WHEN the customer asks to cancel one line of the unpaid order
    asked = _ask(orders, unpaid["order_id"], {"lines": [{"sku": "LAP-A-BLK", "quantity": 1}], "reason": "x"})
    # THEN a documented 409 says it is cancelled whole only, and nothing is asked of anyone
    assert (asked.status, asked.body["code"]) == (409, "not_paid")
    assert _requests_to("checkout-cancellations") == []
    assert _order(shop, unpaid["order_id"])["status"] == "PENDING_PAYMENT"
