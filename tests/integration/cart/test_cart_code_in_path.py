"""A code in the path arrives percent-encoded (API Gateway REST passes the path as sent): the route reads
the text the client meant, which the documented pattern (letters, digits, space, _ and -) allows."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

from tests.integration.cart.test_customer_cart_and_merge import _guest_with, _seed_promotions
from tests.support import Reply


def test_a_code_with_encoded_spaces_in_the_path_is_read_decoded(
    call: Callable[..., Reply], shop: SimpleNamespace
) -> None:
    # GIVEN a guest cart with the promo code TEN, and a guest cart and a customer cart without codes
    _seed_promotions(shop)
    token = _guest_with(call)
    call("PATCH", "/cart", {"pickup_location_id": "lviv-store"}, token=token)
    call("POST", "/cart/lines", {"sku": "PHN-B-BLK", "quantity": 1}, token=token)
    assert call("POST", "/cart/promo-codes", {"code": "TEN"}, token=token).status == 200
    # WHEN a code with a space, percent-encoded, is removed from a cart that does not hold it
    absent = call("DELETE", "/cart/promo-codes/SPRING%2010", token=token)
    mine = call("DELETE", "/me/cart/promo-codes/SPRING%2010", sub="0d5c1e8a-3b7f-4c2d-9e6a-1f4b8c7d2e90")
    # THEN each is the domain's 404 naming the decoded code, not a pattern refusal of "%20"
    assert (absent.status, absent.body["errors"][0]["code"]) == (404, "not_in_cart"), absent.body
    assert "SPRING 10" in absent.body["detail"]
    assert mine.status == 404, mine.body
    # WHEN the held code is removed as typed, spaces around it, percent-encoded
    removed = call("DELETE", "/cart/promo-codes/%20ten%20", token=token)
    # THEN it is gone
    assert (removed.status, removed.body["promo_codes"]) == (200, []), removed.body
