"""Catalog API fixtures: call the real handler with API Gateway events; a small reference catalog.

Every answer ``call`` returns has been checked against the catalog's own OpenAPI document (the one
the function serves): a status, content type or body the document does not promise fails the test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conformance import DocumentedAnswers, checked
from tests.conftest import build_api_event
from tests.support import Reply, reply_from

OPENAPI_PATH = "/catalog/openapi.json"


@pytest.fixture(scope="session")
def served_documents() -> dict[str, DocumentedAnswers]:
    """The served document, fetched once per session (it depends on the code only)."""
    return {}


@pytest.fixture
def call(
    catalog_stack: Any, lambda_context: Any, served_documents: dict[str, DocumentedAnswers], functions: Any
) -> Callable[..., Reply]:
    def _raw(method: str, path: str, body: Any = None, **kwargs: Any) -> Reply:
        event = build_api_event(method, path, body, **kwargs)
        return reply_from(functions.invoke("catalog-api", event, lambda_context))

    if "catalog" not in served_documents:
        served = _raw("GET", OPENAPI_PATH)
        assert served.status == 200, served.body
        served_documents["catalog"] = DocumentedAnswers(served.body)
    return checked(_raw, served_documents["catalog"])


LAPTOP_TYPE = {
    "id": "laptop",
    "name": {"en": "Laptop", "uk": "Ноутбук"},
    "attributes": [
        {
            "code": "screen_size",
            "label": {"en": "Screen size", "uk": "Діагональ"},
            "kind": "number",
            "unit": "in",
            "required": True,
        },
        {"code": "touch", "label": {"en": "Touch screen", "uk": "Сенсорний екран"}, "kind": "boolean"},
        {"code": "model", "label": {"en": "Model", "uk": "Модель"}, "kind": "text"},
        {
            "code": "colour",
            "label": {"en": "Colour", "uk": "Колір"},
            "kind": "enum",
            "variant": True,
            "options": [
                {"code": "black", "label": {"en": "Black", "uk": "Чорний"}},
                {"code": "silver", "label": {"en": "Silver", "uk": "Срібний"}},
            ],
        },
    ],
}

CATEGORIES = [
    {
        "id": "electronics",
        "name": {"en": "Electronics", "uk": "Електроніка"},
        "seo": {"slug": {"en": "electronics", "uk": "elektronika"}},
    },
    {
        "id": "computers",
        "parent_id": "electronics",
        "name": {"en": "Computers", "uk": "Комп'ютери"},
        "seo": {"slug": {"en": "computers", "uk": "kompiutery"}},
    },
    {
        "id": "laptops",
        "parent_id": "computers",
        "name": {"en": "Laptops", "uk": "Ноутбуки"},
        "seo": {"slug": {"en": "laptops", "uk": "noutbuky"}},
    },
    {
        "id": "phones",
        "parent_id": "electronics",
        "name": {"en": "Phones", "uk": "Телефони"},
        "seo": {"slug": {"en": "phones", "uk": "telefony"}},
    },
]


def product_body(n: int = 1, **overrides: Any) -> dict[str, Any]:
    body = {
        "code": f"LAP-{n:04d}",
        "product_type_id": "laptop",
        "category_id": "laptops",
        "brand_id": "acme",
        "name": {"en": f"Acme Book {n}", "uk": f"Acme Бук {n}"},
        "description": {"en": "A light laptop.", "uk": "Легкий ноутбук."},
        "attributes": {"screen_size": 14, "touch": False},
        "variants": [
            {
                "sku": f"LAP-{n:04d}-BLK",
                "attributes": {"colour": "black"},
                "prices": [
                    {"amount": 99900 + n, "currency": "EUR"},
                    {"amount": 4_299_900, "currency": "UAH"},
                ],
            },
            {
                "sku": f"LAP-{n:04d}-SLV",
                "attributes": {"colour": "silver"},
                "prices": [{"amount": 104900 + n, "currency": "EUR"}],
            },
        ],
        "media": [{"url": f"https://cdn.example.com/p/{n}.jpg", "alt": {"en": "front"}}],
        "seo": {"slug": {"en": f"acme-book-{n}", "uk": f"acme-buk-{n}"}, "title": {"en": f"Acme Book {n}"}},
    }
    body.update(overrides)
    return body


@pytest.fixture
def reference(call: Callable[..., Reply]) -> Callable[..., Reply]:
    """A product type, two brands and Electronics > Computers > Laptops (+ Phones)."""
    assert call("POST", "/admin/catalog/product-types", LAPTOP_TYPE).status == 201
    for brand in ({"id": "acme", "name": "Acme"}, {"id": "globex", "name": "Globex"}):
        assert call("POST", "/admin/catalog/brands", brand).status == 201
    for category in CATEGORIES:
        assert call("POST", "/admin/catalog/categories", category).status == 201
    return call


@pytest.fixture
def published(reference: Callable[..., Reply]) -> dict[str, Any]:
    """One published laptop; returns its admin document."""
    created = reference("POST", "/admin/catalog/products", product_body(1))
    assert created.status == 201, created.body
    reply = reference(
        "POST", f"/admin/catalog/products/{created.body['id']}/publish", headers={"If-Match": created.etag}
    )
    assert reply.status == 200, reply.body
    return reply.body
