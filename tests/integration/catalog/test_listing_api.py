"""Category pages: descendants' products, filters, cursor pagination; the category tree."""

from __future__ import annotations

from tests.integration.catalog.conftest import product_body


def _publish(call, n, **overrides):
    created = call("POST", "/admin/catalog/products", product_body(n, **overrides))
    assert created.status == 201, created.body
    reply = call(
        "POST", f"/admin/catalog/products/{created.body['id']}/publish", headers={"If-Match": created.etag}
    )
    assert reply.status == 200
    return reply.body


def _codes(reply):
    return sorted(item["code"] for item in reply.body["items"])


def test_parent_categories_list_their_descendants_products_localised(reference):
    # GIVEN two published laptops and a draft
    _publish(reference, 1)
    _publish(reference, 2)
    reference("POST", "/admin/catalog/products", product_body(3))
    # WHEN the top category and the leaf are listed
    top = reference("GET", "/catalog/categories/electronics/products", headers={"Accept-Language": "uk"})
    leaf = reference("GET", "/catalog/categories/laptops/products", query={"locale": "en"})
    # THEN both list exactly the published products, localised, with their lowest prices
    assert _codes(top) == _codes(leaf) == ["LAP-0001", "LAP-0002"]
    assert top.body["items"][0]["name"] == "Acme Бук 1"
    assert {"price_list": "retail", "currency": "EUR", "amount": 99901} in leaf.body["items"][0]["prices"]
    assert reference("GET", "/catalog/categories/phones/products").body["items"] == []


def test_filters_by_brand_price_and_attributes(reference):
    # GIVEN laptops of two brands, sizes and prices
    _publish(reference, 1)  # acme, 14 in, from 999.01 EUR
    _publish(reference, 2, brand_id="globex", attributes={"screen_size": 16, "touch": True})
    cheap = product_body(3)
    for variant in cheap["variants"]:
        variant["prices"] = [{"amount": 45000, "currency": "EUR"}]
    _publish(reference, 3, variants=cheap["variants"])
    page = "/catalog/categories/computers/products"
    # WHEN filtering THEN only the matching products come back
    assert _codes(reference("GET", page, query={"brand": "globex"})) == ["LAP-0002"]
    assert _codes(reference("GET", page, query={"brand": ["globex", "acme"]})) == [
        "LAP-0001",
        "LAP-0002",
        "LAP-0003",
    ]
    assert _codes(reference("GET", page, query={"currency": "EUR", "max_price": "50000"})) == ["LAP-0003"]
    assert _codes(reference("GET", page, query={"currency": "EUR", "min_price": "99000"})) == [
        "LAP-0001",
        "LAP-0002",
    ]
    assert _codes(reference("GET", page, query={"currency": "UAH"})) == ["LAP-0001", "LAP-0002"]
    assert _codes(reference("GET", page, query={"attr": "screen_size:16"})) == ["LAP-0002"]
    assert _codes(reference("GET", page, query={"attr": ["touch:true", "colour:silver"]})) == ["LAP-0002"]
    assert _codes(reference("GET", page, query={"attr": ["screen_size:14", "screen_size:16"]})) == [
        "LAP-0001",
        "LAP-0002",
        "LAP-0003",
    ]


def test_cursor_pagination_walks_every_product_once_and_rejects_foreign_cursors(reference):
    # GIVEN five published laptops
    for n in range(1, 6):
        _publish(reference, n)
    # WHEN the leaf category is paged two at a time
    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        reply = reference("GET", "/catalog/categories/laptops/products", query=query)
        assert reply.status == 200
        seen += [i["code"] for i in reply.body["items"]]
        cursor, pages = reply.body["next_cursor"], pages + 1
        if not cursor:
            break
    # THEN every product appears exactly once
    assert sorted(seen) == [f"LAP-{n:04d}" for n in range(1, 6)]
    assert pages >= 3
    # AND a cursor minted for one listing is refused by another (other category, other filters)
    first = reference("GET", "/catalog/categories/laptops/products", query={"limit": "2"}).body["next_cursor"]
    other_category = reference("GET", "/catalog/categories/computers/products", query={"cursor": first})
    other_filter = reference(
        "GET", "/catalog/categories/laptops/products", query={"cursor": first, "brand": "acme"}
    )
    assert other_category.status == other_filter.status == 422
    assert other_category.body["errors"][0]["field"] == "query.cursor"


def test_category_tree_is_nested_and_localised(reference):
    # WHEN the tree is read in Ukrainian
    reply = reference("GET", "/catalog/categories", query={"locale": "uk"})
    # THEN it nests Electronics > Computers > Laptops with Ukrainian names and slugs
    (electronics,) = reply.body["items"]
    computers = next(c for c in electronics["children"] if c["id"] == "computers")
    assert electronics["name"] == "Електроніка"
    assert electronics["seo"]["slug"] == "elektronika"
    assert [c["id"] for c in computers["children"]] == ["laptops"]
    assert computers["children"][0]["path"] == ["electronics", "computers", "laptops"]


def test_moving_a_category_moves_its_products_listings(reference):
    # GIVEN a published laptop under Electronics > Computers > Laptops
    _publish(reference, 1)
    laptops = reference("GET", "/admin/catalog/categories/laptops")
    # WHEN Laptops moves under Phones (Electronics > Phones > Laptops)
    moved = reference(
        "POST",
        "/admin/catalog/categories/laptops/move",
        {"parent_id": "phones"},
        headers={"If-Match": laptops.etag},
    )
    # THEN the category has its new ancestors and the product is listed under Phones, not Computers
    assert moved.status == 200
    assert moved.body["ancestors"] == ["electronics", "phones"]
    assert _codes(reference("GET", "/catalog/categories/phones/products")) == ["LAP-0001"]
    assert _codes(reference("GET", "/catalog/categories/computers/products")) == []
    assert _codes(reference("GET", "/catalog/categories/electronics/products")) == ["LAP-0001"]


def test_renaming_a_category_needs_if_match_and_records_history(reference):
    path = "/admin/catalog/categories/laptops"
    patch = {"name": {"en": "Notebooks", "uk": "Ноутбуки"}}
    assert reference("PATCH", path, patch).status == 428
    renamed = reference("PATCH", path, patch, headers={"If-Match": '"1"'})
    assert renamed.status == 200
    assert renamed.body["version"] == 2
    history = reference("GET", f"{path}/history").body["items"]
    assert history[0]["diff"] == [{"field": "name.en", "old": "Laptops", "new": "Notebooks"}]
    assert reference("GET", "/catalog/categories/laptops", query={"locale": "en"}).body["name"] == "Notebooks"


def test_public_product_type_and_brands(reference):
    laptop = reference("GET", "/catalog/product-types/laptop", query={"locale": "uk"})
    assert laptop.status == 200
    assert laptop.body["attributes"][0]["label"] == "Діагональ"
    brands = reference("GET", "/catalog/brands")
    assert [b["id"] for b in brands.body["items"]] == ["acme", "globex"]
