"""Stripe webhooks over API Gateway events: signed events from the Stripe stand-in move orders on,
exactly once; forged, tampered, stale and foreign events change nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from tests.integration.checkout.conftest import (
    ADDRESS,
    API_KEY,
    deliver,
    guest_cart,
    item,
    new_key,
    pay,
    sign,
    stock,
)
from tests.support import Reply, order_json

BODY = {"email": "olena@example.com", "shipping_address": ADDRESS}
Webhook = Callable[[str, str | None], Reply]


def _order(shop: SimpleNamespace, order_id: str) -> dict[str, Any]:
    found = item(shop, shop.orders, f"ORDER#{order_id}", "ORDER")
    assert found is not None
    return {**order_json(found), "_version": found["version"]}


def _placed(
    cart: Callable[..., Reply], checkout: Callable[..., Reply], sku: str = "LAP-A-BLK"
) -> dict[str, Any]:
    token = guest_cart(cart, [(sku, 1)])
    placed = checkout("POST", "/checkout", BODY, token=token, key=new_key())
    assert placed.status == 201, placed.body
    return dict(placed.body)


def test_an_authorised_payment_places_the_order_once_however_often_the_event_comes(
    cart: Callable[..., Reply], checkout: Callable[..., Reply], webhook: Webhook, shop: SimpleNamespace
) -> None:
    # GIVEN an order waiting for payment, paid by the shopper's browser with a card
    placed = _placed(cart, checkout)
    order_id, intent_id = placed["order"]["id"], placed["payment"]["payment_intent_id"]
    pay(shop.standin, intent_id, "pm_card_visa", billing_details={"address": {"country": "UA"}})
    # WHEN Stripe delivers the intent's events three times over
    rounds = [deliver(shop.standin, webhook, intent_id=intent_id) for _ in range(3)]
    # THEN every delivery is acknowledged, and the order was placed once, screened and with its hold extended
    assert all(r.status == 200 for replies in rounds for r in replies)
    assert [r.body["outcome"] for r in rounds[0]][-1] == "placed"
    assert [r.body["outcome"] for r in rounds[2]] == [r.body["outcome"] for r in rounds[0]]
    order = _order(shop, order_id)
    assert order["status"] == "PAYMENT_AUTHORIZED"
    assert order["_version"] == 2
    assert order["payment"]["status"] == "authorized"
    assert order["payment"]["card"]["last4"] == "4242"
    assert order["payment"]["card"]["fingerprint"]
    assert order["risk"]["decision"] == "accept"
    assert order["review_required"] is False
    reservation = item(shop, shop.inventory, f"RES#{order['reservation_id']}", "RESERVATION")
    assert reservation is not None
    assert reservation["status"] == "active"
    assert reservation["expires_at"] > time.time() + 6 * 24 * 3600
    assert stock(shop, "LAP-A-BLK", "kyiv-dc") == (10, 1, 9)
    # AND the order is no longer on the sweeper's index; the shopper sees it placed
    assert "gsi1pk" not in item(shop, shop.orders, f"ORDER#{order_id}", "ORDER")


@pytest.mark.parametrize(
    "tamper",
    ["body", "old", "secret", "missing", "garbage"],
)
def test_forged_tampered_and_stale_events_are_refused_and_change_nothing(
    cart: Callable[..., Reply],
    checkout: Callable[..., Reply],
    webhook: Webhook,
    shop: SimpleNamespace,
    tamper: str,
) -> None:
    # GIVEN an authorised payment whose event has not been delivered
    placed = _placed(cart, checkout)
    intent_id = placed["payment"]["payment_intent_id"]
    pay(shop.standin, intent_id)
    event = next(
        e for e in shop.standin.api.ledger.events if e["type"] == "payment_intent.amount_capturable_updated"
    )
    payload = json.dumps(event)
    secret = shop.standin.webhook_secret
    # WHEN it arrives tampered, signed 301 s ago, signed with another secret, unsigned, or not JSON
    if tamper == "body":
        reply = webhook(payload.replace('"amount": ', '"amount": 1'), sign(payload, secret))
    elif tamper == "old":
        reply = webhook(payload, sign(payload, secret, at=int(time.time()) - 301))
    elif tamper == "secret":
        reply = webhook(payload, sign(payload, "whsec_someone_else"))
    elif tamper == "missing":
        reply = webhook(payload, None)
    else:
        reply = webhook("not json", sign("not json", secret))
    # THEN 400 problem, and the order still waits for payment
    assert reply.status == 400, reply.body
    assert reply.headers["Content-Type"] == "application/problem+json"
    assert _order(shop, placed["order"]["id"])["status"] == "PENDING_PAYMENT"
    # AND the genuine event is still applied afterwards (a refused request took no idempotency record)
    genuine = webhook(payload, sign(payload, secret))
    assert (genuine.status, genuine.body["outcome"]) == (200, "placed")


def test_a_declined_card_is_recorded_and_another_card_can_still_pay(
    cart: Callable[..., Reply], checkout: Callable[..., Reply], webhook: Webhook, shop: SimpleNamespace
) -> None:
    # GIVEN an order, first paid with a card that is declined
    placed = _placed(cart, checkout)
    order_id, intent_id = placed["order"]["id"], placed["payment"]["payment_intent_id"]
    pay(shop.standin, intent_id, "pm_card_chargeDeclinedInsufficientFunds")
    failed = deliver(shop.standin, webhook, ("payment_intent.payment_failed",), intent_id)
    # THEN the failure is on the order, which still waits for payment
    assert [r.body["outcome"] for r in failed] == ["failure recorded"]
    order = _order(shop, order_id)
    assert order["status"] == "PENDING_PAYMENT"
    assert order["payment"]["failures"] == 1
    assert order["payment"]["last_failure"]["decline_code"] == "insufficient_funds"
    # WHEN the shopper pays with another card
    pay(shop.standin, intent_id, "pm_card_mastercard")
    deliver(shop.standin, webhook, ("payment_intent.amount_capturable_updated",), intent_id)
    # THEN it is placed
    assert _order(shop, order_id)["status"] == "PAYMENT_AUTHORIZED"


def test_a_cancelled_payment_cancels_the_order_and_a_refund_is_recorded(
    cart: Callable[..., Reply], checkout: Callable[..., Reply], webhook: Webhook, shop: SimpleNamespace
) -> None:
    import stripe

    client = stripe.StripeClient(API_KEY, base_addresses={"api": shop.standin.url})
    # GIVEN one order whose payment is cancelled, another that is paid, captured and partly refunded
    cancelled = _placed(cart, checkout)
    client.v1.payment_intents.cancel(cancelled["payment"]["payment_intent_id"])
    paid = _placed(cart, checkout)
    paid_intent = paid["payment"]["payment_intent_id"]
    pay(shop.standin, paid_intent)
    client.v1.payment_intents.capture(paid_intent)
    client.v1.refunds.create(params={"payment_intent": paid_intent, "amount": 10000})
    # WHEN their events arrive (twice)
    for _ in range(2):
        deliver(shop.standin, webhook, intent_id=cancelled["payment"]["payment_intent_id"])
        deliver(shop.standin, webhook, intent_id=paid_intent)
    # THEN the first is cancelled, the second placed with its capture and refund recorded
    first = _order(shop, cancelled["order"]["id"])
    assert (first["status"], first["cancel_reason"]) == ("CANCELLED", "payment_cancelled")
    second = _order(shop, paid["order"]["id"])
    assert second["status"] == "PAYMENT_AUTHORIZED"
    assert second["payment"]["captured"]["amount"] == paid["payment"]["amount"]["amount"]
    assert second["payment"]["refunded"] == {"amount": 10000, "currency": "UAH"}


def test_events_about_other_payments_are_acknowledged_and_ignored(
    webhook: Webhook, shop: SimpleNamespace
) -> None:
    import stripe

    # GIVEN a PaymentIntent that is not an order's (another integration on the same Stripe account)
    client = stripe.StripeClient(API_KEY, base_addresses={"api": shop.standin.url})
    foreign = client.v1.payment_intents.create(
        params={"amount": 5000, "currency": "eur", "capture_method": "manual"}
    )
    pay(shop.standin, foreign.id)
    # WHEN its events arrive
    replies = deliver(shop.standin, webhook, intent_id=foreign.id)
    # THEN 200 so Stripe stops sending them, and nothing was written
    assert replies
    assert all(r.status == 200 for r in replies)
    assert {r.body["order_id"] for r in replies} == {None}


def test_a_card_used_for_many_orders_this_hour_holds_the_order_for_review(
    cart: Callable[..., Reply], checkout: Callable[..., Reply], webhook: Webhook, shop: SimpleNamespace
) -> None:
    # GIVEN a card that paid 7 orders this hour already (its counter), and a new order paid with it
    placed = _placed(cart, checkout)
    intent_id = placed["payment"]["payment_intent_id"]
    paid = pay(shop.standin, intent_id, "pm_card_visa")
    charge = shop.standin.api.ledger.charges[paid["latest_charge"]]
    fingerprint = charge["payment_method_details"]["card"]["fingerprint"]
    from datetime import UTC, datetime

    from checkout.domain.fraud import velocity_bucket

    shop.dynamodb.put_item(
        TableName=shop.orders,
        Item={
            "pk": {"S": f"VELOCITY#card#{fingerprint}"},
            "sk": {"S": velocity_bucket(datetime.now(UTC))},
            "type": {"S": "velocity"},
            "count": {"N": "7"},
        },
    )
    # WHEN the authorisation arrives
    replies = deliver(shop.standin, webhook, ("payment_intent.amount_capturable_updated",), intent_id)
    # THEN the order is placed but held for review, with the reason, and the counter counted it
    assert replies[0].body["outcome"] == "placed, held for review"
    order = _order(shop, placed["order"]["id"])
    assert order["review_required"] is True
    assert order["risk"]["decision"] == "review"
    assert "card_velocity" in [r["code"] for r in order["risk"]["reasons"]]
    counter = item(shop, shop.orders, f"VELOCITY#card#{fingerprint}", velocity_bucket(datetime.now(UTC)))
    assert counter is not None
    assert counter["count"] == 8


def test_paying_after_the_stock_hold_lapsed_voids_the_authorisation(
    cart: Callable[..., Reply], checkout: Callable[..., Reply], webhook: Webhook, shop: SimpleNamespace
) -> None:
    # GIVEN an order whose reservation expired (the inventory sweeper gave the stock back) before payment
    from datetime import UTC, datetime, timedelta

    from inventory.adapters.dynamo import InventoryStore
    from inventory.domain.reservations import ReservationStatus

    placed = _placed(cart, checkout)
    order_id, intent_id = placed["order"]["id"], placed["payment"]["payment_intent_id"]
    reservation_id = _order(shop, order_id)["reservation_id"]
    past_the_hold = datetime.now(UTC) + timedelta(hours=1)
    assert InventoryStore(shop.dynamodb, shop.inventory).finish(
        reservation_id, ReservationStatus.EXPIRED, past_the_hold
    )
    pay(shop.standin, intent_id)
    # WHEN the authorisation arrives
    replies = deliver(shop.standin, webhook, ("payment_intent.amount_capturable_updated",), intent_id)
    # THEN the money is released at once and the order cancelled; the stock is not taken twice
    assert replies[0].body["outcome"] == "authorisation voided: the stock hold had lapsed"
    assert shop.standin.api.ledger.payment_intents[intent_id]["status"] == "canceled"
    order = _order(shop, order_id)
    assert (order["status"], order["cancel_reason"]) == ("CANCELLED", "reservation_lapsed")
    assert stock(shop, "LAP-A-BLK", "kyiv-dc") == (10, 0, 10)
