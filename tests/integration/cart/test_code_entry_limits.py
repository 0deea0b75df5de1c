"""Promo codes and gift certificates cannot be enumerated: an entry the cart cannot use gets one answer
whether the code is unknown, expired, used up or not for this buyer, and one cart or one address may
enter only so many codes in a window (then 429 with Retry-After)."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from cart.domain.code_entries import CodeEntryLimits
from tests.integration.cart.conftest import Reply
from tests.integration.cart.test_customer_cart_and_merge import _guest_with, _seed_promotions

LIMITS = CodeEntryLimits()


def _cart_with_phone(call: Callable[..., Reply]) -> str:
    """A guest cart with a phone for pickup in Lviv (500.00 EUR)."""
    token = _guest_with(call)
    assert call("PATCH", "/cart", {"pickup_location_id": "lviv-store"}, token=token).status == 200
    assert call("POST", "/cart/lines", {"sku": "PHN-B-BLK", "quantity": 1}, token=token).status == 200
    return token


def _from(ip: str, functions: Any, context: Any) -> Callable[..., Reply]:
    """The cart API, run as its function, with the request coming from ``ip`` (API Gateway's sourceIp)."""
    from tests.integration.cart.conftest import cart_event
    from tests.support import reply_from

    def _call(method: str, path: str, body: Any = None, **kwargs: Any) -> Reply:
        event = cart_event(method, path, body, **kwargs)
        event["requestContext"]["identity"] = {**event["requestContext"].get("identity", {}), "sourceIp": ip}
        return reply_from(functions.invoke("cart-api", event, context))

    return _call


def test_unusable_codes_all_get_the_same_answer(call: Callable[..., Reply], shop: SimpleNamespace) -> None:
    # GIVEN an expired code, a used-up code, and codes that do not exist, and a guest cart
    _seed_promotions(shop)
    token = _cart_with_phone(call)
    # WHEN each is entered
    replies = [
        call("POST", "/cart/promo-codes", {"code": "OLD"}, token=token),
        call("POST", "/cart/promo-codes", {"code": "USEDUP"}, token=token),
        call("POST", "/cart/promo-codes", {"code": "NOSUCH"}, token=token),
        call("POST", "/cart/gift-certificates", {"code": "GC-NOPE"}, token=token),
    ]
    # THEN every answer is the same 422 on body.code: nothing tells which codes exist
    assert {r.status for r in replies} == {422}
    assert {(e["field"], e["code"]) for r in replies for e in r.body["errors"]} == {
        ("body.code", "not_applicable")
    }
    assert (
        len(
            {
                r.body["detail"].replace("OLD", "X").replace("USEDUP", "X").replace("NOSUCH", "X")
                for r in replies[:3]
            }
        )
        == 1
    )


def test_one_cart_may_enter_only_so_many_codes(
    call: Callable[..., Reply], shop: SimpleNamespace, lambda_context: Any, functions: Any
) -> None:
    # GIVEN a guest cart, guessing codes from ever new addresses
    _seed_promotions(shop)
    token = _cart_with_phone(call)
    replies = []
    for n in range(LIMITS.per_cart + 1):
        guess = _from(f"198.51.100.{n}", functions, lambda_context)
        replies.append(guess("POST", "/cart/promo-codes", {"code": f"GUESS{n}"}, token=token))
    # THEN the cart's budget ends in a 429 problem with Retry-After, and even a good code waits
    assert [r.status for r in replies[:-1]] == [422] * LIMITS.per_cart
    assert replies[-1].status == 429, replies[-1].body
    assert 0 < int(replies[-1].headers["Retry-After"]) <= LIMITS.window.total_seconds()
    assert call("POST", "/cart/promo-codes", {"code": "TEN"}, token=token).status == 429


def test_one_address_may_enter_only_so_many_codes(
    call: Callable[..., Reply], shop: SimpleNamespace, lambda_context: Any, functions: Any
) -> None:
    # GIVEN one address guessing with ever new carts
    _seed_promotions(shop)
    guess = _from("192.0.2.77", functions, lambda_context)
    statuses = []
    token = ""
    for n in range(LIMITS.per_ip + 1):
        token = _cart_with_phone(call) if n % LIMITS.per_cart == 0 else token
        statuses.append(guess("POST", "/cart/promo-codes", {"code": f"GUESS{n}"}, token=token).status)
    # THEN the address's budget ends in a 429
    assert statuses[:-1] == [422] * LIMITS.per_ip
    assert statuses[-1] == 429


def test_a_code_disabled_in_the_back_office_is_refused_like_any_unusable_code(
    call: Callable[..., Reply], shop: SimpleNamespace
) -> None:
    # GIVEN a usable code, entered in one cart
    from datetime import UTC, datetime

    from pricing.adapters.back_office import BackOfficeStore
    from shop_kernel.dynamo import CursorCodec

    _seed_promotions(shop)
    before = _cart_with_phone(call)
    assert call("POST", "/cart/promo-codes", {"code": "TEN"}, token=before).status == 200
    # WHEN a merchandiser disables it (pricing's back office write)
    codec = CursorCodec(shop.promotions, lambda: b"unused")
    BackOfficeStore(shop.dynamodb, shop.promotions, codec, codec).disable_code("TEN", datetime.now(UTC))
    # THEN another cart entering it gets the one answer for unusable codes; the first cart, re-priced, drops its
    # discount and says why (it held the code, so nothing is learnt)
    after = call("POST", "/cart/promo-codes", {"code": "TEN"}, token=_cart_with_phone(call))
    assert (after.status, after.body["errors"][0]["code"]) == (422, "not_applicable")
    repriced = call("GET", "/cart", token=before)
    assert repriced.status == 200
    assert (repriced.body["applied_promotions"], repriced.body["totals"]["discount_total"]["amount"]) == (
        [],
        0,
    )
    assert [c["code"] for c in repriced.body["invalid_codes"]] == ["disabled"]
