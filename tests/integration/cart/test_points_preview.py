"""The cart shows a signed-in member what their loyalty points may pay: the member's summary and the
redemption rules are read through loyalty's contract in the BatchGetItem the priced cart makes anyway
(GET /me/cart: GetItem + BatchGetItem before and after). Guests see `points: null`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from tests.integration.cart.conftest import CUSTOMER_SUB, OTHER_SUB, Reply

LAPTOP_EUR = 100_000  # LAP-A-BLK's retail price, cents; a point pays 1 cent in EUR (loyalty's defaults)


def _give_points(shop: SimpleNamespace, member: str, points: int) -> None:
    from loyalty.adapters.dynamo import DynamoLoyaltyStore
    from loyalty.domain.service import LoyaltyService

    from shop_kernel.clock import SystemClock

    service = LoyaltyService(DynamoLoyaltyStore(shop.dynamodb, shop.loyalty), SystemClock())
    while points > 0:  # an agent's adjustment above 5,000 points waits for a second agent: give in steps
        service.adjust(member, min(points, 5_000), "welcome gift", "agent-1")
        points -= 5_000


def _member_cart(call: Callable[..., Reply], sub: str = CUSTOMER_SUB) -> None:
    call("POST", "/me/cart", {"currency": "EUR", "destination_country": "DE"}, sub=sub)
    assert call("POST", "/me/cart/lines", {"sku": "LAP-A-BLK", "quantity": 1}, sub=sub).status == 200


@pytest.fixture
def dynamodb_calls(shop: SimpleNamespace, functions: Any) -> Iterator[list[str]]:
    """Every DynamoDB operation the cart's own client sends, recorded by a botocore hook."""
    from cart import wiring

    calls: list[str] = []
    client = functions.run("cart-api", lambda: wiring.container.dynamodb_client())

    def count(model: Any, **_: Any) -> None:
        calls.append(model.name)

    client.meta.events.register("before-call.dynamodb.*", count, unique_id="cart-points-calls")
    yield calls
    client.meta.events.unregister("before-call.dynamodb.*", unique_id="cart-points-calls")


def test_a_members_cart_shows_their_points_and_what_the_most_of_them_pay(
    call: Callable[..., Reply], shop: SimpleNamespace
) -> None:
    # GIVEN two members with a 1,000.00 EUR laptop in their carts: one with 5,000 points, one with 80,000
    _give_points(shop, CUSTOMER_SUB, 5_000)
    _give_points(shop, OTHER_SUB, 80_000)
    _member_cart(call, CUSTOMER_SUB)
    _member_cart(call, OTHER_SUB)
    # WHEN each reads their cart
    few = call("GET", "/me/cart", sub=CUSTOMER_SUB)
    many = call("GET", "/me/cart", sub=OTHER_SUB)
    # THEN the first may use all 5,000 (50.00 EUR); the second only half the laptop's price (the rules'
    # share): 50,000 points, 500.00 EUR
    assert few.status == many.status == 200, (few.body, many.body)
    assert few.body["points"] == {
        "available": 5_000,
        "max_usable": 5_000,
        "max_value": {"amount": 5_000, "currency": "EUR"},
        "point_value": {"amount": 1, "currency": "EUR"},
    }
    assert many.body["points"]["available"] == 80_000
    assert many.body["points"]["max_usable"] == LAPTOP_EUR // 2
    assert many.body["points"]["max_value"] == {"amount": LAPTOP_EUR // 2, "currency": "EUR"}


def test_a_member_without_points_sees_none_usable_and_a_guest_sees_no_points(
    call: Callable[..., Reply], shop: SimpleNamespace
) -> None:
    # GIVEN a customer who never earned a point, and a guest, each with a laptop in the cart
    _member_cart(call)
    token = call("POST", "/cart", {"currency": "EUR", "destination_country": "DE"}).body["token"]
    call("POST", "/cart/lines", {"sku": "LAP-A-BLK", "quantity": 1}, token=token)
    # WHEN they read their carts
    member = call("GET", "/me/cart", sub=CUSTOMER_SUB).body
    guest = call("GET", "/cart", token=token).body
    # THEN the member has nothing to use, the guest's cart says nothing of points
    assert (member["points"]["available"], member["points"]["max_usable"]) == (0, 0)
    assert guest["points"] is None


def test_the_preview_costs_no_dynamodb_call_more(
    call: Callable[..., Reply], shop: SimpleNamespace, dynamodb_calls: list[str]
) -> None:
    # GIVEN a member with points and a guest, each with a laptop in the cart
    _give_points(shop, CUSTOMER_SUB, 5_000)
    _member_cart(call)
    token = call("POST", "/cart", {"currency": "EUR", "destination_country": "DE"}).body["token"]
    call("POST", "/cart/lines", {"sku": "LAP-A-BLK", "quantity": 1}, token=token)
    # WHEN each reads the priced cart
    dynamodb_calls.clear()
    assert call("GET", "/me/cart", sub=CUSTOMER_SUB).body["points"]["available"] == 5_000
    member_calls = list(dynamodb_calls)
    dynamodb_calls.clear()
    call("GET", "/cart", token=token)
    # THEN both are the cart's GetItem and one BatchGetItem: the member's summary and the rules ride along
    # with the SKU facts and the promotions
    assert member_calls == dynamodb_calls == ["GetItem", "BatchGetItem"]
