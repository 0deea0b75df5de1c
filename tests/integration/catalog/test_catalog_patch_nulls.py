"""What ``null`` and ``{}`` mean in a catalog PATCH, as the document says (found by the deep fuzz pass).

JSON Merge Patch where the resource allows it: null clears a field the resource may lack (description,
brand, logo); on a field it always has (name, SEO, lists) null changes nothing, as leaving it out does.
A product's attributes merge key by key, so ``{}`` changes nothing and a null key removes one attribute.
"""

from __future__ import annotations

from tests.integration.catalog.conftest import product_body

ONE = {"If-Match": '"1"'}


def test_null_on_fields_a_product_always_has_changes_nothing(reference):
    # GIVEN a product at version 1
    created = reference("POST", "/admin/catalog/products", product_body(1))
    path = f"/admin/catalog/products/{created.body['id']}"
    # WHEN a client that sends every field of its model patches with the unset ones as null
    keep = dict.fromkeys(
        ("product_type_id", "category_id", "name", "attributes", "variants", "media", "seo"), None
    )
    reply = reference("PATCH", path, keep, headers=ONE)
    # THEN nothing changed: no new version, the same content
    assert (reply.status, reply.body["version"]) == (200, 1), reply.body
    assert reply.body == created.body


def test_null_clears_a_products_description_and_brand(reference):
    created = reference("POST", "/admin/catalog/products", product_body(1))
    path = f"/admin/catalog/products/{created.body['id']}"
    # WHEN the description and the brand are sent as null
    reply = reference("PATCH", path, {"description": None, "brand_id": None}, headers=ONE)
    # THEN both are gone, in a new version
    assert (reply.status, reply.body["version"]) == (200, 2), reply.body
    assert "description" not in reply.body
    assert "brand_id" not in reply.body


def test_product_attributes_merge_key_by_key(reference):
    # GIVEN a laptop with screen_size (required by its type) and touch
    created = reference("POST", "/admin/catalog/products", product_body(1))
    path = f"/admin/catalog/products/{created.body['id']}"
    # WHEN attributes is {} THEN nothing changes
    empty = reference("PATCH", path, {"attributes": {}}, headers=ONE)
    assert (empty.status, empty.body["version"]) == (200, 1), empty.body
    # WHEN one attribute is set THEN the others stay
    added = reference("PATCH", path, {"attributes": {"model": "X1"}}, headers=ONE)
    assert added.body["attributes"] == {"screen_size": 14, "touch": False, "model": "X1"}
    # WHEN an attribute is sent as null THEN it alone is removed
    removed = reference("PATCH", path, {"attributes": {"touch": None}}, headers={"If-Match": added.etag})
    assert removed.body["attributes"] == {"screen_size": 14, "model": "X1"}


def test_removing_an_attribute_the_type_requires_is_a_business_refusal(reference):
    created = reference("POST", "/admin/catalog/products", product_body(1))
    path = f"/admin/catalog/products/{created.body['id']}"
    # WHEN the type's required screen_size is removed
    reply = reference("PATCH", path, {"attributes": {"screen_size": None}}, headers=ONE)
    # THEN 422 naming it with the catalog's own code (a rule of the type, not of the request's shape)
    assert reply.status == 422
    assert [(e["field"], e["code"]) for e in reply.body["errors"]] == [
        ("body.attributes.screen_size", "required_by_type")
    ]
    assert reference("GET", path).body["version"] == 1


def test_null_in_category_type_and_brand_patches(reference):
    # GIVEN a category and a brand with descriptions
    described = {"description": {"en": "Portable computers"}}
    assert reference("PATCH", "/admin/catalog/categories/laptops", described, headers=ONE).status == 200
    brand = reference("PATCH", "/admin/catalog/brands/acme", described, headers=ONE)
    assert brand.status == 200, brand.body
    # WHEN name and seo are null, and the descriptions too
    category = reference(
        "PATCH",
        "/admin/catalog/categories/laptops",
        {"name": None, "seo": None, "description": None},
        headers={"If-Match": '"2"'},
    )
    brand = reference(
        "PATCH",
        "/admin/catalog/brands/acme",
        {"name": None, "description": None},
        headers={"If-Match": '"2"'},
    )
    kind = reference(
        "PATCH", "/admin/catalog/product-types/laptop", {"name": None, "attributes": None}, headers=ONE
    )
    # THEN names, SEO and attribute definitions stay; descriptions are cleared
    assert category.status == 200, category.body
    assert (category.body["name"]["en"], category.body["seo"]["slug"]["en"]) == ("Laptops", "laptops")
    assert "description" not in category.body
    assert (brand.status, brand.body["name"]) == (200, "Acme"), brand.body
    assert "description" not in brand.body
    assert (kind.status, kind.body["version"]) == (200, 1), kind.body
    assert len(kind.body["attributes"]) == 4
