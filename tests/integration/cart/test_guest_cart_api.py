"""Guest carts over API Gateway events: create, add, price, change, codes; every bad input a problem."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from tests.integration.cart.conftest import Reply


def _new_cart(call: Callable[..., Reply], currency: str = "UAH", country: str = "UA") -> str:
    reply = call("POST", "/cart", {"currency": currency, "destination_country": country})
    assert reply.status == 201, reply.body
    return str(reply.body["token"])


def test_guest_creates_a_cart_adds_a_line_and_gets_it_priced_with_tax(
    call: Callable[..., Reply], shop: SimpleNamespace
) -> None:
    # GIVEN a new guest cart in UAH to Ukraine
    created = call("POST", "/cart", {"currency": "UAH", "destination_country": "UA"})
    token = created.body["token"]
    # WHEN the guest adds two laptops and reads the cart
    added = call("POST", "/cart/lines", {"sku": "LAP-A-BLK", "quantity": 2}, token=token)
    priced = call("GET", "/cart", token=token, headers={"Accept-Language": "uk"})
    # THEN the token came once in the body and header, the line is stored, and the cart is priced (20 % VAT inside)
    assert created.headers["X-Cart-Token"] == token
    assert added.status == 200
    assert added.body["lines"] == [{"sku": "LAP-A-BLK", "quantity": 2}]
    assert added.headers["ETag"] == '"2"'
    assert priced.status == 200
    (line,) = priced.body["lines"]
    assert line["unit_price"] == {"amount": 4000000, "currency": "UAH"}
    assert line["name"] == "Ноутбук prod_a"
    # 80 000.00 UAH gross at 20 %: net 66 666.67 (half-up), tax 13 333.33
    assert line["tax"] == {"amount": 1333333, "currency": "UAH"}
    assert priced.body["tax_display"] == "inclusive"
    assert priced.body["totals"]["shipping"] == {"amount": 9900, "currency": "UAH"}
    assert priced.body["totals"]["grand_total"]["amount"] == 8000000 + 9900


def test_token_is_stored_only_as_its_hash(call: Callable[..., Reply], shop: SimpleNamespace) -> None:
    # GIVEN a guest cart
    token = _new_cart(call)
    # WHEN the table is read as a whole (as a leaked backup would be)
    items = shop.dynamodb.scan(TableName=shop.carts)["Items"]
    # THEN no item holds the token, and the cart's key is its SHA-256
    import hashlib

    assert token not in str(items)
    assert any(i["pk"]["S"] == "GUEST#" + hashlib.sha256(token.encode()).hexdigest() for i in items)


def test_adding_again_sums_quantities_within_the_limit(
    call: Callable[..., Reply], shop: SimpleNamespace
) -> None:
    # GIVEN a cart with 15 laptops
    token = _new_cart(call)
    call("POST", "/cart/lines", {"sku": "LAP-A-BLK", "quantity": 15}, token=token)
    # WHEN 3 more, then 5 more are added
    more = call("POST", "/cart/lines", {"sku": "LAP-A-BLK", "quantity": 3}, token=token)
    too_many = call("POST", "/cart/lines", {"sku": "LAP-A-BLK", "quantity": 5}, token=token)
    # THEN 18 are in the cart and 23 is refused naming the quantity, leaving 18
    assert more.body["lines"] == [{"sku": "LAP-A-BLK", "quantity": 18}]
    assert too_many.status == 422
    assert too_many.body["errors"][0]["field"] == "body.quantity"
    assert too_many.body["errors"][0]["code"] == "above_limit"
    assert call("GET", "/cart", token=token).body["lines"][0]["quantity"] == 18


def test_quantity_must_be_available(call: Callable[..., Reply], shop: SimpleNamespace) -> None:
    # GIVEN 2 silver laptops in the warehouse and 5 phones only in the store
    token = _new_cart(call)
    # WHEN 3 silver laptops are added, then a phone for delivery, then the phone for pickup at the store
    short = call("POST", "/cart/lines", {"sku": "LAP-A-SLV", "quantity": 3}, token=token)
    delivery = call("POST", "/cart/lines", {"sku": "PHN-B-BLK", "quantity": 1}, token=token)
    call("PATCH", "/cart", {"pickup_location_id": "lviv-store"}, token=token)
    pickup = call("POST", "/cart/lines", {"sku": "PHN-B-BLK", "quantity": 1}, token=token)
    # THEN stock decides: 409 naming the quantity with what is available, and pickup at the store works
    assert short.status == 409
    assert short.body["errors"][0] == {
        "field": "body.quantity",
        "message": "only 2 of LAP-A-SLV available, 3 wanted",
        "code": "insufficient_stock",
    }
    assert short.body["available"] == 2
    assert delivery.status == 409
    assert pickup.status == 200


def test_bad_input_is_a_problem_naming_the_field_and_changes_nothing(
    call: Callable[..., Reply], shop: SimpleNamespace
) -> None:
    # GIVEN a cart with one line
    token = _new_cart(call)
    call("POST", "/cart/lines", {"sku": "LAP-A-BLK", "quantity": 1}, token=token)
    cases: list[tuple[dict[str, Any], int, str, str]] = [
        ({"sku": "NOPE-1", "quantity": 1}, 422, "body.sku", "unknown_sku"),
        ({"sku": "LAP-A-BLK", "quantity": 0}, 422, "body.quantity", "greater_than_equal"),
        ({"sku": "LAP-A-BLK", "quantity": -3}, 422, "body.quantity", "greater_than_equal"),
        ({"sku": "LAP-A-BLK", "quantity": 21}, 422, "body.quantity", "above_limit"),
        ({"sku": "LAP-A-BLK", "quantity": 1, "price": 1}, 422, "body.price", "extra_forbidden"),
        ({"sku": "LAP-A-BLK", "quantity": 1, "total": {"amount": 1}}, 422, "body.total", "extra_forbidden"),
        ({"sku": "LAP-A-BLK", "quantity": "2"}, 422, "body.quantity", "int_type"),
    ]
    for body, status, field, code in cases:
        # WHEN each bad line is added
        reply = call("POST", "/cart/lines", body, token=token)
        # THEN a problem names the field
        assert reply.status == status, (body, reply.body)
        assert reply.headers["Content-Type"] == "application/problem+json"
        assert (reply.body["errors"][0]["field"], reply.body["errors"][0]["code"]) == (field, code), body
    # AND the cart is unchanged
    cart = call("GET", "/cart", token=token).body
    assert cart["lines"][0]["quantity"] == 1
    assert cart["version"] == 2


def test_currency_without_a_price_is_refused(call: Callable[..., Reply], shop: SimpleNamespace) -> None:
    # GIVEN a USD cart (the products have EUR and UAH prices only) and a EUR cart with a line
    usd = _new_cart(call, "USD", "US")
    eur = _new_cart(call, "EUR", "DE")
    call("POST", "/cart/lines", {"sku": "LAP-A-BLK", "quantity": 1}, token=eur)
    # WHEN a line is added to the USD cart, and the EUR cart switches to USD
    added = call("POST", "/cart/lines", {"sku": "LAP-A-BLK", "quantity": 1}, token=usd)
    switched = call("PATCH", "/cart", {"currency": "USD"}, token=eur)
    # THEN both are currency mismatches naming the field
    assert added.status == 422
    assert added.body["errors"][0]["code"] == "currency_mismatch"
    assert switched.status == 422
    assert switched.body["errors"][0]["code"] == "currency_mismatch"
    assert call("GET", "/cart", token=eur).body["currency"] == "EUR"


def test_tokens_that_open_nothing(call: Callable[..., Reply], shop: SimpleNamespace) -> None:
    # GIVEN a customer's cart
    mine = call("POST", "/me/cart", {"currency": "EUR"}, sub="9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d")
    # WHEN a guest uses the customer's cart id, an unknown token, a malformed one or none
    by_id = call("GET", "/cart", token=mine.body["id"])
    unknown = call("GET", "/cart", token="A" * 43)
    malformed = call("GET", "/cart", token="not a token!")
    missing = call("POST", "/cart/lines", {"sku": "LAP-A-BLK", "quantity": 1})
    # THEN 404 (never the cart) for the well-formed ones, 400 naming the header otherwise
    assert by_id.status == 404
    assert "lines" not in by_id.body
    assert unknown.status == 404
    assert malformed.status == 400
    assert malformed.body["errors"][0]["field"] == "header.x-cart-token"
    assert missing.status == 400


def test_if_match_is_honoured(call: Callable[..., Reply], shop: SimpleNamespace) -> None:
    # GIVEN a cart at version 1
    token = _new_cart(call)
    # WHEN a write pins version 1, then another pins the stale version 1
    first = call(
        "POST", "/cart/lines", {"sku": "LAP-A-BLK", "quantity": 1}, token=token, headers={"If-Match": '"1"'}
    )
    stale = call(
        "POST", "/cart/lines", {"sku": "PHN-B-BLK", "quantity": 1}, token=token, headers={"If-Match": '"1"'}
    )
    # THEN the first lands and the stale one is a 412 that changed nothing
    assert first.status == 200
    assert stale.status == 412
    assert [line["sku"] for line in call("GET", "/cart", token=token).body["lines"]] == ["LAP-A-BLK"]


def test_if_match_star_means_any_version_and_garbage_is_a_400(
    call: Callable[..., Reply], shop: SimpleNamespace
) -> None:
    # GIVEN a cart changed since it was created (version 2)
    token = _new_cart(call)
    assert call("POST", "/cart/lines", {"sku": "LAP-A-BLK", "quantity": 1}, token=token).status == 200
    # WHEN a write sends If-Match: * (RFC 9110: any current version), then one sends no ETag at all
    star = call("PUT", "/cart/lines/LAP-A-BLK", {"quantity": 2}, token=token, headers={"If-Match": "*"})
    garbage = call("PUT", "/cart/lines/LAP-A-BLK", {"quantity": 3}, token=token, headers={"If-Match": "soon"})
    # THEN * is honoured like no precondition, and a value that is no ETag is a 400 that changed nothing
    assert (star.status, star.body["lines"]) == (200, [{"sku": "LAP-A-BLK", "quantity": 2}])
    assert garbage.status == 400
    assert call("GET", "/cart", token=token).body["lines"][0]["quantity"] == 2


def test_documented_headers_work_in_any_letter_case(
    call: Callable[..., Reply], shop: SimpleNamespace
) -> None:
    # GIVEN a cart, and a client generated from the document (it sends header names as documented: lower case)
    token = _new_cart(call)
    # WHEN it sends x-cart-token, if-match and accept-language in lower case
    added = call(
        "POST",
        "/cart/lines",
        {"sku": "LAP-A-BLK", "quantity": 1},
        headers={"x-cart-token": token, "if-match": '"1"'},
    )
    read = call("GET", "/cart", headers={"x-cart-token": token, "accept-language": "uk"})
    # THEN they are read as their canonical spellings
    assert added.status == 200, added.body
    assert read.status == 200
    assert read.body["lines"][0]["name"] == "Ноутбук prod_a"


def test_lines_change_and_go(call: Callable[..., Reply], shop: SimpleNamespace) -> None:
    # GIVEN a cart with a laptop
    token = _new_cart(call)
    call("POST", "/cart/lines", {"sku": "LAP-A-BLK", "quantity": 1}, token=token)
    # WHEN its quantity is set, an absent line is changed, and the line is removed
    changed = call("PUT", "/cart/lines/LAP-A-BLK", {"quantity": 4}, token=token)
    absent = call("PUT", "/cart/lines/LAP-A-SLV", {"quantity": 1}, token=token)
    removed = call("DELETE", "/cart/lines/LAP-A-BLK", token=token)
    # THEN
    assert changed.body["lines"] == [{"sku": "LAP-A-BLK", "quantity": 4}]
    assert absent.status == 404
    assert absent.body["errors"][0]["field"] == "path.sku"
    assert removed.body["lines"] == []


def test_an_empty_cart_reads_priced_with_no_shipping_and_zero_totals(
    call: Callable[..., Reply], shop: SimpleNamespace
) -> None:
    # GIVEN a new cart with nothing in it
    token = _new_cart(call)
    # WHEN it is read (the call fixture also checks the answer against the documented PricedCartView)
    priced = call("GET", "/cart", token=token)
    # THEN there is nothing to ship and nothing to pay, and the version is the ETag
    assert priced.status == 200
    assert (priced.body["lines"], priced.body["shipping"]) == ([], None)
    assert priced.body["totals"]["amount_due"] == {"amount": 0, "currency": "UAH"}
    assert priced.etag == f'"{priced.body["version"]}"'
