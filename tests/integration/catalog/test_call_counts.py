"""The storefront reads cost exactly one DynamoDB call each (counted with botocore event hooks)."""

from __future__ import annotations

import pytest

from tests.integration.catalog.conftest import product_body


@pytest.fixture
def count_calls(functions):
    from catalog import wiring

    client = functions.run("catalog-api", lambda: wiring.container.dynamodb_client())
    calls: list[str] = []

    def record(model, **_):
        calls.append(model.name)

    client.meta.events.register("before-call.dynamodb.*", record)
    yield calls
    client.meta.events.unregister("before-call.dynamodb.*", record)


@pytest.fixture
def live_product(reference):
    created = reference("POST", "/admin/catalog/products", product_body(1))
    reference(
        "POST", f"/admin/catalog/products/{created.body['id']}/publish", headers={"If-Match": created.etag}
    )
    return created.body["id"]


def test_get_by_id_is_one_call(reference, live_product, count_calls):
    reply = reference("GET", f"/catalog/products/{live_product}")
    assert reply.status == 200
    assert count_calls == ["GetItem"]


def test_get_by_slug_is_one_call(reference, live_product, count_calls):
    reply = reference("GET", "/catalog/products/by-slug/acme-buk-1", query={"locale": "uk"})
    assert reply.status == 200
    assert count_calls == ["GetItem"]


def test_category_page_is_one_call_and_the_next_page_too(reference, live_product, count_calls):
    first = reference("GET", "/catalog/categories/electronics/products", query={"limit": "1"})
    assert first.status == 200
    assert count_calls == ["Query"]
    reference(
        "GET",
        "/catalog/categories/electronics/products",
        query={"limit": "1", "cursor": first.body["next_cursor"]} if first.body["next_cursor"] else {},
    )
    assert count_calls == ["Query", "Query"]
