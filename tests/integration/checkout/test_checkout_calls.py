"""What one ``POST /checkout`` costs in DynamoDB calls, idempotency included (decision 49).

Counted with botocore hooks on the checkout function's own client, which Powertools' idempotency layer
shares. Four calls when warm: one TransactWriteItems for the idempotency record in progress and the attempt
counters of decision 29 (the cart's or customer's, and the client address's), the cart (GetItem), one
BatchGetItem for everything pricing and planning read (SKU facts, stock, locations config, promotions
config, code usage) and the order's one TransactWriteItems, which also completes the idempotency record
with the answer (``checkout.adapters.idempotency``). The first checkout of a process also reads the
warehouses' stock it could not guess (a second BatchGetItem). A change that adds a call to the request
path fails here. A customer paying with loyalty points costs the same four: the member's summary
and the redemption rules are two more keys of the BatchGetItem, the debit more entries of the order's
transaction."""

from __future__ import annotations

import json
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


def test_a_checkout_paying_with_points_costs_the_same_four_calls_warm(
    cart: Callable[..., Reply],
    checkout: Callable[..., Reply],
    checkout_calls: list[str],
    shop: SimpleNamespace,
    functions: Any,
) -> None:
    from loyalty.adapters.dynamo import DynamoLoyaltyStore
    from loyalty.domain.service import LoyaltyService

    from checkout import wiring
    from infra.resources import physical_name
    from shop_kernel.clock import SystemClock
    from tests.integration.checkout.conftest import CUSTOMER_SUB

    # GIVEN a warm checkout function, and a customer with 5,000 points and a laptop in their cart
    loyalty_table = physical_name("test", "loyalty")
    LoyaltyService(DynamoLoyaltyStore(shop.dynamodb, loyalty_table), SystemClock()).adjust(
        CUSTOMER_SUB, 5000, "welcome gift", "agent-1"
    )
    warming = checkout("POST", "/checkout", BODY, token=guest_cart(cart, [("LAP-A-BLK", 1)]), key=new_key())
    assert warming.status == 201
    cart("POST", "/me/cart", {"currency": "UAH", "destination_country": "UA"}, sub=CUSTOMER_SUB)
    assert cart("POST", "/me/cart/lines", {"sku": "LAP-A-SLV", "quantity": 1}, sub=CUSTOMER_SUB).status == 200
    batch_tables: list[list[str]] = []

    def tables_read(params: dict[str, Any], **_: Any) -> None:
        batch_tables.append(sorted(json.loads(params["body"])["RequestItems"]))

    client = functions.run("checkout-api", lambda: wiring.container.dynamodb_client())
    client.meta.events.register("before-call.dynamodb.BatchGetItem", tables_read, unique_id="points-batch")
    checkout_calls.clear()
    # WHEN the customer checks out paying with as many points as allowed
    try:
        body = {"shipping_address": ADDRESS, "points": "max"}
        placed = checkout("POST", "/me/checkout", body, sub=CUSTOMER_SUB, key=new_key())
    finally:
        client.meta.events.unregister("before-call.dynamodb.BatchGetItem", unique_id="points-batch")
    # THEN the points paid, with the same calls as any warm checkout: the member's summary and the
    # redemption rules were read in the one BatchGetItem, the debit went in the one transaction
    assert placed.status == 201, placed.body
    assert placed.body["order"]["points"]["points"] == 5000
    assert checkout_calls == WARM
    assert len(batch_tables) == 1
    assert loyalty_table in batch_tables[0]
