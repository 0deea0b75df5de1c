"""The search API on the embedded engine, fed by the real indexer from moto's catalog stream."""

from __future__ import annotations

from typing import Any


def _ids(reply: Any) -> list[str]:
    return [item["id"] for item in reply.body["items"]]


def test_a_published_product_is_found_with_a_typo_and_drafts_are_not(catalog, search_call):
    # GIVEN indexed products (one draft)
    # WHEN a shopper searches with a typo
    reply = search_call("GET", "/search", query={"q": "globx notebok", "locale": "en"})
    # THEN the product is found, summarised in the chosen locale, and the draft never is
    assert reply.status == 200, reply.body
    assert _ids(reply)[0] == catalog["globex"]
    assert reply.body["items"][0]["name"] == "Globex Notebook Pro"
    everything = search_call("GET", "/search", query={"limit": "100"})
    assert catalog["draft"] not in _ids(everything)
    assert everything.body["total"] == 4


def test_transliteration_both_ways_and_locale_from_accept_language(catalog, search_call):
    # GIVEN a Cyrillic-named laptop and a Latin-named phone
    # WHEN shoppers type them in the other alphabet
    latin = search_call("GET", "/search", query={"q": "noutbuk legkyi"})
    cyrillic = search_call(
        "GET", "/search", query={"q": "айфон"}, headers={"Accept-Language": "uk-UA,uk;q=0.9"}
    )
    # THEN each finds the product, answering in the negotiated locale
    assert catalog["cyrillic"] in _ids(latin)
    assert _ids(cyrillic)[0] == catalog["iphone"]
    assert cyrillic.headers["Content-Language"] == "uk"


def test_empty_query_lists_by_filters_with_facets(catalog, search_call):
    # GIVEN indexed laptops and a phone
    # WHEN the listing path is asked for the laptops category with facets
    reply = search_call(
        "GET",
        "/search",
        query={"category": "computers", "facets": "brand,price,attributes", "currency": "EUR"},
    )
    # THEN the category's descendants are listed and facets count them
    assert reply.status == 200, reply.body
    assert set(_ids(reply)) == {catalog["acme"], catalog["globex"], catalog["cyrillic"]}
    brands = {b["value"]: b["count"] for b in reply.body["facets"]["brand"]}
    assert brands == {"acme": 2, "globex": 1}
    assert sum(b["count"] for b in reply.body["facets"]["price"]) == 3
    assert "attributes.colour" in reply.body["facets"]


def test_filters_sort_and_cursor_pagination(catalog, search_call):
    # GIVEN four published products with EUR prices 999.01..999.04
    # WHEN pages of two are read sorted by price
    first = search_call("GET", "/search", query={"sort": "price_asc", "currency": "EUR", "limit": "2"})
    second = search_call(
        "GET",
        "/search",
        query={"sort": "price_asc", "currency": "EUR", "limit": "2", "cursor": first.body["next_cursor"]},
    )
    # THEN the pages follow the price order without overlap
    assert first.status == second.status == 200, second.body
    assert _ids(first) == [catalog["acme"], catalog["globex"]]
    assert _ids(second) == [catalog["iphone"], catalog["cyrillic"]]
    # AND a price range and a brand filter narrow the list
    narrowed = search_call(
        "GET",
        "/search",
        query={"currency": "EUR", "min_price": "99902", "max_price": "99903", "brand": "acme"},
    )
    assert _ids(narrowed) == [catalog["iphone"]]


def test_zero_results_relax_and_suggest_a_correction(catalog, search_call):
    # GIVEN indexed products
    # WHEN a query with too many typos finds nothing strictly
    reply = search_call("GET", "/search", query={"q": "glbx book", "locale": "en"})
    # THEN a relaxed query runs and "did you mean" names the indexed word
    assert reply.status == 200
    assert reply.body["relaxed"] is True
    assert catalog["globex"] in _ids(reply)
    assert reply.body["did_you_mean"] == "globex book"


def test_suggestions_complete_prefixes_in_both_alphabets(catalog, search_call):
    # GIVEN indexed products
    # WHEN prefixes are typed
    latin = search_call("GET", "/search/suggest", query={"q": "glob"})
    cyrillic = search_call("GET", "/search/suggest", query={"q": "ноут"})
    # THEN the products they start are suggested
    assert latin.status == 200
    assert catalog["globex"] in [s["product_id"] for s in latin.body["items"]]
    assert catalog["cyrillic"] in [s["product_id"] for s in cyrillic.body["items"]]


def test_archiving_removes_the_product_from_search(catalog, reference, search_call, index_changes):
    # GIVEN a findable product
    admin = reference("GET", f"/admin/catalog/products/{catalog['globex']}")
    # WHEN it is archived and the change is indexed (twice: a replay changes nothing)
    archived = reference(
        "POST", f"/admin/catalog/products/{catalog['globex']}/archive", headers={"If-Match": admin.etag}
    )
    assert archived.status == 200, archived.body
    assert index_changes() == {"batchItemFailures": []}
    # THEN it is no longer found
    reply = search_call("GET", "/search", query={"q": "globex"})
    assert catalog["globex"] not in _ids(reply)


def test_openapi_document_lists_the_routes(search_call):
    # GIVEN / WHEN the OpenAPI document is fetched
    reply = search_call("GET", "/search/openapi.json")
    # THEN every public and admin route is described
    assert reply.status == 200
    paths = set(reply.body["paths"])
    assert {"/search", "/search/suggest", "/admin/search/synonyms"} <= paths
    assert "/search/products/{product_id}/similar" in paths
