"""What every inventory route module shares: the ops guard, JSON/ETag responses, If-Match."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from shop_kernel.auth import Group, require
from shop_kernel.http import etag, json_response, version_to_match


def ops(router: Router) -> str:
    """The ops user making this request (401 without a token, 403 for any other group)."""
    return require(router.current_event.raw_event, Group.OPS).subject


def expected_version(router: Router, current_version: Callable[[], int | None]) -> int | None:
    """The version If-Match names; ``*`` is the current one (None when the item does not exist: 412)."""
    return version_to_match(router.current_event.headers.get("if-match"), current_version)


def versioned(body: dict[str, Any], status: int = 200) -> Response[str]:
    return json_response(body, status, {"ETag": etag(body["version"])})
