"""Fresh data: a location, stock or promotion written a moment ago counts on the very next cart and
checkout request of a warm function (no process cache), with no more DynamoDB calls than before."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from pricing.adapters.records import promotion_write_items, promotions_config_key
from pricing.domain import Promotion
from tests.integration.checkout.conftest import ADDRESS, STAGE, guest_cart, new_key, stock
from tests.integration.inventory.conftest import inventory_event
from tests.support import Reply, reply_from

BODY = {"email": "olena@example.com", "shipping_address": ADDRESS}
ODESA_DC = {
    "kind": "warehouse",
    "name": {"en": "Odesa DC"},
    "address": {"line1": "Portova 3", "city": "Odesa", "country": "UA"},
    "timezone": "Europe/Kyiv",
    "carrier_cutoff": "17:00",
    "priority": 5,
}


@pytest.fixture
def ops(shop: SimpleNamespace, lambda_context: Any, functions: Any) -> Callable[..., Reply]:
    """The inventory API as ops call it, on the same tables (the catalog knows the shop's SKUs)."""
    from infra.resources import physical_name

    for sku in ("LAP-A-BLK", "LAP-A-SLV", "PHN-B-BLK"):
        shop.dynamodb.put_item(
            TableName=physical_name(STAGE, "catalog"),
            Item={"pk": {"S": f"UNIQUE#sku#{sku}"}, "sk": {"S": "UNIQUE"}, "owner": {"S": "prod_a"}},
        )

    def _call(method: str, path: str, body: Any = None) -> Reply:
        return reply_from(
            functions.invoke("inventory-api", inventory_event(method, path, body), lambda_context)
        )

    return _call


@pytest.fixture
def dynamodb_calls(ops: Callable[..., Reply], functions: Any) -> Iterator[list[str]]:
    """The DynamoDB operations the cart function's client sends (botocore hooks)."""
    from cart import wiring

    calls: list[str] = []
    client = functions.run("cart-api", lambda: wiring.container.dynamodb_client())
    client.meta.events.register(
        "before-call.dynamodb.*", lambda model, **_: calls.append(model.name), unique_id="fresh-reads"
    )
    yield calls
    client.meta.events.unregister("before-call.dynamodb.*", unique_id="fresh-reads")


def test_a_warehouse_and_stock_created_by_ops_sell_on_the_next_add_to_cart(
    cart: Callable[..., Reply], ops: Callable[..., Reply], dynamodb_calls: list[str]
) -> None:
    # GIVEN a warm cart function that has already read the locations (LAP-A-SLV: 2 at kyiv-dc)
    token = guest_cart(cart, [("LAP-A-SLV", 1)])
    refused = cart("POST", "/cart/lines", {"sku": "LAP-A-SLV", "quantity": 5}, token=token)
    assert refused.status == 409
    # WHEN ops create a warehouse and put 7 units there through the ops API
    assert ops("PUT", "/admin/inventory/locations/odesa-dc", ODESA_DC).status == 201
    assert ops("PUT", "/admin/inventory/stock/LAP-A-SLV/odesa-dc", {"on_hand": 7}).status == 201
    dynamodb_calls.clear()
    added = cart("POST", "/cart/lines", {"sku": "LAP-A-SLV", "quantity": 5}, token=token)
    first = list(dynamodb_calls)
    dynamodb_calls.clear()
    again = cart("PUT", "/cart/lines/LAP-A-SLV", {"quantity": 8}, token=token)
    # THEN the add is accepted at once: 6 of the 9 units; the new warehouse's stock was read by a second
    # BatchGetItem once, and the next write is back to one BatchGetItem and one PutItem
    assert added.status == 200, added.body
    assert [(line["sku"], line["quantity"]) for line in added.body["lines"]] == [("LAP-A-SLV", 6)]
    assert first == ["BatchGetItem", "BatchGetItem", "PutItem"]
    assert again.status == 200, again.body
    assert dynamodb_calls == ["BatchGetItem", "PutItem"]


def test_checkout_reserves_from_a_warehouse_created_a_moment_ago(
    cart: Callable[..., Reply],
    checkout: Callable[..., Reply],
    ops: Callable[..., Reply],
    shop: SimpleNamespace,
) -> None:
    # GIVEN a warm checkout function that has placed an order (it read the locations then)
    first = guest_cart(cart, [("LAP-A-BLK", 1)])
    assert checkout("POST", "/checkout", BODY, token=first, key=new_key()).status == 201
    # WHEN ops open a warehouse with stock and a guest buys more than the old warehouse holds
    assert ops("PUT", "/admin/inventory/locations/odesa-dc", ODESA_DC).status == 201
    assert ops("PUT", "/admin/inventory/stock/LAP-A-SLV/odesa-dc", {"on_hand": 7}).status == 201
    token = guest_cart(cart, [("LAP-A-SLV", 6)])
    placed = checkout("POST", "/checkout", BODY, token=token, key=new_key())
    # THEN the order is placed and reserved where the stock is (the new warehouse ships first)
    assert placed.status == 201, placed.body
    assert stock(shop, "LAP-A-SLV", "odesa-dc") == (7, 6, 1)
    assert stock(shop, "LAP-A-SLV", "kyiv-dc") == (2, 0, 2)


def _new_promotion(shop: SimpleNamespace, promotion: dict[str, Any]) -> None:
    current = shop.dynamodb.get_item(
        TableName=shop.promotions, Key=promotions_config_key(), ConsistentRead=True
    ).get("Item")
    entries = promotion_write_items(shop.promotions, [Promotion.model_validate(promotion)], current)
    shop.dynamodb.transact_write_items(TransactItems=entries)


def test_a_new_automatic_promotion_prices_the_next_cart_read_and_checkout(
    cart: Callable[..., Reply], checkout: Callable[..., Reply], shop: SimpleNamespace
) -> None:
    # GIVEN a cart read once without any promotion (the function is warm)
    token = guest_cart(cart, [("LAP-A-BLK", 1)])
    before = cart("GET", "/cart", token=token).body
    assert before["totals"]["discount_total"]["amount"] == 0
    # WHEN an automatic 10 % promotion is written
    _new_promotion(
        shop,
        {
            "id": "promo_now",
            "name": "10 % today",
            "automatic": True,
            "benefit": {"kind": "percent_off", "basis_points": 1000},
        },
    )
    after = cart("GET", "/cart", token=token).body
    placed = checkout("POST", "/checkout", BODY, token=token, key=new_key())
    # THEN the very next read shows it, and checkout charges it
    subtotal = after["totals"]["subtotal"]["amount"]
    assert after["totals"]["discount_total"]["amount"] == subtotal // 10
    assert placed.status == 201, placed.body
    assert placed.body["order"]["totals"] == after["totals"]
