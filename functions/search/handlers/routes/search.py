"""Public search routes: full-text search with filters and facets, suggestions, similar and related products."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from search.adapters import search_service
from search.domain.model import MAX_LIMIT, MAX_QUERY_CHARS, SearchFilters
from search.handlers.routes.common import (
    Country,
    InStock,
    Store,
    build_query,
    chosen_locale,
    localised_response,
    next_cursor,
    open_cursor,
    parse_attributes,
    parse_facets,
    price_filter,
)
from shop_kernel.availability import shopper_contexts

router = Router()
Locale = Annotated[str | None, Query(description="Overrides Accept-Language: en or uk")]
MAX_SUGGESTIONS = 20


@router.get("/search", tags=["search"])
def search(
    q: Annotated[
        str, Query(max_length=MAX_QUERY_CHARS, description="Free text; empty lists by filters")
    ] = "",
    locale: Locale = None,
    category: Annotated[
        str | None, Query(max_length=64, description="Category id (descendants included)")
    ] = None,
    brand: Annotated[list[str] | None, Query(description="Brand ids; any of them")] = None,
    currency: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
    price_list: Annotated[str, Query(pattern=r"^[a-z][a-z0-9_-]{0,31}$")] = "retail",
    min_price: Annotated[int | None, Query(ge=0, description="Minor units")] = None,
    max_price: Annotated[int | None, Query(ge=0, description="Minor units")] = None,
    attr: Annotated[list[str] | None, Query(description="code:value, repeatable")] = None,
    facets: Annotated[list[str] | None, Query(description="category, brand, price, attributes")] = None,
    sort: Annotated[str, Query(pattern=r"^(relevance|price_asc|price_desc|newest)$")] = "relevance",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    cursor: Annotated[
        str | None, Query(max_length=2048, description="next_cursor of the previous page")
    ] = None,
    country: Country = None,
    store: Store = None,
    in_stock: InStock = None,
):
    chosen = chosen_locale(router, locale)
    contexts = shopper_contexts(country, store)
    filters = SearchFilters(
        category_id=category,
        brand_ids=list(brand or []),
        price=price_filter(currency, price_list, min_price, max_price),
        attributes=parse_attributes(attr),
        buyable_in=contexts if in_stock else [],
    )
    query = build_query(q, chosen, filters, parse_facets(facets), sort, limit)
    if query.sort.startswith("price") and query.effective_price_key is None:
        query = query.model_copy(update={"price_context": f"{currency or 'EUR'}:{price_list}"})
    query = open_cursor(query, cursor)
    service = search_service()
    result = service.search(query)
    body = {
        "query": q,
        "locale": chosen,
        "total": result.total,
        "items": service.summaries([hit.document for hit in result.hits if hit.document], chosen, contexts),
        "facets": {
            name: [b.model_dump(exclude_none=True) for b in buckets]
            for name, buckets in result.facets.items()
        },
        "did_you_mean": result.did_you_mean,
        "relaxed": result.relaxed,
        "next_cursor": next_cursor(query, result.next_page),
    }
    return localised_response(body, chosen)


@router.get("/search/suggest", tags=["search"])
def suggest(
    q: Annotated[str, Query(max_length=100)] = "",
    locale: Locale = None,
    limit: Annotated[int, Query(ge=1, le=MAX_SUGGESTIONS)] = 8,
):
    chosen = chosen_locale(router, locale)
    found = search_service().suggest(q, chosen, limit) if q.strip() else []
    items = [{"text": s.text, "product_id": s.product_id} for s in found]
    return localised_response({"query": q, "locale": chosen, "items": items}, chosen)


@router.get("/search/products/<product_id>/similar", tags=["cross-sell"])
def similar(
    product_id: str,
    locale: Locale = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 8,
    country: Country = None,
    store: Store = None,
):
    chosen = chosen_locale(router, locale)
    items = search_service().similar(product_id, limit, chosen, shopper_contexts(country, store))
    return localised_response({"product_id": product_id, "items": items}, chosen)


@router.get("/search/products/<product_id>/related", tags=["cross-sell"])
def related(product_id: str, locale: Locale = None, country: Country = None, store: Store = None):
    chosen = chosen_locale(router, locale)
    items = search_service().related(product_id, chosen, shopper_contexts(country, store))
    return localised_response({"product_id": product_id, "items": items}, chosen)
