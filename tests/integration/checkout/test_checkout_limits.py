"""Nobody ties up stock anonymously: each checkout holds stock and opens a PaymentIntent, so one address,
one customer and one cart may start only so many in a window; the next is a 429 with Retry-After that
reserves, orders and charges nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace

from checkout.domain.throttle import AttemptLimits
from tests.integration.checkout.conftest import (
    ADDRESS,
    CUSTOMER_SUB,
    count_items,
    guest_cart,
    new_key,
    stock,
)
from tests.support import Reply

BODY = {"email": "olena@example.com", "shipping_address": ADDRESS}
LIMITS = AttemptLimits()


def restock(shop: SimpleNamespace, on_hand: int) -> None:
    """Ops count the warehouse's black laptops again."""
    from inventory.adapters.dynamo import InventoryStore

    store = InventoryStore(shop.dynamodb, shop.inventory)
    level = store.stock_level("LAP-A-BLK", "kyiv-dc")
    assert level is not None
    store.set_stock("LAP-A-BLK", "kyiv-dc", on_hand, level.version, "ops", datetime.now(UTC))


def _refused_without_trace(reply: Reply, shop: SimpleNamespace, orders: int, reserved: int) -> None:
    assert reply.status == 429, reply.body
    assert reply.headers["Content-Type"] == "application/problem+json"
    assert 0 < int(reply.headers["Retry-After"]) <= LIMITS.window.total_seconds()
    assert count_items(shop, shop.orders, "ORDER#") == orders
    assert stock(shop, "LAP-A-BLK", "kyiv-dc")[1] == reserved


def test_one_address_may_start_only_so_many_checkouts_in_a_window(
    cart: Callable[..., Reply], checkout: Callable[..., Reply], shop: SimpleNamespace
) -> None:
    # GIVEN enough stock, and as many guest carts from one address as it may check out, plus one
    restock(shop, 50)
    tokens = [guest_cart(cart, [("LAP-A-BLK", 1)]) for _ in range(LIMITS.per_ip + 1)]
    # WHEN each is checked out from that address
    replies = [checkout("POST", "/checkout", BODY, token=t, key=new_key(), ip="198.51.100.9") for t in tokens]
    # THEN all but the last are placed; the last is refused before anything is held or charged
    assert [r.status for r in replies[:-1]] == [201] * LIMITS.per_ip
    intents = len(shop.standin.api.ledger.payment_intents)
    _refused_without_trace(replies[-1], shop, orders=LIMITS.per_ip, reserved=LIMITS.per_ip)
    assert len(shop.standin.api.ledger.payment_intents) == intents
    # AND the refused cart checks out from another address, and a retry of a placed one still answers
    assert checkout("POST", "/checkout", BODY, token=tokens[-1], key=new_key(), ip="192.0.2.4").status == 201


def test_one_cart_may_be_tried_only_so_many_times(
    cart: Callable[..., Reply], checkout: Callable[..., Reply], shop: SimpleNamespace
) -> None:
    # GIVEN a guest cart whose laptop then sells out, so every checkout of it is a 409
    token = guest_cart(cart, [("LAP-A-BLK", 1)])
    restock(shop, 0)
    # WHEN the cart is tried again and again, each time from a new address
    replies = [
        checkout("POST", "/checkout", BODY, token=token, key=new_key(), ip=f"203.0.113.{n}")
        for n in range(LIMITS.per_cart + 1)
    ]
    # THEN the cart's budget of attempts ends in a 429
    assert [r.status for r in replies[:-1]] == [409] * LIMITS.per_cart
    _refused_without_trace(replies[-1], shop, orders=0, reserved=0)


def test_one_customer_may_start_only_so_many_checkouts_in_a_window(
    cart: Callable[..., Reply], checkout: Callable[..., Reply], shop: SimpleNamespace
) -> None:
    # GIVEN a customer who checks out their cart again and again, from changing addresses
    restock(shop, 50)
    statuses = []
    for n in range(LIMITS.per_customer + 1):
        added = cart("POST", "/me/cart/lines", {"sku": "LAP-A-BLK", "quantity": 1}, sub=CUSTOMER_SUB)
        assert added.status == 200, added.body
        reply = checkout("POST", "/me/checkout", BODY, sub=CUSTOMER_SUB, key=new_key(), ip=f"192.0.2.{n}")
        statuses.append(reply.status)
    # THEN the customer's budget ends in a 429
    assert statuses[:-1] == [201] * LIMITS.per_customer
    _refused_without_trace(reply, shop, orders=LIMITS.per_customer, reserved=LIMITS.per_customer)
