"""Negotiated (B2B) prices stay private on the storefront: product pages and category listings carry the
retail price only, and the listing's price filter reads another list only for that list's own customers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import build_api_event
from tests.integration.catalog.conftest import product_body
from tests.support import Reply, reply_from

GOLD = "b2b_gold"


@pytest.fixture
def negotiated(reference: Callable[..., Reply]) -> dict[str, Any]:
    """A published laptop with a retail and a gold-list EUR price."""
    body = product_body(8)
    body["variants"][0]["prices"].append({"amount": 71000, "currency": "EUR", "price_list": GOLD})
    created = reference("POST", "/admin/catalog/products", body)
    assert created.status == 201, created.body
    published = reference(
        "POST", f"/admin/catalog/products/{created.body['id']}/publish", headers={"If-Match": created.etag}
    )
    assert published.status == 200, published.body
    return published.body


@pytest.fixture
def as_gold(catalog_stack: Any, lambda_context: Any, functions: Any) -> Callable[..., Reply]:
    """The catalog API, run as its function, called with a verified token whose price group is gold."""

    def _call(method: str, path: str, **kwargs: Any) -> Reply:
        event = build_api_event(method, path, **kwargs)
        event["requestContext"]["authorizer"] = {
            "claims": {"sub": "cust-b2b", "cognito:groups": "customers", "custom:price_group": GOLD}
        }
        return reply_from(functions.invoke("catalog-api", event, lambda_context))

    return _call


def _lists(prices: list[dict[str, Any]]) -> set[str]:
    return {p["price_list"] for p in prices}


def test_a_product_page_shows_only_retail_prices(negotiated, call):
    # GIVEN a product with a negotiated gold price
    # WHEN a shopper reads its page by id and by slug
    by_id = call("GET", f"/catalog/products/{negotiated['id']}")
    by_slug = call("GET", "/catalog/products/by-slug/acme-book-8", query={"locale": "en"})
    # THEN no variant carries the gold price
    for reply in (by_id, by_slug):
        assert reply.status == 200, reply.body
        assert all(_lists(v["prices"]) == {"retail"} for v in reply.body["variants"])


def test_a_category_page_shows_only_retail_prices(negotiated, call):
    # GIVEN a product with a negotiated gold price
    # WHEN a shopper lists its category
    reply = call("GET", "/catalog/categories/laptops/products")
    # THEN its tile's lowest prices are retail ones
    assert reply.status == 200, reply.body
    (tile,) = [i for i in reply.body["items"] if i["id"] == negotiated["id"]]
    assert _lists(tile["prices"]) == {"retail"}


def test_a_category_page_may_not_be_filtered_by_someone_elses_list(negotiated, call):
    # GIVEN a product with a negotiated gold price
    # WHEN an anonymous caller probes the gold list with a price range
    probe = call(
        "GET",
        "/catalog/categories/laptops/products",
        query={"currency": "EUR", "price_list": GOLD, "max_price": "72000"},
    )
    # THEN the probe is refused and reveals nothing
    assert probe.status == 422, probe.body
    assert "items" not in probe.body


def test_the_price_groups_customer_sees_its_list(negotiated, as_gold):
    # GIVEN a customer whose verified price group is gold
    # WHEN they read the product and filter the category by their list
    page = as_gold("GET", f"/catalog/products/{negotiated['id']}")
    listing = as_gold(
        "GET",
        "/catalog/categories/laptops/products",
        query={"currency": "EUR", "price_list": GOLD, "max_price": "72000"},
    )
    # THEN they see their gold price, privately
    assert page.status == listing.status == 200, listing.body
    assert GOLD in _lists(page.body["variants"][0]["prices"])
    assert "private" in page.headers["Cache-Control"]
    assert [i["id"] for i in listing.body["items"]] == [negotiated["id"]]
