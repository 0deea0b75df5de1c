"""``If-Match: *`` on catalog commands: "the resource must exist, any version will do" (RFC 9110)."""

from __future__ import annotations

from tests.integration.catalog.conftest import product_body


def test_a_patch_with_if_match_star_applies_to_the_current_version(reference):
    # GIVEN a product at version 2 (created, then edited)
    created = reference("POST", "/admin/catalog/products", product_body(1))
    path = f"/admin/catalog/products/{created.body['id']}"
    assert reference("PATCH", path, {"name": {"en": "Edited"}}, headers={"If-Match": '"1"'}).status == 200
    # WHEN a merchandiser's tool patches it with If-Match: * (it did not read the version)
    updated = reference("PATCH", path, {"name": {"en": "Forced"}}, headers={"If-Match": "*"})
    # THEN the change applies on top of version 2, recorded as version 3
    assert (updated.status, updated.body["version"], updated.etag) == (200, 3, '"3"')
    assert reference("GET", path).body["name"]["en"] == "Forced"
    # AND without any If-Match the catalog still asks for one
    assert reference("PATCH", path, {"name": {"en": "No header"}}).status == 428


def test_if_match_star_on_a_missing_product_is_refused_and_publish_accepts_it(reference):
    # GIVEN no product prod_missing WHEN it is patched with If-Match: * THEN it is not created
    missing = reference(
        "PATCH", "/admin/catalog/products/prod_missing", {"name": {"en": "x"}}, headers={"If-Match": "*"}
    )
    assert missing.status in (404, 412)
    assert missing.headers["Content-Type"] == "application/problem+json"
    # GIVEN a draft WHEN it is published with If-Match: * THEN it is published
    created = reference("POST", "/admin/catalog/products", product_body(2))
    published = reference(
        "POST", f"/admin/catalog/products/{created.body['id']}/publish", headers={"If-Match": "*"}
    )
    assert (published.status, published.body["status"]) == (200, "published")


def test_if_match_star_on_brands_categories_and_types(reference):
    # GIVEN the reference taxonomy WHEN each kind is patched with If-Match: *
    brand = reference("PATCH", "/admin/catalog/brands/acme", {"name": "Acme Inc"}, headers={"If-Match": "*"})
    kind = reference(
        "PATCH",
        "/admin/catalog/product-types/laptop",
        {"name": {"en": "Notebook"}},
        headers={"If-Match": "*"},
    )
    # THEN each applies to its current version
    assert (brand.status, brand.body["version"]) == (200, 2), brand.body
    assert (kind.status, kind.body["version"]) == (200, 2), kind.body
