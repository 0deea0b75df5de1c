"""Product lifecycle over the API: create, edit with If-Match, publish, archive, public reads, history."""

from __future__ import annotations

from tests.integration.catalog.conftest import product_body


def _create_and_publish(call, n=1, **overrides):
    created = call("POST", "/admin/catalog/products", product_body(n, **overrides))
    assert created.status == 201, created.body
    published = call(
        "POST", f"/admin/catalog/products/{created.body['id']}/publish", headers={"If-Match": created.etag}
    )
    assert published.status == 200, published.body
    return published


def test_created_product_is_a_draft_with_etag_and_invisible_to_the_public(reference):
    # GIVEN a merchandiser creates a product
    created = reference("POST", "/admin/catalog/products", product_body(1))
    # THEN it is a version-1 draft with an ETag and a Location
    assert created.status == 201
    assert (created.body["status"], created.body["version"], created.etag) == ("draft", 1, '"1"')
    assert created.headers["Location"] == f"/admin/catalog/products/{created.body['id']}"
    # AND the storefront cannot see it, by id or by slug
    assert reference("GET", f"/catalog/products/{created.body['id']}").status == 404
    assert reference("GET", "/catalog/products/by-slug/acme-book-1", query={"locale": "en"}).status == 404


def test_published_product_is_readable_by_id_and_localised_slug(reference):
    # GIVEN a published product
    product = _create_and_publish(reference).body
    # WHEN the storefront reads it in English and by its Ukrainian slug
    english = reference("GET", f"/catalog/products/{product['id']}", query={"locale": "en"})
    ukrainian = reference("GET", "/catalog/products/by-slug/acme-buk-1", headers={"Accept-Language": "uk"})
    # THEN both are localised, with attribute labels and enum labels in the locale
    assert english.status == 200
    assert english.body["name"] == "Acme Book 1"
    assert english.headers["Content-Language"] == "en"
    assert ukrainian.status == 200
    assert ukrainian.body["name"] == "Acme Бук 1"
    assert ukrainian.body["attributes"][0]["label"] == "Діагональ"
    assert ukrainian.body["variants"][0]["attributes"][0]["value_label"] == "Чорний"
    # AND a missing translation falls back to English (the SEO title has no uk)
    assert ukrainian.body["seo"]["title"] == "Acme Book 1"
    # AND the English slug is not a Ukrainian slug
    assert reference("GET", "/catalog/products/by-slug/acme-book-1", query={"locale": "uk"}).status == 404


def test_update_requires_if_match_and_rejects_stale_versions(reference):
    # GIVEN a product at version 1
    created = reference("POST", "/admin/catalog/products", product_body(1))
    path = f"/admin/catalog/products/{created.body['id']}"
    patch = {"name": {"en": "Acme Book Pro", "uk": "Acme Бук Про"}}
    # WHEN it is patched without If-Match THEN 428
    assert reference("PATCH", path, patch).status == 428
    # WHEN it is patched with the right ETag THEN version 2
    updated = reference("PATCH", path, patch, headers={"If-Match": '"1"'})
    assert (updated.status, updated.body["version"], updated.etag) == (200, 2, '"2"')
    # WHEN someone patches with the old ETag THEN 412 and nothing is overwritten
    stale = reference("PATCH", path, {"name": {"en": "Lost update"}}, headers={"If-Match": '"1"'})
    assert stale.status == 412
    assert stale.headers["Content-Type"] == "application/problem+json"
    assert reference("GET", path).body["name"]["en"] == "Acme Book Pro"


def test_patch_of_a_published_product_reaches_the_storefront_and_the_slug_moves(reference):
    # GIVEN a published product
    product = _create_and_publish(reference).body
    path = f"/admin/catalog/products/{product['id']}"
    # WHEN its English slug and price change
    variants = product_body(1)["variants"]
    variants[0]["prices"][0]["amount"] = 89900
    reply = reference(
        "PATCH",
        path,
        {"seo": {"slug": {"en": "acme-book-one", "uk": "acme-buk-1"}}, "variants": variants},
        headers={"If-Match": f'"{product["version"]}"'},
    )
    assert reply.status == 200, reply.body
    # THEN the new slug resolves, the old one does not, and the price is the new one
    new = reference("GET", "/catalog/products/by-slug/acme-book-one", query={"locale": "en"})
    assert new.status == 200
    assert new.body["variants"][0]["prices"][0]["amount"] == 89900
    assert reference("GET", "/catalog/products/by-slug/acme-book-1", query={"locale": "en"}).status == 404
    # AND the freed slug can be taken by another product
    assert (
        reference(
            "POST", "/admin/catalog/products", product_body(2, seo={"slug": {"en": "acme-book-1"}})
        ).status
        == 201
    )


