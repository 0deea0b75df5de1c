"""Stripe's minimum card charge through the checkout handler on moto: gift certificates that leave the card
more than nothing but less than the minimum (25.00 UAH) are a 422 before Stripe is asked; leaving it
exactly the minimum places the order with a PaymentIntent for that much. (Points: the domain tests in
``tests/unit/checkout/test_paying_with_points.py``; the same refusal, on ``body.points``.)"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

from tests.certificates import put_certificate
from tests.integration.checkout.conftest import ADDRESS, count_items, guest_cart, new_key
from tests.support import Reply

BODY = {"email": "olena@example.com", "shipping_address": ADDRESS}


def _cart_with_certificate_leaving(cart: Callable[..., Reply], shop: SimpleNamespace, left: int) -> str:
    """A guest cart with one laptop and a certificate worth all it costs but ``left`` (minor units)."""
    token = guest_cart(cart, [("LAP-A-BLK", 1)])
    due = cart("GET", "/cart", token=token).body["totals"]["amount_due"]["amount"]
    code = f"GC-LEAVES-{left}"
    put_certificate(shop.dynamodb, shop.loyalty, code, due - left, "UAH")
    assert cart("POST", "/cart/gift-certificates", {"code": code}, token=token).status == 200
    return token


def test_certificates_leaving_the_card_less_than_its_minimum_are_a_422_naming_them(
    cart: Callable[..., Reply], checkout: Callable[..., Reply], shop: SimpleNamespace
) -> None:
    # GIVEN a guest cart whose certificate leaves 10.00 UAH to pay: less than a card can be charged
    token = _cart_with_certificate_leaving(cart, shop, 1000)
    # WHEN the guest checks out
    refused = checkout("POST", "/checkout", BODY, token=token, key=new_key())
    # THEN a 422 names the certificates and says the minimum; no order was written
    assert refused.status == 422, refused.body
    assert [(e["field"], e["code"]) for e in refused.body["errors"]] == [
        ("cart.gift_certificates", "card_charge_below_minimum")
    ]
    assert refused.body["minimum"] == {"amount": 2500, "currency": "UAH"}
    assert count_items(shop, shop.orders, "ORDER#") == 0


def test_certificates_leaving_the_card_exactly_its_minimum_are_charged_that(
    cart: Callable[..., Reply], checkout: Callable[..., Reply], shop: SimpleNamespace
) -> None:
    # GIVEN a guest cart whose certificate leaves 25.00 UAH, the card minimum
    token = _cart_with_certificate_leaving(cart, shop, 2500)
    # WHEN the guest checks out
    placed = checkout("POST", "/checkout", BODY, token=token, key=new_key())
    # THEN the order waits for a card payment of exactly that
    assert placed.status == 201, placed.body
    assert placed.body["payment"]["amount"] == {"amount": 2500, "currency": "UAH"}
    assert placed.body["order"]["status"] == "PENDING_PAYMENT"
