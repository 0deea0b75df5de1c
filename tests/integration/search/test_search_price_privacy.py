"""Negotiated (B2B) prices stay private: public answers carry the retail price only, and a price list is
shown, filtered and sorted on only for a caller whose verified token names it as their price group."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import build_api_event
from tests.integration.catalog.conftest import product_body
from tests.support import Reply, reply_from

GOLD = "b2b_gold"


@pytest.fixture
def negotiated(
    reference: Callable[..., Reply], index_changes: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    """A published laptop with a retail and a gold-list EUR price, indexed."""
    body = product_body(7)
    body["variants"] = [
        {
            "sku": "LAP-0007-BLK",
            "attributes": {"colour": "black"},
            "prices": [
                {"amount": 99900, "currency": "EUR"},
                {"amount": 71000, "currency": "EUR", "price_list": GOLD},
            ],
        }
    ]
    created = reference("POST", "/admin/catalog/products", body)
    assert created.status == 201, created.body
    published = reference(
        "POST", f"/admin/catalog/products/{created.body['id']}/publish", headers={"If-Match": created.etag}
    )
    assert published.status == 200, published.body
    assert index_changes() == {"batchItemFailures": []}
    return {"id": created.body["id"]}


def _as_price_group(functions: Any, lambda_context: Any, group: str) -> Callable[..., Reply]:
    """Calls the search API, run as its function, as a signed-in customer whose verified token names
    ``group``."""

    def _call(method: str, path: str, **kwargs: Any) -> Reply:
        event = build_api_event(method, path, **kwargs)
        event["requestContext"]["authorizer"] = {
            "claims": {"sub": "cust-b2b", "cognito:groups": "customers", "custom:price_group": group}
        }
        return reply_from(functions.invoke("search-api", event, lambda_context))

    return _call


def _lists(item: dict[str, Any]) -> set[str]:
    return {p["price_list"] for p in item["prices"]}


def test_anonymous_search_shows_only_retail_prices(negotiated, search_call):
    # GIVEN a product with a negotiated gold price
    # WHEN anyone searches for it
    reply = search_call("GET", "/search", query={"q": "acme book 7"})
    # THEN its hit carries the retail price and nothing of the gold list
    assert reply.status == 200, reply.body
    (item,) = [i for i in reply.body["items"] if i["id"] == negotiated["id"]]
    assert _lists(item) == {"retail"}


def test_anonymous_search_may_not_filter_or_sort_by_a_negotiated_list(negotiated, search_call):
    # GIVEN a product with a negotiated gold price
    # WHEN an anonymous caller probes the gold list with a price range, or sorts by it
    probe = search_call("GET", "/search", query={"currency": "EUR", "price_list": GOLD, "max_price": "72000"})
    sort = search_call("GET", "/search", query={"currency": "EUR", "price_list": GOLD, "sort": "price_asc"})
    # THEN both are refused as problems naming the parameter, and nothing is revealed
    assert probe.status == sort.status == 422, probe.body
    assert probe.headers["Content-Type"] == "application/problem+json"
    assert probe.body["errors"][0]["field"] == "query.price_list"
    assert "items" not in probe.body


def test_a_caller_of_the_price_group_sees_and_filters_by_its_list(negotiated, lambda_context, functions):
    # GIVEN a customer whose verified price group is gold
    as_gold = _as_price_group(functions, lambda_context, GOLD)
    # WHEN they search within the gold price range
    reply = as_gold("GET", "/search", query={"currency": "EUR", "price_list": GOLD, "max_price": "72000"})
    # THEN the product is found, with its retail and gold prices
    assert reply.status == 200, reply.body
    (item,) = reply.body["items"]
    assert item["id"] == negotiated["id"]
    assert _lists(item) == {"retail", GOLD}


def test_a_caller_of_another_price_group_sees_no_foreign_list(negotiated, lambda_context, functions):
    # GIVEN a customer of the silver group
    as_silver = _as_price_group(functions, lambda_context, "b2b_silver")
    # WHEN they search, and try the gold list
    reply = as_silver("GET", "/search", query={"q": "acme book 7"})
    probe = as_silver("GET", "/search", query={"currency": "EUR", "price_list": GOLD, "max_price": "72000"})
    # THEN the gold prices stay hidden and the gold filter is refused
    (item,) = [i for i in reply.body["items"] if i["id"] == negotiated["id"]]
    assert _lists(item) == {"retail"}
    assert probe.status == 422


def test_similar_products_show_only_retail_prices(negotiated, catalog, search_call):
    # GIVEN laptops and one with a gold price
    # WHEN products similar to a laptop are read anonymously
    reply = search_call("GET", f"/search/products/{catalog['acme']}/similar")
    # THEN no item carries a negotiated price
    assert reply.status == 200, reply.body
    assert all(_lists(item) <= {"retail"} for item in reply.body["items"])
