"""Public search routes: full-text search with filters and facets, suggestions, similar and related products."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import Field

from search import wiring
from search.domain.model import MAX_LIMIT, MAX_QUERY_CHARS, SearchFilters, SortOrder
from search.handlers.responses import SearchLinkedProducts, SearchResults, SearchSuggestions
from search.handlers.routes.common import (
    ATTRIBUTE_FILTER,
    FACET_LIST,
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
    price_lists,
    require_visible,
)
from shop_kernel.availability import buyable_filter, shopper_contexts
from shop_kernel.money import MINOR_UNITS
from shop_kernel.openapi import AcceptLanguage, LocaleOverride, documented, ok, problem

router = Router()
MAX_SUGGESTIONS = 20
LOCALISED = {
    "Content-Language": "The locale of names and slugs: en or uk",
    "Cache-Control": "Public, cacheable for a short time",
}
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$", json_schema_extra={"enum": sorted(MINOR_UNITS)})]
NOT_PUBLISHED = problem(404, "No published product has this id")
ProductId = Annotated[
    str, Path(description="A published product's id", examples=["prod_01J9Z6X2M3N4P5Q6R7S8T9V0W1"])
]


@router.get(
    "/search",
    summary="Search the published catalog",
    description=(
        "Full-text search for shoppers over product names, descriptions, brands and attributes in the chosen "
        "language, tolerant of typos, transliteration (айфон finds iPhone) and a wrong keyboard layout, with "
        "merchandisers' synonyms. Filters narrow by category (with its descendants), brand, price range in a "
        "currency and price list, and attribute values; facets count what each filter would leave. An empty "
        "q lists by filters and sort. When nothing matches strictly, a relaxed query runs and did_you_mean "
        "suggests a correction. Pages are walked with next_cursor, which is only valid for the same query."
    ),
    tags=["search"],
    responses=documented(
        ok(SearchResults, "One page of matching products, with the requested facets", headers=LOCALISED),
        problem(
            422,
            "A parameter is not valid: a price_list other than retail or the signed-in caller's own price "
            "group, an unknown currency, a price range without a currency or inverted, "
            "an attr that is not code:value, an unknown facet, or a cursor from another query",
        ),
    ),
)
def search(
    q: Annotated[
        str, Query(max_length=MAX_QUERY_CHARS, description="Free text; empty lists by filters and sort")
    ] = "",
    locale: LocaleOverride = None,
    accept_language: AcceptLanguage = None,
    category: Annotated[
        str | None, Query(max_length=64, description="Category id; its descendants are included")
    ] = None,
    brand: Annotated[
        list[str] | None, Query(description="Brand ids, repeatable; a product of any matches")
    ] = None,
    currency: Annotated[
        CurrencyCode | None,
        Query(
            description="ISO 4217; needed by min_price/max_price, and the currency of price sort and facet"
        ),
    ] = None,
    price_list: Annotated[
        str,
        Query(
            pattern=r"^[a-z][a-z0-9_-]{0,31}$",
            description="The price list the price filter, sort and facet read: retail, or the signed-in "
            "caller's own price group (422 otherwise: negotiated prices are confidential)",
        ),
    ] = "retail",
    min_price: Annotated[
        int | None,
        Query(ge=0, description="Lowest price in minor units (needs currency; not above max_price)"),
    ] = None,
    max_price: Annotated[
        int | None, Query(ge=0, description="Highest price in minor units (needs currency)")
    ] = None,
    attr: Annotated[
        list[Annotated[str, Field(pattern=ATTRIBUTE_FILTER)]] | None,
        Query(description="code:value, repeatable: values of one code are alternatives, codes all apply"),
    ] = None,
    facets: Annotated[
        list[Annotated[str, Field(pattern=FACET_LIST)]] | None,
        Query(description="Facets to count: category, brand, price, attributes (repeat or comma-separate)"),
    ] = None,
    sort: Annotated[
        SortOrder, Query(description="Price sorts use currency (EUR when absent) and price_list")
    ] = ("relevance"),
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Products per page")] = 20,
    cursor: Annotated[
        str | None, Query(max_length=2048, description="next_cursor of the previous page of the same query")
    ] = None,
    country: Country = None,
    store: Store = None,
    in_stock: InStock = None,
):
    chosen = chosen_locale(locale, accept_language)
    visible = price_lists(router)
    require_visible(price_list, visible)
    contexts = shopper_contexts(country, store)
    filters = SearchFilters(
        category_id=category,
        brand_ids=list(brand or []),
        price=price_filter(currency, price_list, min_price, max_price),
        attributes=parse_attributes(attr),
        buyable_in=buyable_filter(contexts) if in_stock else [],
    )
    query = build_query(q, chosen, filters, parse_facets(facets), sort, limit)
    if query.sort.startswith("price") and query.effective_price_key is None:
        query = query.model_copy(update={"price_context": f"{currency or 'EUR'}:{price_list}"})
    query = open_cursor(query, cursor)
    service = wiring.container.search_service()
    result = service.search(query)
    body = {
        "query": q,
        "locale": chosen,
        "total": result.total,
        "items": service.summaries(
            [hit.document for hit in result.hits if hit.document], chosen, contexts, visible
        ),
        "facets": {
            name: [b.model_dump(exclude_none=True) for b in buckets]
            for name, buckets in result.facets.items()
        },
        "did_you_mean": result.did_you_mean,
        "relaxed": result.relaxed,
        "next_cursor": next_cursor(query, result.next_page),
    }
    return localised_response(body, chosen, visible)


@router.get(
    "/search/suggest",
    summary="Autocomplete a search box",
    description=(
        "Completions for what a shopper has typed so far: product names that start with the prefix, under "
        "the same typo, transliteration and keyboard-layout rules as search. An empty q answers no items."
    ),
    tags=["search"],
    responses=documented(ok(SearchSuggestions, "Completions, best first", headers=LOCALISED)),
)
def suggest(
    q: Annotated[str, Query(max_length=100, description="What the shopper has typed so far")] = "",
    locale: LocaleOverride = None,
    accept_language: AcceptLanguage = None,
    limit: Annotated[int, Query(ge=1, le=MAX_SUGGESTIONS, description="At most this many completions")] = 8,
):
    chosen = chosen_locale(locale, accept_language)
    found = wiring.container.search_service().suggest(q, chosen, limit) if q.strip() else []
    items = [{"text": s.text, "product_id": s.product_id} for s in found]
    return localised_response({"query": q, "locale": chosen, "items": items}, chosen)


@router.get(
    "/search/products/<product_id>/similar",
    summary="Products like this one",
    description=(
        "For a product page's 'you may also like': published products the search engine finds most alike "
        "in text, brand, category and attributes (more-like-this), never the product itself."
    ),
    tags=["cross-sell"],
    responses=documented(
        ok(SearchLinkedProducts, "Similar published products, most alike first", headers=LOCALISED),
        NOT_PUBLISHED,
    ),
)
def similar(
    product_id: ProductId,
    locale: LocaleOverride = None,
    accept_language: AcceptLanguage = None,
    limit: Annotated[int, Query(ge=1, le=50, description="At most this many products")] = 8,
    country: Country = None,
    store: Store = None,
):
    chosen = chosen_locale(locale, accept_language)
    visible = price_lists(router)
    items = wiring.container.search_service().similar(
        product_id, limit, chosen, shopper_contexts(country, store), visible
    )
    return localised_response({"product_id": product_id, "items": items}, chosen, visible)


@router.get(
    "/search/products/<product_id>/related",
    summary="Products merchandisers link to this one",
    description=(
        "For a product page's 'goes well with': the products merchandisers curated for this one (accessories, "
        "bundles), in their order; links to products no longer published are left out."
    ),
    tags=["cross-sell"],
    responses=documented(
        ok(SearchLinkedProducts, "The curated products that are published", headers=LOCALISED),
        NOT_PUBLISHED,
    ),
)
def related(
    product_id: ProductId,
    locale: LocaleOverride = None,
    accept_language: AcceptLanguage = None,
    country: Country = None,
    store: Store = None,
):
    chosen = chosen_locale(locale, accept_language)
    visible = price_lists(router)
    items = wiring.container.search_service().related(
        product_id, chosen, shopper_contexts(country, store), visible
    )
    return localised_response({"product_id": product_id, "items": items}, chosen, visible)
