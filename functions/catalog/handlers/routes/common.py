"""What every route module shares: the admin guard, locale choice, If-Match and ETag responses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router

from catalog.domain.changes import Actor
from shop_kernel.auth import Group, require
from shop_kernel.errors import ValidationFailed
from shop_kernel.http import PUBLIC_CACHE, etag, json_response, version_to_match
from shop_kernel.locale import SUPPORTED_LOCALES, negotiate


def admin(router: Router) -> Actor:
    """The merchandiser making this request (401 without a token, 403 for any other group)."""
    event = router.current_event.raw_event
    caller = require(event, Group.MERCHANDISERS)
    correlation = router.current_event.headers.get("x-correlation-id") or event.get("requestContext", {}).get(
        "requestId"
    )
    return Actor(subject=caller.subject, correlation_id=correlation)


def chosen_locale(router: Router, override: str | None) -> str:
    """``?locale=`` wins over ``Accept-Language``; anything unsupported in ``?locale=`` is a 422."""
    if override is not None:
        if override not in SUPPORTED_LOCALES:
            raise ValidationFailed.on(
                "query.locale", f"supported locales: {', '.join(SUPPORTED_LOCALES)}", "unsupported"
            )
        return override
    return negotiate(router.current_event.headers.get("accept-language"))


def expected_version(router: Router, current_version: Callable[[], int | None]) -> int | None:
    """The version If-Match names; ``*`` is the current one, read through ``current_version``."""
    return version_to_match(router.current_event.headers.get("if-match"), current_version)


def versioned(body: dict[str, Any], status: int = 200, location: str | None = None):
    headers = {"ETag": etag(body["version"])}
    if location:
        headers["Location"] = location
    return json_response(body, status, headers)


def localised_response(body: Any, locale: str):
    return json_response(
        body, headers={"Content-Language": locale, "Vary": "Accept-Language", "Cache-Control": PUBLIC_CACHE}
    )
