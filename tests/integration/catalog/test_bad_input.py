"""Every kind of bad input is a problem+json 4xx that names the field and changes nothing."""

from __future__ import annotations

import json

import pytest

from tests.integration.catalog.conftest import product_body

PROBLEM = "application/problem+json"


def _fields(reply) -> list[str]:
    return [e["field"] for e in reply.body.get("errors", [])]


def _assert_nothing_created(call) -> None:
    for status in ("draft", "published"):
        assert call("GET", "/admin/catalog/products", query={"status": status}).body["items"] == []


def _variant_with(**price):
    return [
        {
            "sku": "X-1",
            "attributes": {"colour": "black"},
            "prices": [{"amount": 100, "currency": "EUR", **price}],
        }
    ]


BAD_PRODUCTS = [
    ("unknown field", {"total": 5}, "body.total"),
    ("wrong type", {"name": "Acme"}, "body.name"),
    ("negative price", {"variants": _variant_with(amount=-1)}, "body.variants.0.prices.0.amount"),
    ("float price", {"variants": _variant_with(amount=9.99)}, "body.variants.0.prices.0.amount"),
    ("unknown currency", {"variants": _variant_with(currency="XYZ")}, "body.variants.0.prices.0.currency"),
    ("missing default translation", {"name": {"uk": "Тільки українською"}}, "body.name.en"),
    ("unknown category", {"category_id": "nowhere"}, "body.category_id"),
    ("unknown brand", {"brand_id": "nobody"}, "body.brand_id"),
    ("unknown product type", {"product_type_id": "spaceship"}, "body.product_type_id"),
    (
        "attribute of the wrong type",
        {"attributes": {"screen_size": "fourteen"}},
        "body.attributes.screen_size",
    ),
    (
        "unknown attribute",
        {"attributes": {"screen_size": 14, "warp_drive": True}},
        "body.attributes.warp_drive",
    ),
    (
        "unknown enum value",
        {
            "variants": [
                {
                    "sku": "X-1",
                    "attributes": {"colour": "plaid"},
                    "prices": [{"amount": 1, "currency": "EUR"}],
                }
            ]
        },
        "body.variants.0.attributes.colour",
    ),
    ("missing required attribute", {"attributes": {}}, "body.attributes.screen_size"),
    (
        "boolean attribute given text",
        {"attributes": {"screen_size": 14, "touch": "yes"}},
        "body.attributes.touch",
    ),
]


@pytest.mark.parametrize(("case", "override", "field"), BAD_PRODUCTS, ids=[c[0] for c in BAD_PRODUCTS])
def test_bad_product_is_a_422_naming_the_field(reference, case, override, field):
    # GIVEN a product body with one thing wrong
    body = {**product_body(1), **override}
    # WHEN it is created
    reply = reference("POST", "/admin/catalog/products", body)
    # THEN a problem+json 422 names the field and nothing was stored
    assert reply.status == 422, (case, reply.body)
    assert reply.headers["Content-Type"] == PROBLEM
    assert field in _fields(reply), _fields(reply)
    _assert_nothing_created(reference)


def test_malformed_json_is_a_400(reference):
    # WHEN the body is not JSON THEN 400 problem+json
    reply = reference(
        "POST", "/admin/catalog/products", '{"code": "X", ', headers={"Content-Type": "application/json"}
    )
    assert reply.status == 400
    assert reply.headers["Content-Type"] == PROBLEM
    _assert_nothing_created(reference)


def test_oversized_payload_is_a_413(reference):
    # GIVEN a body over the 1 MB limit
    body = json.dumps({**product_body(1), "description": {"en": "x" * 1_100_000}})
    # WHEN it is sent THEN 413 and nothing stored
    reply = reference("POST", "/admin/catalog/products", body, headers={"Content-Type": "application/json"})
    assert reply.status == 413
    assert reply.headers["Content-Type"] == PROBLEM
    _assert_nothing_created(reference)


def test_duplicate_slug_is_a_409_naming_the_slug(reference):
    # GIVEN a product with the English slug acme-book-1
    assert reference("POST", "/admin/catalog/products", product_body(1)).status == 201
    # WHEN another product claims the same English slug
    reply = reference("POST", "/admin/catalog/products", product_body(2, seo={"slug": {"en": "acme-book-1"}}))
    # THEN 409 naming seo.slug.en, and the second product does not exist
    assert reply.status == 409
    assert reply.headers["Content-Type"] == PROBLEM
    assert "body.seo.slug.en" in _fields(reply)
    codes = [p["code"] for p in reference("GET", "/admin/catalog/products").body["items"]]
    assert codes == ["LAP-0001"]


def test_duplicate_code_and_sku_are_409s(reference):
    # GIVEN a product
    assert reference("POST", "/admin/catalog/products", product_body(1)).status == 201
    # WHEN the same code is reused THEN 409 naming code
    same_code = product_body(2, code="LAP-0001")
    assert "body.code" in _fields(reference("POST", "/admin/catalog/products", same_code))
    # WHEN a SKU is reused THEN 409 naming the variant's sku
    same_sku = product_body(3)
    same_sku["variants"][1]["sku"] = "LAP-0001-BLK"
    reply = reference("POST", "/admin/catalog/products", same_sku)
    assert reply.status == 409
    assert "body.variants.1.sku" in _fields(reply)


