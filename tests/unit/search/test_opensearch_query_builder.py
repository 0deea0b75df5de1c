"""``SearchQuery`` + plans -> OpenSearch DSL: fuzziness AUTO, filters, facets, sort, search_after."""

from __future__ import annotations

import json

import pytest

from search.adapters import opensearch_query as dsl
from search.adapters.opensearch import stemmer
from search.domain.model import PriceFilter, SearchFilters, SearchQuery
from search.domain.planning import plan_text, relax
from shop_kernel.money import Money


def _plans(text: str, locale: str = "en"):
    return plan_text(text, locale, stemmer(locale))


def _all(body: object, key: str) -> list:
    found = []
    if isinstance(body, dict):
        for k, v in body.items():
            if k == key:
                found.append(v)
            found += _all(v, key)
    elif isinstance(body, list):
        for v in body:
            found += _all(v, key)
    return found


def test_every_word_is_fuzzy_auto_on_localised_fields_translit_and_sound():
    # GIVEN a two-word query in uk
    body = dsl.search_body(SearchQuery(text="ноутбук легкий ", locale="uk"), _plans("ноутбук легкий ", "uk"))
    # WHEN the multi_match clauses are collected
    matches = _all(body, "multi_match")
    # THEN they are fuzzy AUTO on the uk fields and the translit sub-fields, and sound keys are matched
    assert {m["fuzziness"] for m in matches if "fuzziness" in m} == {"AUTO"}
    fields = {f for m in matches for f in m["fields"]}
    assert "name.uk^4" in fields
    assert "name.uk.translit^3" in fields
    assert _all(body, "sound")
    # AND user text only appears as match values, never in a query_string
    assert "query_string" not in json.dumps(body)


def test_relaxed_plans_allow_one_more_edit_and_any_word():
    # GIVEN a relaxed plan of a 4-letter word (AUTO = 1 edit)
    plans = [relax(p) for p in _plans("glbx book ")]
    body = dsl.search_body(SearchQuery(text="glbx book "), plans)
    # THEN the fuzziness is 2 and one word suffices
    assert 2 in {m.get("fuzziness") for m in _all(body, "multi_match")}
    assert set(_all(body, "minimum_should_match")) == {1}


def test_unfinished_last_word_also_matches_edge_ngram_prefixes():
    # GIVEN a query typed without a trailing space
    body = dsl.search_body(SearchQuery(text="glob"), _plans("glob"))
    # THEN the prefix sub-fields are queried
    fields = {f for m in _all(body, "multi_match") for f in m["fields"]}
    assert "name.en.prefix^2" in fields


def test_empty_text_is_match_all_with_filters():
    # GIVEN a listing query with every filter
    query = SearchQuery(
        filters=SearchFilters(
            category_id="laptops",
            brand_ids=["acme"],
            price=PriceFilter(currency="EUR", min=Money.of(100, "EUR"), max=Money.of(500, "EUR")),
            attributes={"colour": ["black", "silver"]},
        )
    )
    # WHEN it is built
    body = dsl.search_body(query, [])
    # THEN text is match_all and filters are non-scoring clauses
    assert body["query"]["bool"]["must"] == [{"match_all": {}}]
    assert body["query"]["bool"]["filter"] == [
        {"term": {"category_ids": "laptops"}},
        {"terms": {"brand_id": ["acme"]}},
        {"range": {"prices.EUR:retail": {"gte": 100, "lte": 500}}},
        {"terms": {"attribute_values": ["colour=black", "colour=silver"]}},
    ]


def test_facets_are_aggregations_and_price_buckets_follow_the_edges():
    # GIVEN a query asking for every facet in EUR
    query = SearchQuery(
        facets=["category", "brand", "price", "attributes"],
        price_context="EUR:retail",
        price_edges=(100, 500),
    )
    # WHEN it is built
    aggs = dsl.search_body(query, [])["aggs"]
    # THEN terms and range aggregations are requested
    assert aggs["category"]["terms"]["field"] == "category_ids"
    assert aggs["brand"]["terms"]["field"] == "brand_id"
    assert aggs["attributes"]["terms"]["field"] == "attribute_values"
    assert aggs["price"]["range"]["ranges"] == [
        {"key": "*-100", "to": 100},
        {"key": "100-500", "from": 100, "to": 500},
        {"key": "500-*", "from": 500},
    ]


@pytest.mark.parametrize(
    ("sort", "first"),
    [
        ("relevance", {"_score": {"order": "desc"}}),
        ("newest", {"published_at": {"order": "desc"}}),
        ("price_desc", {"prices.EUR:retail": {"order": "desc", "missing": "_last", "unmapped_type": "long"}}),
    ],
)
def test_sort_orders_end_with_the_product_id_tie_breaker(sort, first):
    # GIVEN / WHEN a sorted query
    body = dsl.search_body(SearchQuery(sort=sort, price_context="EUR:retail"), [])
    # THEN the sort is stable for search_after
    assert body["sort"] == [first, {"product_id": {"order": "asc"}}]


def test_page_tokens_round_trip_through_search_after():
    # GIVEN a full page of hits
    query = SearchQuery(limit=2)
    response = {
        "hits": {
            "total": {"value": 5},
            "hits": [
                {"_id": "a", "_score": 2.0, "sort": [2.0, "a"]},
                {"_id": "b", "_score": 1.0, "sort": [1.0, "b"]},
            ],
        },
        "aggregations": {"attributes": {"buckets": [{"key": "colour=black", "doc_count": 2}]}},
    }
    # WHEN it is parsed and the next page is built
    result = dsl.parse_response(response, query)
    body = dsl.search_body(query.model_copy(update={"page_token": result.next_page}), [])
    # THEN the next page starts after the last hit and facets are split per attribute
    assert [h.product_id for h in result.hits] == ["a", "b"]
    assert result.total == 5
    assert body["search_after"] == [1.0, "b"]
    assert result.facets["attributes.colour"][0].value == "black"


def test_an_engine_outage_is_a_503_without_engine_text_and_a_bad_request_is_not():
    from opensearchpy.exceptions import ConnectionError as EngineUnreachable
    from opensearchpy.exceptions import TransportError

    from search.adapters.opensearch import OpenSearchIndex
    from shop_kernel.errors import DependencyUnavailable

    class Client:
        def __init__(self, error):
            self.error = error

        def search(self, **_):
            raise self.error

    # GIVEN an index whose cluster is unreachable, or answers 503, or refuses a request (400)
    def index(error):
        return OpenSearchIndex(Client(error), "products", target="products-1")

    # WHEN / THEN outages become DependencyUnavailable (503) with our own words only
    for error in (
        EngineUnreachable("N/A", "secret internals", None),
        TransportError(503, "cluster_block", {}),
    ):
        with pytest.raises(DependencyUnavailable) as raised:
            index(error).search(SearchQuery(text="laptop"))
        assert "internals" not in raised.value.detail
        assert raised.value.status == 503
    # AND anything else is a bug that must surface, not a disguised outage
    with pytest.raises(TransportError):
        index(TransportError(400, "parsing_exception", {})).search(SearchQuery(text="laptop"))
