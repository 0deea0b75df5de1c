"""``SearchQuery`` + query plans -> OpenSearch query DSL, and OpenSearch responses -> ``SearchResult``.

User text never reaches a query parser: the domain's planner (``search.domain.planning``) has already cut
it into folded words, so syntax characters (``" ( ) : * ~ \\``) are separators and nothing a shopper types
can make OpenSearch fail. Each word becomes a ``dis_max`` over the ways it may match:

* the localised name, brand, attributes and description, stemmed by the locale's analyzer and fuzzy with
  ``fuzziness: "AUTO"`` (0/1/2 edits by length; a relaxed plan passes its larger edit count);
* the ``translit`` sub-fields (both sides transliterated to Latin by ``icu_transform``);
* the ``sound`` field (cross-script spelling keys, "айфон" ~ "iphone");
* for an unfinished last word, the edge n-gram ``prefix`` sub-fields.

Filters go in ``bool.filter`` (no scoring, cached); facets are aggregations over the filtered set;
pagination is ``search_after`` on the sort values plus ``product_id`` as the tie breaker, so pages are
stable; the token handed back is those values as JSON (the service signs it).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from typing import Any

from search.domain.model import FacetBucket, Hit, SearchDocument, SearchQuery, SearchResult
from search.domain.planning import QueryPlan, Slot, Term
from search.domain.text import auto_fuzziness

TEXT_FIELDS = ("name.{locale}^4", "brand_name^3", "attribute_text^1.5", "description.{locale}^0.5")
TRANSLIT_FIELDS = ("name.{locale}.translit^3", "brand_name.translit^2", "attribute_text.translit")
PREFIX_FIELDS = ("name.{locale}.prefix^2", "name.{locale}.prefix_translit^1.5")
FACET_SIZE = 100
ATTRIBUTE_FACET_SIZE = 500


def _fields(template: Sequence[str], locale: str) -> list[str]:
    return [field.format(locale=locale) for field in template]


def _fuzziness(term: Term) -> str | int:
    # "AUTO" is the engine's own rule; a relaxed plan asks for more edits than AUTO would give.
    return "AUTO" if term.fuzziness == auto_fuzziness(term.text) else term.fuzziness


def term_query(term: Term, locale: str) -> dict[str, Any]:
    fuzziness = _fuzziness(term)
    ways: list[dict[str, Any]] = [
        {
            "multi_match": {
                "query": term.text,
                "fields": _fields(TEXT_FIELDS, locale),
                "fuzziness": fuzziness,
                "prefix_length": 0,
                "max_expansions": 50,
            }
        },
        {
            "multi_match": {
                "query": term.text,
                "fields": _fields(TRANSLIT_FIELDS, locale),
                "fuzziness": fuzziness,
                "max_expansions": 50,
            }
        },
        {"match": {"sound": {"query": term.sound, "fuzziness": fuzziness, "boost": 0.8}}},
        {"term": {"skus": {"value": term.text.upper(), "boost": 5}}},
    ]
    if term.prefix:
        ways.append({"multi_match": {"query": term.text, "fields": _fields(PREFIX_FIELDS, locale)}})
    return {"dis_max": {"queries": ways, "tie_breaker": 0.1}}


def _alternative(terms: Sequence[Term], locale: str) -> dict[str, Any]:
    if len(terms) == 1:
        return term_query(terms[0], locale)
    return {"bool": {"must": [term_query(t, locale) for t in terms]}}


def _slot(slot: Slot, locale: str) -> dict[str, Any]:
    alternatives = [_alternative(a, locale) for a in slot.alternatives]
    return alternatives[0] if len(alternatives) == 1 else {"dis_max": {"queries": alternatives}}


def plan_query(plan: QueryPlan, locale: str) -> dict[str, Any]:
    required = [_slot(s, locale) for s in plan.slots if not s.optional]
    optional = [_slot(s, locale) for s in plan.slots if s.optional]
    if plan.any_slot:
        return {"bool": {"should": required + optional, "minimum_should_match": 1, "boost": plan.boost}}
    return {"bool": {"must": required, "should": optional, "boost": plan.boost}}


def text_query(plans: Sequence[QueryPlan], locale: str) -> dict[str, Any]:
    if not plans:
        return {"match_all": {}}
    if len(plans) == 1:
        return plan_query(plans[0], locale)
    return {"dis_max": {"queries": [plan_query(p, locale) for p in plans]}}


def filter_clauses(q: SearchQuery) -> list[dict[str, Any]]:
    filters = q.filters
    clauses: list[dict[str, Any]] = []
    if filters.category_id:
        clauses.append({"term": {"category_ids": filters.category_id}})
    if filters.brand_ids:
        clauses.append({"terms": {"brand_id": list(filters.brand_ids)}})
    if filters.price is not None:
        bounds: dict[str, int] = {}
        if filters.price.min is not None:
            bounds["gte"] = filters.price.min.amount
        if filters.price.max is not None:
            bounds["lte"] = filters.price.max.amount
        # A product without a price in this list never matches a price filter.
        clauses.append(
            {"range": {f"prices.{filters.price.key}": bounds}} if bounds else _has_price(filters.price.key)
        )
    for code, values in sorted(filters.attributes.items()):
        clauses.append({"terms": {"attribute_values": [f"{code}={v}" for v in values]}})
    if filters.buyable_in:
        clauses.append({"terms": {"buyable": list(filters.buyable_in)}})
    return clauses


def _has_price(key: str) -> dict[str, Any]:
    return {"exists": {"field": f"prices.{key}"}}


def price_ranges(edges: Sequence[int]) -> list[dict[str, Any]]:
    bounds = [None, *edges, None]
    ranges = []
    for low, high in itertools.pairwise(bounds):
        item: dict[str, Any] = {"key": f"{'*' if low is None else low}-{'*' if high is None else high}"}
        if low is not None:
            item["from"] = low
        if high is not None:
            item["to"] = high
        ranges.append(item)
    return ranges


def aggregations(q: SearchQuery) -> dict[str, Any]:
    aggs: dict[str, Any] = {}
    if "category" in q.facets:
        aggs["category"] = {"terms": {"field": "category_ids", "size": FACET_SIZE}}
    if "brand" in q.facets:
        aggs["brand"] = {"terms": {"field": "brand_id", "size": FACET_SIZE}}
    price_key = q.effective_price_key
    if "price" in q.facets and price_key:
        aggs["price"] = {"range": {"field": f"prices.{price_key}", "ranges": price_ranges(q.price_edges)}}
    if "attributes" in q.facets:
        aggs["attributes"] = {"terms": {"field": "attribute_values", "size": ATTRIBUTE_FACET_SIZE}}
    return aggs


def sort_clause(q: SearchQuery) -> list[dict[str, Any]]:
    tie_breaker = {"product_id": {"order": "asc"}}
    price_key = q.effective_price_key
    if q.sort in ("price_asc", "price_desc") and price_key:
        order = "asc" if q.sort == "price_asc" else "desc"
        field = {"order": order, "missing": "_last", "unmapped_type": "long"}
        return [{f"prices.{price_key}": field}, tie_breaker]
    if q.sort == "newest":
        return [{"published_at": {"order": "desc"}}, tie_breaker]
    return [{"_score": {"order": "desc"}}, tie_breaker]


def search_body(q: SearchQuery, plans: Sequence[QueryPlan], *, with_names: bool = False) -> dict[str, Any]:
    """The ``POST /<alias>/_search`` body."""
    body: dict[str, Any] = {
        "query": {"bool": {"must": [text_query(plans, q.locale)], "filter": filter_clauses(q)}},
        "size": q.limit,
        "sort": sort_clause(q),
        "track_total_hits": True,
        # The stored document is what a hit shows: the page is answered from the index alone.
        "_source": ["name", "document"] if with_names else ["document"],
    }
    aggs = aggregations(q)
    if aggs:
        body["aggs"] = aggs
    if q.page_token:
        body["search_after"] = decode_page_token(q.page_token)
    return body


def decode_page_token(token: str) -> list[Any]:
    try:
        values = json.loads(token)
    except ValueError:
        values = None
    if not isinstance(values, list) or not values:
        raise ValueError("not an OpenSearch page token")
    return values


def _facets(aggs: dict[str, Any]) -> dict[str, list[FacetBucket]]:
    facets: dict[str, list[FacetBucket]] = {}
    for name in ("category", "brand"):
        if name in aggs:
            facets[name] = [
                FacetBucket(value=str(b["key"]), count=b["doc_count"]) for b in aggs[name]["buckets"]
            ]
    if "price" in aggs:
        facets["price"] = [
            FacetBucket(
                value=b["key"],
                count=b["doc_count"],
                min=int(b["from"]) if b.get("from") is not None else None,
                max=int(b["to"]) if b.get("to") is not None else None,
            )
            for b in aggs["price"]["buckets"]
        ]
    if "attributes" in aggs:
        for bucket in aggs["attributes"]["buckets"]:
            code, _, value = str(bucket["key"]).partition("=")
            facets.setdefault(f"attributes.{code}", []).append(
                FacetBucket(value=value, count=bucket["doc_count"])
            )
    return facets


def parse_response(response: dict[str, Any], q: SearchQuery) -> SearchResult:
    raw_hits = response.get("hits", {}).get("hits", [])
    total = response.get("hits", {}).get("total", {})
    hits = [
        Hit(product_id=h["_id"], score=float(h.get("_score") or 0.0), document=stored_document(h))
        for h in raw_hits
    ]
    next_page = (
        json.dumps(raw_hits[-1]["sort"]) if len(raw_hits) == q.limit and raw_hits[-1].get("sort") else None
    )
    return SearchResult(
        hits=hits,
        total=int(total.get("value", 0) if isinstance(total, dict) else total),
        facets=_facets(response.get("aggregations") or {}),
        next_page=next_page,
    )


def stored_document(hit: dict[str, Any]) -> SearchDocument | None:
    stored = (hit.get("_source") or {}).get("document")
    return SearchDocument.model_validate(stored) if stored else None


def names_in(response: dict[str, Any]) -> list[str]:
    """Localised names of the returned documents (the vocabulary "did you mean" corrects towards)."""
    names: list[str] = []
    for hit in response.get("hits", {}).get("hits", []):
        names += [str(v) for v in ((hit.get("_source") or {}).get("name") or {}).values()]
    return names


def suggest_body(plans: Sequence[QueryPlan], locale: str, limit: int) -> dict[str, Any]:
    """Prefix suggestions: every word as typed or fuzzy, the last one also as an edge n-gram prefix."""
    return {
        "query": text_query(plans, locale),
        "size": limit,
        "_source": ["name", "product_id"],
        "sort": [{"_score": {"order": "desc"}}, {"product_id": {"order": "asc"}}],
    }


def similar_body(index: str, product_id: str, limit: int, locale_fields: Sequence[str]) -> dict[str, Any]:
    return {
        "query": {
            "bool": {
                "must": [
                    {
                        "more_like_this": {
                            "fields": [*locale_fields, "brand_name", "attribute_text", "category_ids"],
                            "like": [{"_index": index, "_id": product_id}],
                            "min_term_freq": 1,
                            "min_doc_freq": 1,
                            "max_query_terms": 25,
                        }
                    }
                ],
                "must_not": [{"ids": {"values": [product_id]}}],
            }
        },
        "size": limit,
        "_source": False,
    }
