"""What a dying order gives back, and the orders gift certificates pay in full.

* A cancelled order (not paid in time, after a declined card, or its payment cancelled) gives back its
  gift certificate debits and its promo code uses, exactly once, whoever cancels it and however often.
* An order paid in full by gift certificates holds its stock as long as a card authorisation does, and
  is screened for fraud like a card order.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from tests.certificates import stored
from tests.integration.checkout.conftest import (
    ADDRESS,
    API_KEY,
    CUSTOMER_SUB,
    deliver,
    guest_cart,
    item,
    new_key,
    pay,
    put_promotions,
    stock,
)
from tests.support import Reply, order_json

BODY = {"email": "olena@example.com", "shipping_address": ADDRESS}
GUEST_USE = "USE#email:olena@example.com"
Webhook = Callable[[str, str | None], Reply]


def _order(shop: SimpleNamespace, order_id: str) -> dict[str, Any]:
    found = item(shop, shop.orders, f"ORDER#{order_id}", "ORDER")
    assert found is not None
    return dict(order_json(found))


def _promotions(shop: SimpleNamespace, pk: str, sk: str) -> dict[str, Any]:
    found = item(shop, shop.promotions, pk, sk)
    assert found is not None
    return found


def _certificate(shop: SimpleNamespace, code: str, sk: str = "CERT") -> dict[str, Any]:
    """The certificate (or, with ``sk="TXN#<order>"``, one of its debits) as loyalty keeps it."""
    found = stored(shop.dynamodb, shop.loyalty, code, sk)
    assert found is not None
    return found


def _guest_order_with_code_and_certificate(
    cart: Callable[..., Reply], checkout: Callable[..., Reply]
) -> dict[str, Any]:
    token = guest_cart(cart, [("LAP-A-BLK", 1)])
    assert cart("POST", "/cart/promo-codes", {"code": "LAST"}, token=token).status == 200
    assert cart("POST", "/cart/gift-certificates", {"code": "GC-500"}, token=token).status == 200
    placed = checkout("POST", "/checkout", BODY, token=token, key=new_key())
    assert placed.status == 201, placed.body
    return dict(placed.body)


def test_an_order_left_unpaid_after_a_declined_card_gives_back_its_certificate_and_code(
    cart: Callable[..., Reply],
    checkout: Callable[..., Reply],
    webhook: Webhook,
    due_at_once: None,
    shop: SimpleNamespace,
    sweep: Callable[[], dict[str, int]],
) -> None:
    # GIVEN a guest order using the last use of a code and a 500 UAH certificate, the rest due by card
    put_promotions(shop)
    placed = _guest_order_with_code_and_certificate(cart, checkout)
    order_id, intent_id = placed["order"]["id"], placed["payment"]["payment_intent_id"]
    assert _certificate(shop, "GC-500")["balance"] == 0
    assert _promotions(shop, "CODE#LAST", "CODE")["uses"] == 1
    # AND the shopper's card was declined, and nobody paid before the deadline
    pay(shop.standin, intent_id, "pm_card_chargeDeclinedInsufficientFunds")
    deliver(shop.standin, webhook, ("payment_intent.payment_failed",), intent_id)
    # WHEN the sweeper expires it, runs again, and Stripe's "canceled" event for it arrives twice
    assert sweep()["expired"] == 1
    sweep()
    for _ in range(2):
        deliver(shop.standin, webhook, ("payment_intent.canceled",), intent_id)
    # THEN the order is cancelled, and the certificate and the code are as before it, once
    assert _order(shop, order_id)["status"] == "CANCELLED"
    assert _certificate(shop, "GC-500")["balance"] == 50000
    debit = _certificate(shop, "GC-500", f"TXN#{order_id}")
    assert (debit["amount"], debit["restored_at"] is not None) == (50000, True)
    assert _promotions(shop, "CODE#LAST", "CODE")["uses"] == 0
    assert _promotions(shop, "CODE#LAST", GUEST_USE)["uses"] == 0
    # AND the next shopper can use the limited code and the whole balance
    again = _guest_order_with_code_and_certificate(cart, checkout)
    assert again["order"]["totals"]["gift_certificates"]["amount"] == 50000
    assert again["order"]["promo_codes"] == ["LAST"]


def test_a_cancelled_payment_gives_back_once_when_the_sweeper_and_the_webhook_race(
    cart: Callable[..., Reply],
    checkout: Callable[..., Reply],
    webhook: Webhook,
    due_at_once: None,
    shop: SimpleNamespace,
    sweep: Callable[[], dict[str, int]],
    functions: Any,
) -> None:
    import stripe

    from checkout import wiring

    # GIVEN a customer's order with a once-per-customer code and a certificate, past its deadline,
    # whose PaymentIntent an agent cancelled in Stripe
    put_promotions(shop)
    created = cart("POST", "/me/cart", {"currency": "UAH", "destination_country": "UA"}, sub=CUSTOMER_SUB)
    assert created.status in (200, 201), created.body
    cart("POST", "/me/cart/lines", {"sku": "LAP-A-BLK", "quantity": 1}, sub=CUSTOMER_SUB)
    assert cart("POST", "/me/cart/promo-codes", {"code": "ONCE"}, sub=CUSTOMER_SUB).status == 200
    assert cart("POST", "/me/cart/gift-certificates", {"code": "GC-500"}, sub=CUSTOMER_SUB).status == 200
    placed = checkout("POST", "/me/checkout", {"shipping_address": ADDRESS}, sub=CUSTOMER_SUB, key=new_key())
    assert placed.status == 201, placed.body
    order_id, intent_id = placed.body["order"]["id"], placed.body["payment"]["payment_intent_id"]
    stripe.StripeClient(API_KEY, base_addresses={"api": shop.standin.url}).v1.payment_intents.cancel(
        intent_id
    )
    # WHEN the sweeper has read the order and is about to cancel it, the webhook cancels it first
    # (the sweeper's own client: each function runs in its own world, tests/harness.py)
    hooks = functions.run("checkout-sweeper", lambda: wiring.container.dynamodb_client()).meta.events
    raced: list[list[Reply]] = []

    def webhook_lands_first(**_: Any) -> None:
        if not raced:
            raced.append([])  # once: the sweeper writes again after the webhook landed
            raced[0].extend(deliver(shop.standin, webhook, ("payment_intent.canceled",), intent_id))

    writes = ("before-call.dynamodb.PutItem", "before-call.dynamodb.TransactWriteItems")
    for write in writes:
        hooks.register(write, webhook_lands_first)
    try:
        swept = sweep()
    finally:
        for write in writes:
            hooks.unregister(write, webhook_lands_first)
    # AND the webhook is delivered again later
    deliver(shop.standin, webhook, ("payment_intent.canceled",), intent_id)
    # THEN the webhook cancelled it, the sweeper's stale write changed nothing
    assert [r.body["outcome"] for r in raced[0]] == ["cancelled"]
    assert swept["expired"] == 0
    order = _order(shop, order_id)
    assert (order["status"], order["cancel_reason"]) == ("CANCELLED", "payment_cancelled")
    # AND the certificate, the code and the customer's use of it were given back exactly once
    assert _certificate(shop, "GC-500")["balance"] == 50000
    assert _promotions(shop, "CODE#ONCE", "CODE")["uses"] == 0
    assert _promotions(shop, "CODE#ONCE", f"USE#customer:{CUSTOMER_SUB}")["uses"] == 0
    # AND the customer may use the code again
    cart("POST", "/me/cart/lines", {"sku": "LAP-A-BLK", "quantity": 1}, sub=CUSTOMER_SUB)
    assert cart("POST", "/me/cart/promo-codes", {"code": "ONCE"}, sub=CUSTOMER_SUB).status == 200


def test_an_order_paid_in_full_by_certificate_keeps_its_stock_and_is_screened(
    cart: Callable[..., Reply], checkout: Callable[..., Reply], shop: SimpleNamespace
) -> None:
    from checkout.domain.fraud import velocity_bucket
    from inventory.adapters.dynamo import InventoryStore
    from inventory.adapters.reservations import Reservations
    from shop_kernel.clock import FixedClock

    # GIVEN a guest who (by e-mail) and whose IP placed many orders this hour already
    put_promotions(shop)
    bucket = velocity_bucket(datetime.now(UTC))
    for pk, count in (("VELOCITY#customer#olena@example.com", 6), ("VELOCITY#ip#203.0.113.7", 10)):
        shop.dynamodb.put_item(
            TableName=shop.orders,
            Item={
                "pk": {"S": pk},
                "sk": {"S": bucket},
                "type": {"S": "velocity"},
                "count": {"N": str(count)},
            },
        )
    # WHEN the guest pays a pickup order in full with a gift certificate
    token = guest_cart(cart, [("PHN-B-BLK", 1)], pickup="lviv-store")
    cart("POST", "/cart/gift-certificates", {"code": "GC-BIG"}, token=token)
    placed = checkout("POST", "/checkout", {"email": "olena@example.com"}, token=token, key=new_key())
    # THEN it is placed at once, screened like a card order and held for review, the counters counted
    assert placed.status == 201, placed.body
    order = _order(shop, placed.body["order"]["id"])
    assert order["status"] == "PAYMENT_AUTHORIZED"
    assert order["risk"]["decision"] == "review"
    assert {"customer_velocity", "ip_velocity"} <= {r["code"] for r in order["risk"]["reasons"]}
    assert order["review_required"] is True
    counter = item(shop, shop.orders, "VELOCITY#customer#olena@example.com", bucket)
    assert counter is not None
    assert counter["count"] == 7
    # AND its stock is held as long as a card authorisation holds it (seven days), not 45 minutes
    reservation = item(shop, shop.inventory, f"RES#{order['reservation_id']}", "RESERVATION")
    assert reservation is not None
    assert reservation["expires_at"] > datetime.now(UTC).timestamp() + 6 * 24 * 3600
    assert order["reservation_expires_at"] == reservation["expires_at"]
    # AND the inventory sweeper an hour later leaves it alone
    later = FixedClock(datetime.now(UTC) + timedelta(hours=1))
    assert Reservations(InventoryStore(shop.dynamodb, shop.inventory), later).sweep_expired() == 0
    assert stock(shop, "PHN-B-BLK", "lviv-store") == (5, 1, 4)


def test_the_sweeper_with_only_its_own_environment_places_late_payments_and_expires_the_rest(
    cart: Callable[..., Reply],
    checkout: Callable[..., Reply],
    due_at_once: None,
    shop: SimpleNamespace,
    sweep: Callable[[], dict[str, int]],
) -> None:
    # GIVEN an order paid whose webhook is late, and an unpaid one with a code and a certificate
    put_promotions(shop)
    token = guest_cart(cart, [("LAP-A-BLK", 1)])
    paid = checkout("POST", "/checkout", BODY, token=token, key=new_key()).body
    pay(shop.standin, paid["payment"]["payment_intent_id"])
    unpaid = _guest_order_with_code_and_certificate(cart, checkout)
    # WHEN the sweeper runs with the environment and grants its spec gives it, as in the cloud (the
    # ``sweep`` fixture runs it as its function)
    swept = sweep()
    # THEN the paid order is placed with its hold extended, the unpaid one cancelled with its give-backs
    assert (swept["expired"], swept["checked"], swept["failed"]) == (1, 2, 0)
    assert _order(shop, paid["order"]["id"])["status"] == "PAYMENT_AUTHORIZED"
    held = item(
        shop, shop.inventory, f"RES#{_order(shop, paid['order']['id'])['reservation_id']}", "RESERVATION"
    )
    assert held is not None
    assert held["expires_at"] > datetime.now(UTC).timestamp() + 6 * 24 * 3600
    assert _order(shop, unpaid["order"]["id"])["status"] == "CANCELLED"
    assert _certificate(shop, "GC-500")["balance"] == 50000


def test_orders_the_sweeper_cannot_handle_do_not_stop_it_expiring_the_others(
    cart: Callable[..., Reply],
    checkout: Callable[..., Reply],
    due_at_once: None,
    shop: SimpleNamespace,
    sweep: Callable[[], dict[str, int]],
    monkeypatch: pytest.MonkeyPatch,
    functions: Any,
) -> None:
    from checkout import wiring
    from checkout.handlers import sweeper
    from shop_kernel.errors import DependencyUnavailable

    # GIVEN three overdue orders Stripe cannot answer about, older than a fourth, in pages of two
    def overdue() -> dict[str, Any]:
        placed = checkout(
            "POST", "/checkout", BODY, token=guest_cart(cart, [("LAP-A-BLK", 1)]), key=new_key()
        )
        assert placed.status == 201, placed.body
        return dict(placed.body)

    broken = [overdue() for _ in range(3)]
    healthy = overdue()
    monkeypatch.setattr(sweeper, "BATCH", 2)
    events = functions.run("checkout-sweeper", lambda: wiring.container.payment_events())
    gateway = events.payments
    unreachable = {b["payment"]["payment_intent_id"] for b in broken}

    class FailingFor:
        def __getattr__(self, name: str) -> Any:
            return getattr(gateway, name)

        def retrieve_intent(self, intent_id: str) -> Any:
            if intent_id in unreachable:
                raise DependencyUnavailable("Stripe did not answer")
            return gateway.retrieve_intent(intent_id)

    monkeypatch.setattr(events, "payments", FailingFor())
    # WHEN the scheduled sweeper runs, twice
    first, second = sweep(), sweep()
    # THEN each run expires what it can and counts what failed; the broken ones wait for the next run
    assert (first["expired"], first["failed"], first["checked"]) == (1, 3, 4)
    assert (second["expired"], second["failed"], second["checked"]) == (0, 3, 3)
    assert _order(shop, healthy["order"]["id"])["status"] == "CANCELLED"
    assert {_order(shop, b["order"]["id"])["status"] for b in broken} == {"PENDING_PAYMENT"}