def test_archived_product_leaves_the_storefront(reference):
    # GIVEN a published product
    product = _create_and_publish(reference).body
    # WHEN it is archived
    archived = reference(
        "POST",
        f"/admin/catalog/products/{product['id']}/archive",
        headers={"If-Match": f'"{product["version"]}"'},
    )
    # THEN it is gone by id, by slug and from its category page
    assert archived.status == 200
    assert archived.body["status"] == "archived"
    assert reference("GET", f"/catalog/products/{product['id']}").status == 404
    assert reference("GET", "/catalog/products/by-slug/acme-book-1", query={"locale": "en"}).status == 404
    assert reference("GET", "/catalog/categories/laptops/products").body["items"] == []


def test_history_records_who_when_and_field_diffs_and_past_versions_are_readable(reference):
    # GIVEN a product created, edited and published
    created = reference("POST", "/admin/catalog/products", product_body(1))
    path = f"/admin/catalog/products/{created.body['id']}"
    reference(
        "PATCH", path, {"name": {"en": "Acme Book Pro", "uk": "Acme Бук 1"}}, headers={"If-Match": '"1"'}
    )
    reference("POST", f"{path}/publish", headers={"If-Match": '"2"'})
    # WHEN the history is read
    history = reference("GET", f"{path}/history")
    # THEN it lists every version newest first with who and what changed
    assert history.status == 200
    assert [(e["version"], e["change"]) for e in history.body["items"]] == [
        (3, "published"),
        (2, "updated"),
        (1, "created"),
    ]
    edit = history.body["items"][1]
    assert edit["by"] == "7d3f2a10-1c2b-4e5f-9a8b-0c1d2e3f4a5b"
    assert edit["diff"] == [{"field": "name.en", "old": "Acme Book 1", "new": "Acme Book Pro"}]
    assert history.body["items"][0]["diff"] == [{"field": "status", "old": "draft", "new": "published"}]
    # AND version 1 reads as it was
    past = reference("GET", f"{path}/versions/1")
    assert past.status == 200
    assert past.body["document"]["name"]["en"] == "Acme Book 1"
    assert reference("GET", f"{path}/versions/9").status == 404


def test_unchanged_patch_does_not_create_a_version(reference):
    # GIVEN a product at version 1
    created = reference("POST", "/admin/catalog/products", product_body(1))
    # WHEN the same name is sent again
    reply = reference(
        "PATCH",
        f"/admin/catalog/products/{created.body['id']}",
        {"name": product_body(1)["name"]},
        headers={"If-Match": '"1"'},
    )
    # THEN nothing changes
    assert (reply.status, reply.body["version"]) == (200, 1)


def test_admin_lists_products_by_status(reference):
    # GIVEN one draft and one published product
    reference("POST", "/admin/catalog/products", product_body(1))
    _create_and_publish(reference, 2)
    # WHEN drafts and published products are listed THEN each list has its own
    drafts = reference("GET", "/admin/catalog/products", query={"status": "draft"})
    live = reference("GET", "/admin/catalog/products", query={"status": "published"})
    assert [p["code"] for p in drafts.body["items"]] == ["LAP-0001"]
    assert [p["code"] for p in live.body["items"]] == ["LAP-0002"]


def test_if_match_star_changes_whatever_version_is_current(reference):
    # GIVEN a product at version 2
    created = reference("POST", "/admin/catalog/products", product_body(1))
    path = f"/admin/catalog/products/{created.body['id']}"
    assert reference("PATCH", path, {"description": {"en": "v2"}}, headers={"If-Match": '"1"'}).status == 200
    # WHEN it is changed and then published with If-Match: * (RFC 9110: any current version)
    changed = reference("PATCH", path, {"description": {"en": "v3"}}, headers={"If-Match": "*"})
    published = reference("POST", f"{path}/publish", headers={"If-Match": "*"})
    # THEN both apply to the current version
    assert (changed.status, changed.etag) == (200, '"3"')
    assert (published.status, published.body["status"]) == (200, "published")
    # AND * does not conjure a missing product, nor does a stale number pass
    missing = reference(
        "PATCH", "/admin/catalog/products/nope", {"description": {"en": "x"}}, headers={"If-Match": "*"}
    )
    assert missing.status == 404
    assert reference("PATCH", path, {"description": {"en": "x"}}, headers={"If-Match": '"3"'}).status == 412