def test_no_token_is_401_and_customer_token_is_403_even_with_a_bad_body(reference):
    # WHEN an anonymous caller or a customer calls an admin route
    anonymous = reference("POST", "/admin/catalog/products", {"junk": 1}, groups=None)
    customer = reference("POST", "/admin/catalog/products", product_body(1), groups="customers")
    listing = reference("GET", "/admin/catalog/products", groups="customers")
    # THEN 401 / 403 problem+json, before the body is even validated
    assert (anonymous.status, customer.status, listing.status) == (401, 403, 403)
    assert anonymous.headers["Content-Type"] == PROBLEM
    _assert_nothing_created(reference)


@pytest.mark.parametrize("cursor", ["garbage", "eyJ0IjoieCJ9.c2lnbmF0dXJl"])
def test_forged_cursor_is_a_422_naming_cursor(reference, cursor):
    # WHEN a category page is asked for with a forged cursor THEN 422 naming the cursor
    reply = reference("GET", "/catalog/categories/laptops/products", query={"cursor": cursor})
    assert reply.status == 422
    assert any("cursor" in f for f in _fields(reply))


def test_unknown_currency_and_bad_locale_in_queries_are_422s(reference):
    # WHEN filtering by an unknown currency or asking for an unsupported locale
    currency = reference(
        "GET", "/catalog/categories/laptops/products", query={"currency": "XYZ", "min_price": "1"}
    )
    locale = reference("GET", "/catalog/categories", query={"locale": "fr"})
    no_currency = reference("GET", "/catalog/categories/laptops/products", query={"min_price": "100"})
    # THEN each is a 422 naming its parameter
    assert currency.status == 422
    assert "query.currency" in _fields(currency)
    assert locale.status == 422
    assert "query.locale" in _fields(locale)
    assert no_currency.status == 422
    assert "query.currency" in _fields(no_currency)


def test_malformed_if_match_is_a_422_naming_the_header_and_changes_nothing(reference):
    # A malformed If-Match breaks the documented pattern: a field error, as in search and inventory.
    created = reference("POST", "/admin/catalog/products", product_body(1))
    reply = reference(
        "PATCH",
        f"/admin/catalog/products/{created.body['id']}",
        {"name": {"en": "X"}},
        headers={"If-Match": "yesterday"},
    )
    assert reply.status == 422
    assert [e["field"] for e in reply.body["errors"]] == ["header.if-match"]
    assert reference("GET", f"/admin/catalog/products/{created.body['id']}").body["version"] == 1


def test_patch_with_unknown_field_or_null_name_changes_nothing(reference):
    created = reference("POST", "/admin/catalog/products", product_body(1))
    path = f"/admin/catalog/products/{created.body['id']}"
    unknown = reference("PATCH", path, {"status": "published"}, headers={"If-Match": '"1"'})
    null_name = reference("PATCH", path, {"name": None}, headers={"If-Match": '"1"'})
    assert unknown.status == 422
    assert "body.status" in _fields(unknown)
    # a product always has a name: null changes nothing there, as the PATCH body's schema says
    assert (null_name.status, null_name.body["name"]) == (200, created.body["name"])
    assert reference("GET", path).body["version"] == 1


def test_category_errors(reference):
    # WHEN a category names a parent that does not exist THEN 422 naming parent_id
    orphan = reference(
        "POST",
        "/admin/catalog/categories",
        {"id": "tablets", "parent_id": "nowhere", "name": {"en": "Tablets"}, "seo": {"slug": {"en": "t"}}},
    )
    assert orphan.status == 422
    assert "body.parent_id" in _fields(orphan)
    # WHEN a category slug is taken THEN 409 naming it
    taken = reference(
        "POST",
        "/admin/catalog/categories",
        {"id": "notebooks", "name": {"en": "Notebooks"}, "seo": {"slug": {"en": "laptops"}}},
    )
    assert taken.status == 409
    assert "seo.slug.en" in " ".join(_fields(taken))
    # WHEN a category id is taken THEN 409
    again = reference(
        "POST",
        "/admin/catalog/categories",
        {"id": "laptops", "name": {"en": "Laptops"}, "seo": {"slug": {"en": "laptops-2"}}},
    )
    assert again.status == 409


def test_cyclic_category_move_is_a_422_and_moves_nothing(reference):
    # GIVEN Electronics > Computers > Laptops
    electronics = reference("GET", "/admin/catalog/categories/electronics")
    # WHEN Electronics is moved under its own grandchild
    reply = reference(
        "POST",
        "/admin/catalog/categories/electronics/move",
        {"parent_id": "laptops"},
        headers={"If-Match": electronics.etag},
    )
    # THEN 422 naming parent_id, and the tree is unchanged
    assert reply.status == 422
    assert "body.parent_id" in _fields(reply)
    assert "parent_id" not in reference("GET", "/admin/catalog/categories/electronics").body
    assert reference("GET", "/admin/catalog/categories/laptops").body["ancestors"] == [
        "electronics",
        "computers",
    ]
    # AND moving a category under itself is refused too
    itself = reference(
        "POST",
        "/admin/catalog/categories/laptops/move",
        {"parent_id": "laptops"},
        headers={"If-Match": '"1"'},
    )
    assert itself.status == 422


def test_product_type_definition_errors(reference):
    bad = {
        "id": "phone",
        "name": {"en": "Phone"},
        "attributes": [{"code": "colour", "label": {"en": "Colour"}, "kind": "enum"}],
    }
    reply = reference("POST", "/admin/catalog/product-types", bad)
    assert reply.status == 422
    assert "body.attributes" in _fields(reply)
    wrong_kind = {
        "id": "phone",
        "name": {"en": "Phone"},
        "attributes": [{"code": "size", "label": {"en": "Size"}, "kind": "colourful"}],
    }
    assert "body.attributes.0.kind" in _fields(reference("POST", "/admin/catalog/product-types", wrong_kind))
