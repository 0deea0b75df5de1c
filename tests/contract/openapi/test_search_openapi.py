"""The search API's OpenAPI document tells a client everything: words, answers, refusals, inputs.

The document is the one the function serves (``GET /search/openapi.json``). That the answers match it
is proven by the integration suite (tests/integration/search), whose every call is checked against it.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shop_kernel.http import parse_if_match
from shop_kernel.openapi import IF_MATCH_PATTERN
from tests.conformance import DocumentedAnswers
from tests.contract.openapi.search_inventory_documents import (
    API_CONTEXTS,
    KERNEL_COMPONENTS,
    documentation_gaps,
    invalid_examples,
    operations,
    parameter,
    served_document,
)
from tests.support import Reply

COMMON = {"400", "413", "415", "422", "429", "503"}
ADMIN = COMMON | {"401", "403"}
LOCALISED = {"locale", "accept-language"}
CACHED = {"304"}  # public reads: If-None-Match revalidation (shop_kernel.openapi.finalize)
REVALIDATE = {"if-none-match"}
WHERE = {"country", "store"}  # availability for a delivery country and/or a pickup store

# Per operation: every status it can answer and every parameter it reads.
EXPECTED: dict[tuple[str, str], tuple[set[str], set[str]]] = {
    ("get", "/search"): (
        COMMON | CACHED | {"200"},
        LOCALISED
        | REVALIDATE
        | WHERE
        | {"q", "category", "brand", "currency", "price_list", "min_price", "max_price", "attr", "facets"}
        | {"sort", "limit", "cursor", "in_stock"},
    ),
    ("get", "/search/suggest"): (COMMON | CACHED | {"200"}, LOCALISED | REVALIDATE | {"q", "limit"}),
    ("get", "/search/products/{product_id}/similar"): (
        COMMON | CACHED | {"200", "404"},
        LOCALISED | REVALIDATE | WHERE | {"product_id", "limit"},
    ),
    ("get", "/search/products/{product_id}/related"): (
        COMMON | CACHED | {"200", "404"},
        LOCALISED | REVALIDATE | WHERE | {"product_id"},
    ),
    ("get", "/admin/search/synonyms"): (ADMIN | {"200"}, set()),
    ("put", "/admin/search/synonyms"): (ADMIN | {"200", "412"}, {"if-match"}),
    ("put", "/admin/search/products/{product_id}/related"): (ADMIN | {"200", "404"}, {"product_id"}),
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return served_document("search")


def test_every_route_is_documented_and_nothing_else(document):
    # GIVEN the served document / WHEN its operations are listed
    # THEN they are exactly the search API's routes
    assert set(operations(document)) == set(EXPECTED)


@pytest.mark.parametrize(("method", "path"), list(EXPECTED), ids=[f"{m} {p}" for m, p in EXPECTED])
def test_each_operation_is_documented_in_words_with_models_and_problems(document, method, path):
    # GIVEN one operation of the served document
    operation = operations(document)[(method, path)]
    # WHEN a client reads it
    gaps = documentation_gaps(document, method, path, operation)
    statuses, parameters = EXPECTED[(method, path)]
    # THEN it has a summary and a description, a named success model with examples, problem+json refusals
    assert gaps == []
    # AND it lists every status the route can answer and every parameter it reads
    assert set(operation["responses"]) == statuses
    assert {p["name"].lower() for p in operation.get("parameters") or []} == parameters


def test_fixed_sets_are_enums_and_bounds_are_stated(document):
    # GIVEN the search operation
    search = operations(document)[("get", "/search")]
    # THEN sort, locale and currency list what the server accepts; limit and the price bounds are bounded
    assert parameter(search, "sort")["enum"] == ["relevance", "price_asc", "price_desc", "newest"]
    assert parameter(search, "locale")["enum"] == ["en", "uk"]
    assert {"EUR", "UAH", "USD"} <= set(parameter(search, "currency")["enum"])
    assert (parameter(search, "limit")["minimum"], parameter(search, "limit")["maximum"]) == (1, 100)
    assert parameter(search, "min_price")["minimum"] == 0
    assert parameter(search, "facets")["items"]["pattern"]
    assert parameter(search, "attr")["items"]["pattern"]
    # AND If-Match says what an ETag looks like
    put = operations(document)[("put", "/admin/search/synonyms")]
    assert parameter(put, "If-Match")["pattern"]


def test_a_hit_leaves_room_for_fields_added_later(document):
    # GIVEN the hit model / THEN it does not forbid fields it does not list (e.g. availability)
    hit = document["components"]["schemas"]["SearchHit"]
    assert hit.get("additionalProperties", True) is not False
    # AND what can be null is nullable, while what is always sent is required
    assert {"id", "code", "name", "slug", "brand", "image", "prices"} <= set(hit["required"])
    assert {"type": "null"} in hit["properties"]["image"]["anyOf"]


def test_every_example_is_valid_against_its_own_model(document):
    # GIVEN the search models with examples / WHEN each example is validated against its schema
    # THEN none is refused (a client copying an example gets a valid request or a real answer shape)
    assert invalid_examples(document, "Search") == []


def test_component_names_mean_one_thing_across_every_api(document):
    # GIVEN the documents of every API function the gateway merges
    others = {context: served_document(context) for context in API_CONTEXTS if context != "search"}
    # WHEN the search components are looked up in them
    for name, schema in document["components"]["schemas"].items():
        # THEN a name is either search's own or the kernel's, and means the same schema everywhere
        assert name.startswith("Search") or name in KERNEL_COMPONENTS, name
        for context, other in others.items():
            if name in other["components"]["schemas"]:
                assert other["components"]["schemas"][name] == schema, (name, context)


def test_the_conformance_check_catches_an_undocumented_answer(document):
    # GIVEN the document / WHEN answers the document does not describe are checked
    checker = DocumentedAnswers(document)
    teapot = Reply(
        418, {"Content-Type": "application/problem+json"}, {"type": "x", "title": "t", "status": 418}
    )
    wrong_body = Reply(
        200,
        {"Content-Type": "application/json", "Content-Language": "en", "Cache-Control": "public"},
        {"query": "x", "locale": "fr", "total": "many", "items": [], "facets": {}},
    )
    untyped_problem = Reply(404, {"Content-Type": "application/json"}, {"title": "Not found"})
    no_etag = Reply(200, {"Content-Type": "application/json"}, {"groups": [], "version": 0})
    # THEN each is reported, and a conforming answer is not
    assert checker.problems("GET", "/search", teapot)
    found = " ".join(checker.problems("GET", "/search", wrong_body))
    assert "locale" in found
    assert "total" in found
    assert "did_you_mean" in found
    assert checker.problems("GET", "/search/products/p1/similar", untyped_problem)
    assert "ETag" in " ".join(checker.problems("GET", "/admin/search/synonyms", no_etag))
    fine = Reply(
        200,
        {"Content-Type": "application/json", "ETag": '"0"', "X-Request-Id": "req-1"},
        {"groups": [], "version": 0},
    )
    assert checker.problems("GET", "/admin/search/synonyms", fine) == []


@settings(max_examples=200, deadline=None)
@given(value=st.from_regex(IF_MATCH_PATTERN, fullmatch=True))
def test_every_if_match_the_document_allows_is_read_by_the_server(value):
    # GIVEN any If-Match value the documented pattern allows (shared by search and inventory)
    # WHEN the server reads it
    version = parse_if_match(value)
    # THEN it is a version (None for *: whatever version is current), never the 400 a malformed header gets
    if value.strip() == "*":
        assert version is None
    else:
        assert version is not None
        assert version >= 0
