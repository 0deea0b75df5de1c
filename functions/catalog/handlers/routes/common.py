"""What every route module shares: the admin guard, documented parameters, If-Match and ETag responses.

The parameter aliases below are how the OpenAPI document learns every input a route reads: the locale
query (an enum of the supported locales), ``Accept-Language``, ``If-Match``, paging. Admin operations
carry the bearer-token requirement, so the document lists their 401/403 answers.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Header, Query

from catalog.domain.changes import ANY_VERSION, Actor, ExpectedVersion
from shop_kernel.auth import RETAIL_PRICE_LIST, Group, require, visible_price_lists
from shop_kernel.errors import FieldError, ValidationFailed
from shop_kernel.http import PUBLIC_CACHE, etag, json_response, parse_if_match
from shop_kernel.locale import negotiate
from shop_kernel.openapi import IF_MATCH_PATTERN, LocaleOverride, route_checked
from shop_kernel.proxy import PRIVATE_CACHE

STOREFRONT = ["storefront"]
PUBLIC_PRICE_LISTS = frozenset({RETAIL_PRICE_LIST})
ADMIN_TAGS = ["catalog administration"]
ADMIN_SECURITY: list[dict[str, list[str]]] = [{"cognito": []}]

Locale = LocaleOverride  # the kernel's: en or uk, wins over Accept-Language
AcceptLanguage = Annotated[
    str | None,
    Header(
        alias="Accept-Language",
        max_length=1024,
        description="Preferred languages (q-values honoured); en is used when none of them is supported",
        examples=["uk-UA,uk;q=0.9,en;q=0.5"],
    ),
]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        pattern=IF_MATCH_PATTERN,
        # Every catalog change needs it (428 without): required in the document, refused by the route.
        json_schema_extra=route_checked(),
        description='The ETag of the version you read, e.g. "3" (412 when it is no longer current), or * to '
        "change whatever version is current; without it the change is refused (428)",
        examples=['"3"'],
    ),
]
CorrelationId = Annotated[
    str | None,
    Header(
        alias="X-Correlation-Id",
        max_length=128,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="Your id for this change, recorded in its history and carried by the catalog events it "
        "causes; the request id when absent",
    ),
]
Limit = Annotated[int, Query(ge=1, le=100, description="Items per page")]
Cursor = Annotated[
    str | None,
    Query(max_length=2048, description="next_cursor of the previous page; omit for the first page"),
]

VERSIONED = {"ETag": 'The version as an entity tag, e.g. "3": send it back in If-Match to change it'}
CREATED = {**VERSIONED, "Location": "Where the new resource is read and changed"}
LOCALISED = {
    "Content-Language": "The locale of the answer (en or uk)",
    "Cache-Control": "Storefront reads may be cached for 30 seconds; revalidate with If-None-Match",
    "Vary": "Accept-Language: the answer depends on it",
}


def admin(router: Router, correlation_id: str | None = None) -> Actor:
    """The merchandiser making this request (401 without a token, 403 for any other group).

    ``correlation_id`` is the caller's ``X-Correlation-Id``; without it the change is traced by the
    request id, the correlation id of the function's logs.
    """
    event = router.current_event.raw_event
    caller = require(event, Group.MERCHANDISERS)
    correlation = correlation_id or event.get("requestContext", {}).get("requestId")
    return Actor(subject=caller.subject, correlation_id=correlation)


def chosen_locale(override: str | None, accept_language: str | None) -> str:
    """``?locale=`` (validated against the enum before the route runs) wins over ``Accept-Language``."""
    return override or negotiate(accept_language)


def expected_version(if_match: str | None) -> ExpectedVersion:
    """The version named by ``If-Match``; ``*`` accepts whatever version is current."""
    if if_match is not None and if_match.strip() == ANY_VERSION:
        return ANY_VERSION
    return parse_if_match(if_match)


def versioned(body: dict[str, Any], status: int = 200, location: str | None = None):
    headers = {"ETag": etag(body["version"])}
    if location:
        headers["Location"] = location
    return json_response(body, status, headers)


def localised_response(body: Any, locale: str, price_lists: Collection[str] = PUBLIC_PRICE_LISTS):
    # An answer with a caller's negotiated prices must never sit in a shared cache.
    cache = PUBLIC_CACHE if set(price_lists) <= PUBLIC_PRICE_LISTS else PRIVATE_CACHE
    return json_response(
        body, headers={"Content-Language": locale, "Vary": "Accept-Language", "Cache-Control": cache}
    )


def price_lists(router: Router) -> frozenset[str]:
    """The price lists this caller may see: retail, plus the price group of a verified token."""
    return visible_price_lists(router.current_event.raw_event)


def require_visible(price_list: str, visible: Collection[str]) -> None:
    """Filtering by a price list's range would reveal its prices: only for callers who may see them
    (422 on ``query.price_list``: for this caller the value is not a price list)."""
    if price_list not in visible:
        raise ValidationFailed(
            f"the price list {price_list!r} is not yours: filter by retail, or sign in as a customer of "
            "that price group",
            errors=[
                FieldError(
                    field="query.price_list", message="not your price list", code="not_your_price_list"
                )
            ],
        )
