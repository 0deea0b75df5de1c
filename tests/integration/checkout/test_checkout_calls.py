"""What one ``POST /checkout`` costs in DynamoDB calls, idempotency included (decision 49).

Counted with botocore hooks on the checkout function's own client, which Powertools' idempotency layer
shares. Four calls when warm: one TransactWriteItems for the idempotency record in progress and the attempt
counters of decision 29 (the cart's or customer's, and the client address's), the cart (GetItem), one
BatchGetItem for everything pricing and planning read (SKU facts, stock, locations config, promotions
config, code usage) and the order's one TransactWriteItems, which also completes the idempotency record
with the answer (``checkout.adapters.idempotency``). The first checkout of a process also reads the
warehouses' stock it could not guess (a second BatchGetItem). A change that adds a call to the request
path fails here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from tests.integration.checkout.conftest import ADDRESS, guest_cart, new_key
from tests.support import Reply

BODY = {"email": "olena@example.com", "shipping_address": ADDRESS}
WARM = [
    "TransactWriteItems",  # idempotency record in progress, attempts of this cart and this address this hour
    "GetItem",  # the cart
    "BatchGetItem",  # facts, stock, locations and promotions config, code usage
    "TransactWriteItems",  # cart closed, order, stock held, codes counted, idempotency record completed
]
MOST_WARM_CALLS = 4


@pytest.fixture
def checkout_calls(shop: SimpleNamespace, functions: Any) -> Iterator[list[str]]:
    """The DynamoDB operations the checkout function's client sends (botocore hooks)."""
    from checkout import wiring

    calls: list[str] = []
    client = functions.run("checkout-api", lambda: wiring.container.dynamodb_client())
    client.meta.events.register(
        "before-call.dynamodb.*", lambda model, **_: calls.append(model.name), unique_id="checkout-calls"
    )
    yield calls
    client.meta.events.unregister("before-call.dynamodb.*", unique_id="checkout-calls")


def test_a_checkout_costs_four_dynamodb_calls_warm_and_one_more_cold(
    cart: Callable[..., Reply], checkout: Callable[..., Reply], checkout_calls: list[str]
) -> None:
    # GIVEN two guest carts and a checkout function that has not checked out yet
    first_cart = guest_cart(cart, [("LAP-A-BLK", 1)])
    second_cart = guest_cart(cart, [("LAP-A-BLK", 1), ("LAP-A-SLV", 1)])
    checkout_calls.clear()
    # WHEN both guests check out, one after the other
    first = checkout("POST", "/checkout", BODY, token=first_cart, key=new_key())
    cold = list(checkout_calls)
    checkout_calls.clear()
    second = checkout("POST", "/checkout", BODY, token=second_cart, key=new_key())
    # THEN both orders are placed; the warm one with these calls and no more, the first with the
    # stock of the warehouses it could not guess read once more
    assert first.status == 201, first.body
    assert second.status == 201, second.body
    assert checkout_calls == WARM
    assert len(checkout_calls) <= MOST_WARM_CALLS
    assert cold == [*WARM[:3], "BatchGetItem", *WARM[3:]]
