"""What the search routes share: locale choice, query parameters -> ``SearchQuery``, signed cursors."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import ValidationError

from search import wiring
from search.domain.model import PriceFilter, SearchFilters, SearchQuery
from shop_kernel.auth import RETAIL_PRICE_LIST, visible_price_lists
from shop_kernel.errors import FieldError, ValidationFailed
from shop_kernel.http import PUBLIC_CACHE, json_response
from shop_kernel.locale import negotiate
from shop_kernel.money import MINOR_UNITS, Money
from shop_kernel.proxy import PRIVATE_CACHE

Country = Annotated[
    str | None,
    Query(
        pattern=r"^[A-Z]{2}$",
        description="Destination country (ISO 3166-1 alpha-2): availability for delivery there",
    ),
]
Store = Annotated[
    str | None,
    Query(
        pattern=r"^[a-z0-9][a-z0-9-]{1,39}$",
        description="Pickup store (location id): availability for pickup there; with country, either way counts",
    ),
]
InStock = Annotated[
    bool | None,
    Query(
        description="true: only products that are not sold out for the country/store (anywhere if neither); "
        "electronically delivered products (e-certificates) always match"
    ),
]
FACETS = ("category", "brand", "price", "attributes")
PUBLIC_PRICE_LISTS = frozenset({RETAIL_PRICE_LIST})
# Exactly what parse_facets and parse_attributes accept, for the document: comma-separated facet names
# (blank items ignored) and code:value with a non-blank code and value.
_FACET = "(?:(?:" + "|".join(FACETS) + r")\s*)"
FACET_LIST = rf"^\s*{_FACET}?(,\s*{_FACET}?)*$"
ATTRIBUTE_FILTER = r"^[^:]*[^:\s][^:]*:[\s\S]*\S"


def chosen_locale(override: str | None, accept_language: str | None) -> str:
    """``?locale=`` (validated against the supported set by its type) wins over ``Accept-Language``."""
    return override if override is not None else negotiate(accept_language)


def localised_response(body: Any, locale: str, price_lists: Collection[str] = PUBLIC_PRICE_LISTS) -> Response:
    # An answer with a caller's negotiated prices must never sit in a shared cache.
    cache = PUBLIC_CACHE if set(price_lists) <= PUBLIC_PRICE_LISTS else PRIVATE_CACHE
    return json_response(
        body, headers={"Content-Language": locale, "Vary": "Accept-Language", "Cache-Control": cache}
    )


def price_lists(router: Router) -> frozenset[str]:
    """The price lists this caller may see (retail, plus their verified price group)."""
    return visible_price_lists(router.current_event.raw_event)


def require_visible(price_list: str, visible: Collection[str]) -> None:
    """Filtering or sorting by a price list would reveal its prices: only for callers who may see them
    (422 on ``query.price_list``: for this caller the value is not a price list)."""
    if price_list not in visible:
        raise ValidationFailed(
            f"the price list {price_list!r} is not yours: filter and sort by retail, or sign in as a "
            "customer of that price group",
            errors=[
                FieldError(
                    field="query.price_list", message="not your price list", code="not_your_price_list"
                )
            ],
        )


def parse_facets(raw: list[str] | None) -> list[str]:
    names = [name.strip() for item in raw or [] for name in item.split(",") if name.strip()]
    unknown = [name for name in names if name not in FACETS]
    if unknown:
        raise ValidationFailed.on(
            "query.facets", f"unknown facet {unknown[0]!r}: use {', '.join(FACETS)}", "unknown"
        )
    return list(dict.fromkeys(names))


def parse_attributes(raw: list[str] | None) -> dict[str, list[str]]:
    attributes: dict[str, list[str]] = {}
    for item in raw or []:
        code, sep, value = item.partition(":")
        if not sep or not code.strip() or not value.strip():
            raise ValidationFailed.on(
                "query.attr", "filter attributes as code:value, e.g. colour:black", "format"
            )
        attributes.setdefault(code.strip(), []).append(value.strip())
    return attributes


def price_filter(
    currency: str | None, price_list: str, low: int | None, high: int | None
) -> PriceFilter | None:
    if currency is not None and currency not in MINOR_UNITS:
        raise ValidationFailed.on(
            "query.currency", "unknown currency: use an ISO-4217 code such as EUR", "unknown"
        )
    if currency is None:
        if low is not None or high is not None:
            raise ValidationFailed.on("query.currency", "a price range needs a currency", "currency_required")
        return None
    if low is not None and high is not None and low > high:
        raise ValidationFailed(
            "the price range is inverted",
            errors=[
                FieldError(
                    field="query.min_price", message="min_price must not exceed max_price", code="range"
                ),
                FieldError(
                    field="query.max_price", message="max_price must not be below min_price", code="range"
                ),
            ],
        )
    return PriceFilter(
        currency=currency,
        price_list=price_list,
        min=None if low is None else Money.of(low, currency),
        max=None if high is None else Money.of(high, currency),
    )


def build_query(
    text: str, locale: str, filters: SearchFilters, facets: list[str], sort: str, limit: int
) -> SearchQuery:
    try:
        return SearchQuery(text=text, locale=locale, filters=filters, facets=facets, sort=sort, limit=limit)  # type: ignore[arg-type]
    except ValidationError as exc:  # a rule of the model the route's parameters did not already enforce
        first = exc.errors()[0]
        raise ValidationFailed.on("query." + ".".join(str(p) for p in first["loc"]), first["msg"]) from exc


def cursor_scope(query: SearchQuery) -> str:
    """A cursor is valid only for the query that produced it (same text, locale, filters and sort)."""
    canonical = query.model_dump(mode="json", include={"text", "locale", "filters", "sort", "price_context"})
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()[:24]


def open_cursor(query: SearchQuery, cursor: str | None) -> SearchQuery:
    key = wiring.container.cursor_codec().decode(cursor, cursor_scope(query))
    if key is None:
        return query
    token = key.get("token")
    if not isinstance(token, str):
        raise ValidationFailed.on(
            "query.cursor", "the cursor is not valid for this listing; start again", "cursor"
        )
    return query.model_copy(update={"page_token": token})


def next_cursor(query: SearchQuery, page_token: str | None) -> str | None:
    return (
        wiring.container.cursor_codec().encode({"token": page_token}, cursor_scope(query))
        if page_token
        else None
    )
