"""Customer carts (/me/cart with Cognito claims), merging a guest cart at sign-in, promo codes and gift
certificates previewed from the promotions table, and concurrent writes that lose no line."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from pricing.adapters.records import promotion_write_items
from pricing.domain import Promotion
from tests.certificates import put_certificate
from tests.integration.cart.conftest import CUSTOMER_SUB, OTHER_SUB, Reply


def _guest_with(call: Callable[..., Reply], *lines: tuple[str, int]) -> str:
    token = call("POST", "/cart", {"currency": "EUR", "destination_country": "DE"}).body["token"]
    for sku, quantity in lines:
        assert call("POST", "/cart/lines", {"sku": sku, "quantity": quantity}, token=token).status == 200
    return str(token)


def test_customer_cart_needs_a_customer(call: Callable[..., Reply], shop: SimpleNamespace) -> None:
    # GIVEN no token, then a token of another group
    anonymous = call("GET", "/me/cart")
    merchandiser = call("GET", "/me/cart", sub=OTHER_SUB, groups="merchandisers")
    # THEN 401 and 403 before the body is looked at
    assert anonymous.status == 401
    assert merchandiser.status == 403


def test_customers_see_only_their_own_cart(call: Callable[..., Reply], shop: SimpleNamespace) -> None:
    # GIVEN a customer who added a laptop (the first write opens the cart)
    added = call("POST", "/me/cart/lines", {"sku": "LAP-A-BLK", "quantity": 1}, sub=CUSTOMER_SUB)
    # WHEN another customer reads theirs, and uses the first customer's cart id as a guest token
    other = call("GET", "/me/cart", sub=OTHER_SUB)
    by_id = call("GET", "/cart", token=added.body["id"])
    # THEN the first customer's cart is theirs only
    assert added.status == 200
    assert call("GET", "/me/cart", sub=CUSTOMER_SUB).body["lines"][0]["sku"] == "LAP-A-BLK"
    assert other.status == 404
    assert by_id.status == 404


def test_b2b_customers_get_their_price_list_net_of_tax(
    call: Callable[..., Reply], shop: SimpleNamespace
) -> None:
    # GIVEN a business customer whose token names the b2b_gold price group
    claims = {"custom:price_group": "b2b_gold"}
    call("POST", "/me/cart", {"currency": "EUR", "destination_country": "DE"}, sub=OTHER_SUB, claims=claims)
    call("POST", "/me/cart/lines", {"sku": "LAP-A-BLK", "quantity": 1}, sub=OTHER_SUB, claims=claims)
    # WHEN the cart is priced
    priced = call("GET", "/me/cart", sub=OTHER_SUB, claims=claims).body
    # THEN the negotiated (net) list applies and 19 % VAT is added on top
    (line,) = priced["lines"]
    assert line["price_list"] == "b2b_gold"
    assert line["unit_price"] == {"amount": 80000, "currency": "EUR"}
    assert priced["tax_display"] == "exclusive"
    assert line["tax"] == {"amount": 15200, "currency": "EUR"}


def test_merge_sums_quantities_within_limits_closes_the_guest_cart_and_is_idempotent(
    call: Callable[..., Reply], shop: SimpleNamespace
) -> None:
    # GIVEN a customer with 15 laptops and a guest cart with 10 of them and a phone
    call("POST", "/me/cart", {"currency": "EUR", "destination_country": "DE"}, sub=CUSTOMER_SUB)
    call("POST", "/me/cart/lines", {"sku": "LAP-A-BLK", "quantity": 15}, sub=CUSTOMER_SUB)
    token = _guest_with(call, ("LAP-A-BLK", 10))
    call("PATCH", "/cart", {"pickup_location_id": "lviv-store"}, token=token)
    call("POST", "/cart/lines", {"sku": "PHN-B-BLK", "quantity": 2}, token=token)
    # WHEN the customer signs in and merges, twice
    first = call("POST", "/me/cart/merge", sub=CUSTOMER_SUB, token=token)
    again = call("POST", "/me/cart/merge", sub=CUSTOMER_SUB, token=token)
    # THEN quantities are summed and capped at 20, the guest cart is closed, the second merge changes nothing
    assert first.status == 200, first.body
    assert first.body["merge"]["dropped"] == []
    lines = {line["sku"]: line["quantity"] for line in first.body["lines"]}
    assert lines == {"LAP-A-BLK": 20, "PHN-B-BLK": 2}
    assert first.body["merge"]["capped"] == ["LAP-A-BLK"]
    assert again.status == 200
    assert again.body["version"] == first.body["version"]
    assert call("GET", "/cart", token=token).status == 404
    # AND another customer cannot take the merged guest cart
    assert call("POST", "/me/cart/merge", sub=OTHER_SUB, token=token).status == 404


def _seed_promotions(shop: SimpleNamespace) -> None:
    promotion = {
        "id": "promo_ten",
        "name": "10 % off",
        "benefit": {"kind": "percent_off", "basis_points": 1000},
        "ends_at": "2099-01-01T00:00:00Z",
    }
    expired = {
        **promotion,
        "id": "promo_old",
        "ends_at": "2020-01-01T00:00:00Z",
        "starts_at": "2019-01-01T00:00:00Z",
    }
    # Promotions as pricing writes them: each item and the versioned config item cart reads.
    promotions = [Promotion.model_validate(p) for p in (promotion, expired)]
    shop.dynamodb.transact_write_items(
        TransactItems=promotion_write_items(shop.promotions, promotions, current=None)
    )
    items: list[dict[str, Any]] = []
    for code, promotion_id, limit, uses in (
        ("TEN", "promo_ten", 100, 3),
        ("USEDUP", "promo_ten", 5, 5),
        ("OLD", "promo_old", None, 0),
    ):
        doc = {"code": code, "promotion_id": promotion_id, "usage_limit": limit}
        items.append(
            {
                "pk": {"S": f"CODE#{code}"},
                "sk": {"S": "CODE"},
                "doc": {"S": json.dumps(doc)},
                "uses": {"N": str(uses)},
            }
        )
    for item in items:
        shop.dynamodb.put_item(TableName=shop.promotions, Item=item)
    put_certificate(shop.dynamodb, shop.loyalty, "GC-50", 5000, "EUR")


def test_promo_codes_and_gift_certificates_are_previewed(
    call: Callable[..., Reply], shop: SimpleNamespace
) -> None:
    # GIVEN promotions, codes and a certificate, and a guest cart with a phone (500.00 EUR)
    _seed_promotions(shop)
    token = _guest_with(call)
    call("PATCH", "/cart", {"pickup_location_id": "lviv-store"}, token=token)
    call("POST", "/cart/lines", {"sku": "PHN-B-BLK", "quantity": 1}, token=token)
    # WHEN good, expired, exhausted and unknown codes and a certificate are applied
    ten = call("POST", "/cart/promo-codes", {"code": " ten "}, token=token)
    expired = call("POST", "/cart/promo-codes", {"code": "OLD"}, token=token)
    used_up = call("POST", "/cart/promo-codes", {"code": "USEDUP"}, token=token)
    unknown = call("POST", "/cart/gift-certificates", {"code": "GC-NOPE"}, token=token)
    gift = call("POST", "/cart/gift-certificates", {"code": "gc-50"}, token=token)
    sent_discount = call("POST", "/cart/promo-codes", {"code": "TEN", "discount": 100}, token=token)
    priced = call("GET", "/cart", token=token).body
    # THEN the good ones are kept, the bad ones are 422 naming body.code, and the cart is priced with them
    assert ten.body["promo_codes"] == ["TEN"]
    # (one answer for every unusable code: tests/integration/cart/test_code_entry_limits.py)
    assert (expired.status, expired.body["errors"][0]["code"]) == (422, "not_applicable")
    assert (used_up.status, used_up.body["errors"][0]["code"]) == (422, "not_applicable")
    assert used_up.body["errors"][0]["field"] == "body.code"
    assert (unknown.status, unknown.body["errors"][0]["code"]) == (422, "not_applicable")
    assert gift.body["gift_certificates"] == ["GC-50"]
    assert sent_discount.status == 422
    assert priced["promo_codes"] == ["TEN"]
    assert priced["totals"]["discount_total"]["amount"] == 5000
    assert priced["totals"]["gift_certificates"] == {"amount": 5000, "currency": "EUR"}
    assert priced["totals"]["amount_due"]["amount"] == priced["totals"]["grand_total"]["amount"] - 5000
    assert call("DELETE", "/cart/promo-codes/TEN", token=token).body["promo_codes"] == []


def test_an_add_that_loses_a_race_is_applied_again_and_never_loses_a_line(
    call: Callable[..., Reply], shop: SimpleNamespace, monkeypatch: Any
) -> None:
    from datetime import UTC, datetime

    from cart.adapters.dynamo_carts import DynamoCartStore
    from cart.domain import changes

    # GIVEN a guest cart, and another tab whose add lands between this add's read and its write (a Lambda
    # environment serves one request at a time, so the race is staged inside one invocation: two threads
    # in one process would share the resolver's per-request state, which no function ever does)
    token = _guest_with(call, ("LAP-A-BLK", 1))
    original_save = DynamoCartStore.save
    raced: list[int] = []

    def save_after_another_tab(self: Any, owner: Any, cart: Any, expected_version: int) -> None:
        if not raced:
            stored = self.get(owner)
            other = changes.set_line(stored, "PHN-B-BLK", 1, datetime.now(UTC), changes.Lifetimes())
            original_save(self, owner, other, stored.version)
            raced.append(stored.version)
        original_save(self, owner, cart, expected_version)

    monkeypatch.setattr(DynamoCartStore, "save", save_after_another_tab)
    # WHEN this tab adds a second laptop
    added = call("POST", "/cart/lines", {"sku": "LAP-A-BLK", "quantity": 1}, token=token)
    # THEN its first write lost to the other tab's, was applied again on the cart the other tab left, and
    # both adds are in the cart
    assert added.status == 200, added.body
    assert len(raced) == 1
    lines = {line["sku"]: line["quantity"] for line in call("GET", "/cart", token=token).body["lines"]}
    assert lines == {"LAP-A-BLK": 2, "PHN-B-BLK": 1}
