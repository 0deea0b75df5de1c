"""What every inventory route module shares: the ops guard, JSON/ETag responses, documented refusals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from shop_kernel.auth import Group, require
from shop_kernel.http import etag, json_response, version_to_match

OPS_ONLY = (401, 403)
VERSION_HEADER = {"ETag": "The version; send it as If-Match to change this"}


def ops(router: Router) -> str:
    """The ops user making this request (401 without a token, 403 for any other group)."""
    return require(router.current_event.raw_event, Group.OPS).subject


def expected_version(if_match: str | None, current_version: Callable[[], int | None]) -> int | None:
    """The version If-Match names; ``*`` is the current one (None when the item does not exist: 412)."""
    return version_to_match(if_match, current_version)


def versioned(body: dict[str, Any], status: int = 200) -> Response[str]:
    return json_response(body, status, {"ETag": etag(body["version"])})
