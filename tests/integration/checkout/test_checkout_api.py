"""Guest and customer checkout over API Gateway events: order, reservation, PaymentIntent, exactly once,
and every bad input a problem that changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from tests.certificates import stored
from tests.integration.checkout.conftest import (
    ADDRESS,
    CUSTOMER_SUB,
    count_items,
    guest_cart,
    item,
    new_key,
    put_promotions,
    stock,
)
from tests.support import Reply

BODY = {"email": "olena@example.com", "shipping_address": ADDRESS}
OTHER_SUB = "0c9b8a7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d"


def _intents(shop: SimpleNamespace) -> dict[str, dict]:
    return dict(shop.standin.api.ledger.payment_intents)


def test_guest_checkout_reserves_stock_creates_the_order_and_a_manual_capture_payment_intent(
    cart: Callable[..., Reply], checkout: Callable[..., Reply], shop: SimpleNamespace
) -> None:
    # GIVEN a guest cart with two laptops, priced in UAH for Ukraine
    token = guest_cart(cart, [("LAP-A-BLK", 2)])
    priced = cart("GET", "/cart", token=token).body
    # WHEN the guest checks out with an address and an Idempotency-Key
    placed = checkout("POST", "/checkout", BODY, token=token, key=new_key())
    # THEN the order waits for payment at the cart's total, the stock is reserved, the intent is manual
    assert placed.status == 201, placed.body
    order = placed.body["order"]
    assert order["status"] == "PENDING_PAYMENT"
    assert order["totals"] == {k: v for k, v in priced["totals"].items()}
    assert [(line["sku"], line["quantity"]) for line in order["lines"]] == [("LAP-A-BLK", 2)]
    assert stock(shop, "LAP-A-BLK", "kyiv-dc") == (10, 2, 8)
    payment = placed.body["payment"]
    assert payment["client_secret"].startswith(payment["payment_intent_id"] + "_secret_")
    intent = _intents(shop)[payment["payment_intent_id"]]
    assert intent["capture_method"] == "manual"
    assert intent["amount"] == priced["totals"]["amount_due"]["amount"]
    assert (intent["currency"], intent["metadata"]["order_id"]) == ("uah", order["id"])
    assert placed.headers["Location"] == f"/checkout/orders/{order['id']}"
    # AND the cart is closed: the guest's token finds no cart any more, but finds its order
    assert cart("GET", "/cart", token=token).status == 404
    status = checkout("GET", f"/checkout/orders/{order['id']}", token=token)
    assert (status.status, status.body["status"], status.body["email"]) == (
        200,
        "PENDING_PAYMENT",
        "olena@example.com",
    )
    assert "checkout_ref" not in status.body
    assert "risk" not in status.body
    # AND it shows where it stands and how it got there (the orders context's timeline)
    assert status.body["stage"] == "pending_payment"
    assert [(e["what"], e["actor"]) for e in status.body["timeline"]] == [
        ("OrderCreated", {"kind": "customer", "id": "guest"})
    ]


def test_a_retried_checkout_returns_the_first_answer_and_changes_nothing(
    cart: Callable[..., Reply], checkout: Callable[..., Reply], shop: SimpleNamespace
) -> None:
    # GIVEN a checkout that succeeded
    token = guest_cart(cart, [("LAP-A-BLK", 1)])
    key = new_key()
    first = checkout("POST", "/checkout", BODY, token=token, key=key)
    # WHEN the client retries it twice with the same key and body
    again = [checkout("POST", "/checkout", BODY, token=token, key=key) for _ in range(2)]
    # THEN it gets the same answer, and there is one order, one PaymentIntent, one reservation
    assert first.status == 201
    assert all((r.status, r.body) == (201, first.body) for r in again)
    assert count_items(shop, shop.orders, "ORDER#") == 1
    assert len(_intents(shop)) == 1
    assert count_items(shop, shop.inventory, "RES#") == 1
    assert stock(shop, "LAP-A-BLK", "kyiv-dc") == (10, 1, 9)


def test_the_same_key_with_another_body_is_refused(
    cart: Callable[..., Reply], checkout: Callable[..., Reply], shop: SimpleNamespace
) -> None:
    # GIVEN a checkout made with a key
    token = guest_cart(cart, [("LAP-A-BLK", 1)])
    key = new_key()
    checkout("POST", "/checkout", BODY, token=token, key=key)
    # WHEN the same key comes with another e-mail
    reused = checkout("POST", "/checkout", {**BODY, "email": "other@example.com"}, token=token, key=key)
    # THEN 422 naming the header
    assert reused.status == 422
    assert reused.body["errors"][0]["field"] == "header.idempotency-key"


def test_checking_out_a_cart_again_with_a_new_key_names_the_order(
    cart: Callable[..., Reply], checkout: Callable[..., Reply], shop: SimpleNamespace
) -> None:
    # GIVEN a checked-out cart
    token = guest_cart(cart, [("LAP-A-BLK", 1)])
    first = checkout("POST", "/checkout", BODY, token=token, key=new_key())
    # WHEN a second tab checks it out with its own key
    second = checkout("POST", "/checkout", BODY, token=token, key=new_key())
    # THEN 409 with the first order's id; still one order
    assert second.status == 409
    assert second.body["order_id"] == first.body["order"]["id"]
    assert count_items(shop, shop.orders, "ORDER#") == 1


def test_customer_checkout_uses_the_account_and_lists_the_order(
    cart: Callable[..., Reply],
    checkout: Callable[..., Reply],
    orders: Callable[..., Reply],
    shop: SimpleNamespace,
    functions: Any,
) -> None:
    # GIVEN a B2B customer's cart in EUR to Ukraine
    claims = {"custom:price_group": "b2b_gold"}
    cart(
        "POST", "/me/cart", {"currency": "EUR", "destination_country": "UA"}, sub=CUSTOMER_SUB, claims=claims
    )
    cart("POST", "/me/cart/lines", {"sku": "LAP-A-BLK", "quantity": 1}, sub=CUSTOMER_SUB, claims=claims)
    # WHEN the customer checks out without an e-mail in the body
    from tests.conftest import LambdaContext
    from tests.integration.checkout.conftest import checkout_event
    from tests.support import reply_from

    event = checkout_event(
        "POST", "/me/checkout", {"shipping_address": ADDRESS}, sub=CUSTOMER_SUB, key=new_key()
    )
    event["requestContext"]["authorizer"]["claims"]["custom:price_group"] = "b2b_gold"
    placed = reply_from(functions.invoke("checkout-api", event, LambdaContext()))
    # THEN the order uses the negotiated net price (800.00 EUR + 20 % VAT) and the account's e-mail
    assert placed.status == 201, placed.body
    order = placed.body["order"]
    (line,) = order["lines"]
    assert (line["price_list"], line["unit_price"]["amount"]) == ("b2b_gold", 80000)
    assert order["tax_display"] == "exclusive"
    assert order["email"] == f"{CUSTOMER_SUB[:8]}@example.com"
    assert placed.headers["Location"] == f"/me/orders/{order['id']}"
    # AND the customer lists and reads it, another customer cannot, and the next add opens a new cart
    listed = orders("GET", "/me/orders", sub=CUSTOMER_SUB)
    assert [o["id"] for o in listed.body["orders"]] == [order["id"]]
    assert orders("GET", f"/me/orders/{order['id']}", sub=CUSTOMER_SUB).status == 200
    assert orders("GET", f"/me/orders/{order['id']}", sub=OTHER_SUB).status == 404
    fresh = cart("POST", "/me/cart/lines", {"sku": "LAP-A-SLV", "quantity": 1}, sub=CUSTOMER_SUB)
    assert fresh.status == 200
    assert fresh.body["id"] != order["cart_id"]
    assert fresh.body["lines"] == [{"sku": "LAP-A-SLV", "quantity": 1}]


@pytest.mark.parametrize(
    ("body", "headers", "status", "field"),
    [
        ({**BODY, "total": 1}, {}, 422, "body.total"),
        ({**BODY, "lines": [{"sku": "LAP-A-BLK", "quantity": 1, "price": 1}]}, {}, 422, "body.lines"),
        ({"shipping_address": ADDRESS}, {}, 422, "body.email"),
        ({"email": "olena@example.com"}, {}, 422, "body.shipping_address"),
        (
            {**BODY, "shipping_address": {**ADDRESS, "country": "DE"}},
            {},
            422,
            "body.shipping_address.country",
        ),
        (
            {**BODY, "shipping_address": {k: v for k, v in ADDRESS.items() if k != "name"}},
            {},
            422,
            "body.shipping_address.name",
        ),
        (
            {**BODY, "shipping_address": {**ADDRESS, "postcode": "01001"}},
            {},
            422,
            "body.shipping_address.postcode",
        ),
        ({**BODY, "email": "not-an-email"}, {}, 422, "body.email"),
        (BODY, {"If-Match": '"1"'}, 412, None),
        (BODY, {"If-Match": "yesterday"}, 400, None),
    ],
    ids=[
        "client-total",
        "client-lines",
        "no-email",
        "no-address",
        "other-country",
        "no-recipient-name",
        "postcode-is-not-a-field",
        "bad-email",
        "stale-if-match",
        "bad-if-match",
    ],
)
def test_bad_checkouts_are_problems_that_change_nothing(
    cart: Callable[..., Reply],
    checkout: Callable[..., Reply],
    shop: SimpleNamespace,
    body: dict,
    headers: dict,
    status: int,
    field: str | None,
) -> None:
    # GIVEN a cart with a laptop
    token = guest_cart(cart, [("LAP-A-BLK", 1)])
    # WHEN a bad checkout is sent
    reply = checkout("POST", "/checkout", body, token=token, key=new_key(), headers=headers)
    # THEN it is the expected problem, and no order, intent or reservation exists; the cart is open
    assert reply.status == status, reply.body
    assert reply.headers["Content-Type"] == "application/problem+json"
    if field is not None:
        assert field in [e["field"] for e in reply.body["errors"]]
    assert count_items(shop, shop.orders, "ORDER#") == 0
    assert _intents(shop) == {}
    assert stock(shop, "LAP-A-BLK", "kyiv-dc") == (10, 0, 10)
    assert cart("GET", "/cart", token=token).status == 200


def test_requests_without_a_key_a_cart_or_a_token_are_refused(
    cart: Callable[..., Reply], checkout: Callable[..., Reply], shop: SimpleNamespace
) -> None:
    token = guest_cart(cart, [("LAP-A-BLK", 1)])
    empty = cart("POST", "/cart", {"currency": "UAH", "destination_country": "UA"}).body["token"]
    # WHEN the key, the token or the lines are missing, or the token is unknown
    no_key = checkout("POST", "/checkout", BODY, token=token)
    no_token = checkout("POST", "/checkout", BODY, key=new_key())
    unknown = checkout("POST", "/checkout", BODY, token="A" * 43, key=new_key())
    empty_cart = checkout("POST", "/checkout", BODY, token=empty, key=new_key())
    anonymous_me = checkout("POST", "/me/checkout", BODY, key=new_key())
    not_json = checkout("POST", "/checkout", "{not json", token=token, key=new_key())
    # THEN each is its own 4xx problem
    assert (no_key.status, no_key.body["errors"][0]["field"]) == (400, "header.idempotency-key")
    assert (no_token.status, no_token.body["errors"][0]["field"]) == (400, "header.x-cart-token")
    assert unknown.status == 404
    assert (empty_cart.status, empty_cart.body["errors"][0]["field"]) == (422, "cart.lines")
    assert anonymous_me.status == 401
    assert not_json.status == 400
    assert count_items(shop, shop.orders, "ORDER#") == 0


def test_a_line_sold_out_since_it_was_added_is_a_409_naming_it(
    cart: Callable[..., Reply], checkout: Callable[..., Reply], shop: SimpleNamespace
) -> None:
    # GIVEN two silver laptops in the cart, then ops count only one left
    token = guest_cart(cart, [("LAP-A-BLK", 1), ("LAP-A-SLV", 2)])
    from datetime import UTC, datetime

    from inventory.adapters.dynamo import InventoryStore

    store = InventoryStore(shop.dynamodb, shop.inventory)
    level = store.stock_level("LAP-A-SLV", "kyiv-dc")
    assert level is not None
    store.set_stock("LAP-A-SLV", "kyiv-dc", 1, level.version, "ops", datetime.now(UTC))
    # WHEN the guest checks out
    reply = checkout("POST", "/checkout", BODY, token=token, key=new_key())
    # THEN 409 naming the cart line and what is available; nothing is reserved or ordered
    assert reply.status == 409, reply.body
    assert reply.body["errors"][0]["field"] == "cart.lines.1.quantity"
    assert reply.body["available"] == 1
    assert stock(shop, "LAP-A-BLK", "kyiv-dc") == (10, 0, 10)
    assert count_items(shop, shop.orders, "ORDER#") == 0


def test_an_archived_product_in_the_cart_is_refused_by_name(
    cart: Callable[..., Reply],
    checkout: Callable[..., Reply],
    shop: SimpleNamespace,
    lambda_context: Any,
    functions: Any,
) -> None:
    # GIVEN a cart with a phone whose product is archived afterwards
    token = guest_cart(cart, [("LAP-A-BLK", 1), ("LAP-A-SLV", 1)])
    from catalog.domain.events import ProductArchived, event_id
    from shop_kernel.events import make_event
    from tests.integration.cart.conftest import catalog_events_batch

    archived = make_event(
        "shop.catalog",
        "ProductArchived",
        ProductArchived(
            product_id="prod_a", code="PROD_A", version=2, archived_at="2026-11-02T10:00:00.000Z"
        ),
        version="1.0",
        occurred_at="2026-11-02T10:00:00.000Z",
        event_id=event_id("prod_a", 2, "ProductArchived"),
    )
    functions.invoke("cart-catalog-projector", catalog_events_batch([archived]), lambda_context)
    # WHEN the guest checks out
    reply = checkout(
        "POST",
        "/checkout",
        {"email": "olena@example.com", "shipping_address": ADDRESS},
        token=token,
        key=new_key(),
    )
    # THEN 422 naming both lines of the archived product; nothing is written
    assert reply.status == 422, reply.body
    assert [e["field"] for e in reply.body["errors"]] == ["cart.lines.0.sku", "cart.lines.1.sku"]
    assert count_items(shop, shop.orders, "ORDER#") == 0


def test_promo_codes_are_counted_once_and_their_limits_hold(
    cart: Callable[..., Reply], checkout: Callable[..., Reply], shop: SimpleNamespace
) -> None:
    # GIVEN a once-per-customer code in a customer's cart
    put_promotions(shop)
    cart("POST", "/me/cart/lines", {"sku": "LAP-A-BLK", "quantity": 1}, sub=CUSTOMER_SUB)
    assert cart("POST", "/me/cart/promo-codes", {"code": "ONCE"}, sub=CUSTOMER_SUB).status == 200
    # WHEN the customer checks out, then puts the code into the next cart
    placed = checkout("POST", "/me/checkout", {"shipping_address": ADDRESS}, sub=CUSTOMER_SUB, key=new_key())
    cart("POST", "/me/cart/lines", {"sku": "LAP-A-BLK", "quantity": 1}, sub=CUSTOMER_SUB)
    reused = cart("POST", "/me/cart/promo-codes", {"code": "ONCE"}, sub=CUSTOMER_SUB)
    # THEN the order has 10 % off and counted one use, overall and for the customer; the cart refuses it again
    assert placed.status == 201, placed.body
    assert placed.body["order"]["promo_codes"] == ["ONCE"]
    assert placed.body["order"]["totals"]["discount_total"] == {"amount": 10000, "currency": "EUR"}
    assert item(shop, shop.promotions, "CODE#ONCE", "CODE")["uses"] == 1
    assert item(shop, shop.promotions, "CODE#ONCE", f"USE#customer:{CUSTOMER_SUB}")["uses"] == 1
    assert (reused.status, reused.body["errors"][0]["code"]) == (422, "not_applicable")
    # AND a code with one use left, in two guests' carts, serves one order; the other is refused by name
    third = guest_cart(cart, [("LAP-A-BLK", 1)])
    fourth = guest_cart(cart, [("LAP-A-BLK", 1)])
    for token in (third, fourth):
        assert cart("POST", "/cart/promo-codes", {"code": "LAST"}, token=token).status == 200
    assert (
        checkout("POST", "/checkout", {**BODY, "email": "a@example.com"}, token=third, key=new_key()).status
        == 201
    )
    exhausted = checkout("POST", "/checkout", {**BODY, "email": "b@example.com"}, token=fourth, key=new_key())
    assert (exhausted.status, exhausted.body["errors"][0]["field"]) == (422, "cart.promo_codes.0")
    assert exhausted.body["errors"][0]["code"] == "exhausted"
    assert item(shop, shop.promotions, "CODE#LAST", "CODE")["uses"] == 1
    assert count_items(shop, shop.orders, "ORDER#") == 2


def test_gift_certificates_pay_part_or_all_of_the_order(
    cart: Callable[..., Reply], checkout: Callable[..., Reply], shop: SimpleNamespace
) -> None:
    # GIVEN a 500 UAH certificate on one cart and a certificate worth more than the order on another
    put_promotions(shop)
    part = guest_cart(cart, [("LAP-A-BLK", 1)])
    cart("POST", "/cart/gift-certificates", {"code": "GC-500"}, token=part)
    whole = guest_cart(cart, [("PHN-B-BLK", 1)], pickup="lviv-store")
    cart("POST", "/cart/gift-certificates", {"code": "GC-BIG"}, token=whole)
    # WHEN both are checked out (the second for pickup in the store)
    partly = checkout("POST", "/checkout", BODY, token=part, key=new_key())
    fully = checkout("POST", "/checkout", {"email": "olena@example.com"}, token=whole, key=new_key())
    # THEN the first pays the rest by card, the certificate is debited and its debit recorded
    assert partly.status == 201, partly.body
    totals = partly.body["order"]["totals"]
    assert totals["gift_certificates"]["amount"] == 50000
    assert partly.body["payment"]["amount"]["amount"] == totals["grand_total"]["amount"] - 50000
    assert stored(shop.dynamodb, shop.loyalty, "GC-500")["balance"] == 0  # type: ignore[index]
    order_id = partly.body["order"]["id"]
    assert stored(shop.dynamodb, shop.loyalty, "GC-500", f"TXN#{order_id}")["amount"] == 50000  # type: ignore[index]
    # AND the second is paid in full: placed at once, free pickup, no PaymentIntent
    assert fully.status == 201, fully.body
    assert fully.body["order"]["status"] == "PAYMENT_AUTHORIZED"
    assert fully.body["order"]["shipping"]["method"] == "pickup"
    assert fully.body["order"]["shipping"]["total"]["amount"] == 0
    assert fully.body["payment"] == {
        "provider": "none",
        "payment_intent_id": None,
        "client_secret": None,
        "amount": {"amount": 0, "currency": "UAH"},
        "pay_by": fully.body["order"]["payment_due_by"],
    }
    assert stock(shop, "PHN-B-BLK", "lviv-store") == (5, 1, 4)
    assert len(_intents(shop)) == 1


def test_pickup_orders_have_no_shipping_address(
    cart: Callable[..., Reply], checkout: Callable[..., Reply], shop: SimpleNamespace
) -> None:
    token = guest_cart(cart, [("PHN-B-BLK", 1)], pickup="lviv-store")
    # WHEN it is checked out with an address
    reply = checkout("POST", "/checkout", BODY, token=token, key=new_key())
    # THEN 422 naming it
    assert (reply.status, reply.body["errors"][0]["field"]) == (422, "body.shipping_address")


def test_if_match_star_checks_out_whatever_the_version_and_the_order_reads_back(
    cart: Callable[..., Reply], checkout: Callable[..., Reply], shop: SimpleNamespace
) -> None:
    # GIVEN a guest cart changed a few times (its version is not 1)
    token = guest_cart(cart, [("LAP-A-BLK", 1), ("LAP-A-SLV", 1)])
    # WHEN the guest checks out with If-Match: * (any current version), as a generated client may send it
    placed = checkout(
        "POST",
        "/checkout",
        BODY,
        headers={"x-cart-token": token, "idempotency-key": new_key(), "if-match": "*"},
    )
    # THEN the order is placed, and reads back where Location points, with the same token
    assert placed.status == 201, placed.body
    order_id = placed.body["order"]["id"]
    assert placed.headers["Location"] == f"/checkout/orders/{order_id}"
    read = checkout("GET", placed.headers["Location"], token=token)
    assert (read.status, read.body["id"], read.body["payment"]["status"]) == (
        200,
        order_id,
        "requires_payment",
    )
