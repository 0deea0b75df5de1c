"""Bad input is a 4xx naming the field (never a 5xx, never engine text); merchandisers' settings apply at once."""

from __future__ import annotations

import pytest

BAD_SEARCHES = [
    ({"limit": "101"}, "query.limit"),
    ({"limit": "0"}, "query.limit"),
    ({"facets": "colour"}, "query.facets"),
    ({"currency": "EUR", "min_price": "500", "max_price": "100"}, "query.min_price"),
    ({"min_price": "100"}, "query.currency"),
    ({"currency": "XXX"}, "query.currency"),
    ({"attr": "colour"}, "query.attr"),
    ({"sort": "cheapest"}, "query.sort"),
    ({"locale": "de"}, "query.locale"),
    ({"q": "x" * 1001}, "query.q"),
    ({"cursor": "not-a-cursor"}, "query.cursor"),
]


@pytest.mark.parametrize(("query", "field"), BAD_SEARCHES, ids=[f for _, f in BAD_SEARCHES])
def test_bad_search_parameters_are_422_naming_the_field(search_stack, search_call, query, field):
    # GIVEN / WHEN a search with one bad parameter
    reply = search_call("GET", "/search", query=query)
    # THEN it is a problem+json 4xx naming that parameter (or, for a repeatable one, the offending item)
    assert reply.status in (400, 422), reply.body
    assert reply.headers["Content-Type"] == "application/problem+json"
    named = [e["field"] for e in reply.body["errors"]]
    assert any(name == field or name.startswith(field + ".") for name in named), named


@pytest.mark.parametrize("text", ['"(laptop):*~\\', "x" * 1000, "   ", "AND OR NOT", "name:foo^3 [a TO b]"])
def test_query_syntax_and_long_queries_are_just_text(catalog, search_call, text):
    # GIVEN indexed products
    # WHEN the query holds engine syntax or is 1,000 characters long
    reply = search_call("GET", "/search", query={"q": text})
    # THEN it is an ordinary 200 answer
    assert reply.status == 200, reply.body
    assert isinstance(reply.body["items"], list)


def test_a_cursor_of_another_query_is_refused(catalog, search_call):
    # GIVEN a cursor minted for one query
    first = search_call("GET", "/search", query={"q": "", "limit": "1"})
    cursor = first.body["next_cursor"]
    assert cursor
    # WHEN it is replayed with other filters
    reply = search_call("GET", "/search", query={"q": "", "limit": "1", "brand": "acme", "cursor": cursor})
    # THEN it is rejected naming the cursor
    assert reply.status == 422
    assert reply.body["errors"][0]["field"] == "query.cursor"


def test_synonyms_apply_without_a_reindex(catalog, search_call):
    # GIVEN nothing is called a "zorbix"
    assert search_call("GET", "/search", query={"q": "zorbix", "locale": "en"}).body["total"] == 0
    # WHEN a merchandiser adds a synonym group
    saved = search_call("PUT", "/admin/search/synonyms", {"groups": [["zorbix", "notebook", "ноутбук"]]})
    assert saved.status == 200, saved.body
    # THEN the next search uses it, and the groups read back with their version as ETag
    reply = search_call("GET", "/search", query={"q": "zorbix", "locale": "en"})
    assert catalog["globex"] in [i["id"] for i in reply.body["items"]]
    read = search_call("GET", "/admin/search/synonyms")
    assert read.body == {"groups": [["zorbix", "notebook", "ноутбук"]], "version": 1}
    assert read.headers["ETag"] == '"1"'
    # AND a stale If-Match is refused
    stale = search_call("PUT", "/admin/search/synonyms", {"groups": []}, headers={"If-Match": '"0"'})
    assert stale.status == 412


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"groups": [["only-one"]]}, "body.groups.0"),
        ({"groups": [["a,b", "c"]]}, "body.groups.0.0"),
        ({"groups": "laptop"}, "body.groups"),
        ({"groups": [], "extra": 1}, "body.extra"),
    ],
)
def test_bad_synonyms_are_refused_naming_the_field(search_stack, search_call, body, field):
    # GIVEN / WHEN a bad synonym body
    reply = search_call("PUT", "/admin/search/synonyms", body)
    # THEN 422 naming the field, nothing stored
    assert reply.status == 422, reply.body
    assert any(e["field"].startswith(field) for e in reply.body["errors"])
    assert search_call("GET", "/admin/search/synonyms").body["version"] == 0


def test_admin_routes_need_a_merchandiser(search_stack, search_call):
    # GIVEN / WHEN anonymous and customer callers use the admin routes
    anonymous = search_call("GET", "/admin/search/synonyms", groups=None)
    customer = search_call("PUT", "/admin/search/synonyms", {"groups": []}, groups="customers")
    # THEN 401 and 403
    assert (anonymous.status, customer.status) == (401, 403)


def test_related_products_are_curated_and_similar_come_from_the_engine(catalog, search_call):
    # GIVEN a merchandiser links the phone to the Acme laptop
    acme, phone = catalog["acme"], catalog["iphone"]
    saved = search_call("PUT", f"/admin/search/products/{acme}/related", {"product_ids": [phone]})
    assert saved.status == 200, saved.body
    # WHEN shoppers ask for related and similar products
    related = search_call("GET", f"/search/products/{acme}/related", query={"locale": "en"})
    similar = search_call("GET", f"/search/products/{acme}/similar", query={"locale": "en"})
    # THEN related lists the link, similar lists other laptops, never the product itself
    assert [i["id"] for i in related.body["items"]] == [phone]
    similar_ids = [i["id"] for i in similar.body["items"]]
    assert acme not in similar_ids
    assert catalog["globex"] in similar_ids or catalog["cyrillic"] in similar_ids


@pytest.mark.parametrize(
    ("target", "body", "status"),
    [
        ("self", {"product_ids": ["SELF"]}, 422),
        ("acme", {"product_ids": ["prod_unknown"]}, 422),
        ("unknown", {"product_ids": []}, 404),
    ],
)
def test_bad_related_links_are_refused(catalog, search_call, target, body, status):
    # GIVEN a bad link request
    product = catalog["acme"] if target in ("self", "acme") else "prod_unknown"
    ids = [product if i == "SELF" else i for i in body["product_ids"]]
    # WHEN it is sent
    reply = search_call("PUT", f"/admin/search/products/{product}/related", {"product_ids": ids})
    # THEN it is refused and nothing is stored
    assert reply.status == status, reply.body
    assert search_call("GET", f"/search/products/{catalog['acme']}/related").body["items"] == []


def test_unknown_product_cross_sell_is_404(search_stack, search_call):
    # GIVEN / WHEN cross-sell for a product that does not exist
    reply = search_call("GET", "/search/products/prod_nothing/similar")
    # THEN 404
    assert reply.status == 404
