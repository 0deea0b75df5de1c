"""What the loyalty route modules share: the caller's identity per group, paging parameters."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from shop_kernel.auth import Group, require

Limit = Annotated[int, Query(ge=1, le=100, description="Ledger entries per page")]
Cursor = Annotated[
    str | None,
    Query(max_length=2048, description="next_cursor of the previous page; omit for the first page"),
]
STAFF_ONLY = (401, 403)
VERSIONED = {"ETag": 'The version as an entity tag, e.g. "3": send it back in If-Match to change it'}


def caller(router: Router, *groups: Group) -> str:
    """The caller's id (Cognito sub) when in one of ``groups`` (401 without a token, 403 otherwise)."""
    return require(router.current_event.raw_event, *groups).subject
