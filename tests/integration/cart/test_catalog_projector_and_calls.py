"""The projector on real-shaped SQS batches of catalog events (made by the catalog's own event code),
and the DynamoDB calls an add to cart makes, counted with botocore hooks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from catalog.domain.events import events_for_change
from tests.integration.cart.conftest import Reply, catalog_events_batch, product_snapshot, published


def _item(product: dict[str, Any], status: str = "published") -> dict[str, Any]:
    """A catalog product item as its stream image holds it (``events_for_change`` input)."""
    doc = {
        "id": product["id"],
        "code": product["code"],
        "updated_at": product["updated_at"],
        "variants": [{"sku": v["sku"], "prices": v["prices"]} for v in product["variants"]],
    }
    return {"status": status, "version": product["version"], "doc": doc, "public": product}


def _facts(shop: SimpleNamespace, sku: str) -> dict[str, Any]:
    item = shop.dynamodb.get_item(TableName=shop.carts, Key={"pk": {"S": f"SKU#{sku}"}, "sk": {"S": "FACTS"}})
    return item.get("Item", {})


def test_published_updated_priced_and_archived_products_reach_the_facts(
    cart_stack: SimpleNamespace, project: Callable[[list[Any]], dict[str, Any]]
) -> None:
    # GIVEN the catalog's events for a product published at v1, updated with a new price and without
    # one variant at v2, then archived at v3
    v1 = product_snapshot("prod_x", 1, [("X-1", 1000, 40000), ("X-2", 2000, 80000)])
    v2 = product_snapshot("prod_x", 2, [("X-1", 900, 36000)])
    v3_item = {**_item(v2, "archived"), "version": 3}
    publish = events_for_change(None, _item(v1))
    update = events_for_change(_item(v1), _item(v2))
    archive = events_for_change(_item(v2), v3_item)
    # WHEN they arrive out of order, price change first, and everything twice
    results = [project([update[1], *publish, update[0]]), project([*publish, *update]), project(archive)]
    # THEN no record failed, the facts hold v2's price, the dropped variant is withdrawn, then all archived
    assert [e.detail_type for e in update] == ["ProductUpdated", "PriceChanged"]
    assert all(r == {"batchItemFailures": []} for r in results)
    x1, x2 = _facts(cart_stack, "X-1"), _facts(cart_stack, "X-2")
    assert '"amount":{"amount":900,"currency":"EUR"}' in x1["doc"]["S"]
    assert x2["status"]["S"] == "withdrawn"
    assert x1["status"]["S"] == "archived"
    assert x1["product_version"]["N"] == "3"


def test_a_replayed_publication_changes_nothing(
    cart_stack: SimpleNamespace, project: Callable[[list[Any]], dict[str, Any]]
) -> None:
    # GIVEN a product projected at v2
    project([published("prod_y", 2, [("Y-1", 500, 20000)])])
    before = _facts(cart_stack, "Y-1")
    # WHEN an older and the same publication are delivered again
    project([published("prod_y", 1, [("Y-1", 1, 1)]), published("prod_y", 2, [("Y-1", 500, 20000)])])
    # THEN the item is untouched
    assert _facts(cart_stack, "Y-1") == before


def test_a_broken_record_fails_alone(
    cart_stack: SimpleNamespace, lambda_context: Any, functions: Any
) -> None:
    # GIVEN a batch with a good event and a ProductPublished without its product
    batch = catalog_events_batch([published("prod_z", 1, [("Z-1", 100, 4000)])] * 2)
    batch["Records"][1]["body"] = batch["Records"][1]["body"].replace('"product":', '"nothing":')
    # WHEN the projector handles it
    result = functions.invoke("cart-catalog-projector", batch, lambda_context)
    # THEN only the broken record is reported for retry
    assert result == {"batchItemFailures": [{"itemIdentifier": "msg-1"}]}
    assert _facts(cart_stack, "Z-1")["status"]["S"] == "published"


@pytest.fixture
def dynamodb_calls(shop: SimpleNamespace, functions: Any) -> Iterator[list[str]]:
    """Every DynamoDB operation the cart's own client sends, recorded by a botocore hook."""
    from cart import wiring

    calls: list[str] = []
    client = functions.run("cart-api", lambda: wiring.container.dynamodb_client())
    handler_id = "cart-call-count"

    def count(model: Any, **_: Any) -> None:
        calls.append(model.name)

    client.meta.events.register("before-call.dynamodb.*", count, unique_id=handler_id)
    yield calls
    client.meta.events.unregister("before-call.dynamodb.*", unique_id=handler_id)


def test_add_to_cart_makes_at_most_two_dynamodb_calls(
    call: Callable[..., Reply], dynamodb_calls: list[str]
) -> None:
    # GIVEN a guest cart in a warm function (it asks for the stock at the locations it saw last)
    token = call("POST", "/cart", {"currency": "EUR", "destination_country": "DE"}).body["token"]
    call("POST", "/cart/lines", {"sku": "LAP-A-SLV", "quantity": 1}, token=token)
    dynamodb_calls.clear()
    # WHEN a line is added and another's quantity is changed
    added = call("POST", "/cart/lines", {"sku": "LAP-A-BLK", "quantity": 2}, token=token)
    add_calls = list(dynamodb_calls)
    dynamodb_calls.clear()
    changed = call("PUT", "/cart/lines/LAP-A-BLK", {"quantity": 3}, token=token)
    # THEN each is one BatchGetItem (cart + SKU facts + locations config + stock) and one conditional PutItem
    assert added.status == 200
    assert changed.status == 200
    assert add_calls == ["BatchGetItem", "PutItem"]
    assert dynamodb_calls == ["BatchGetItem", "PutItem"]


def test_the_sample_sqs_event_projects_its_sku(
    cart_stack: SimpleNamespace, lambda_context: Any, functions: Any
) -> None:
    import json
    from pathlib import Path

    # GIVEN the sample SQS batch (an EventBridge ProductPublished in its body)
    sample = Path(__file__).parents[2] / "events" / "cart" / "sqs_catalog_product_published.json"
    event = json.loads(sample.read_text())
    # WHEN the projector handles it
    result = functions.invoke("cart-catalog-projector", event, lambda_context)
    # THEN the SKU is sellable in the cart
    assert result == {"batchItemFailures": []}
    assert _facts(cart_stack, "LAP-0001-BLACK")["status"]["S"] == "published"
