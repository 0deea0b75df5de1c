"""What the back office's route modules share: the merchandiser guard, path and paging parameters."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from pricing import wiring
from pricing.adapters.back_office import refusal
from pricing.domain.back_office import PROMOTION_ID_PATTERN, StoredPromotion
from shop_kernel.auth import Group, require
from shop_kernel.errors import NotFound
from shop_kernel.openapi import problem

MERCHANDISERS = (401, 403)
VERSION_HEADER = {"ETag": "The promotion's version; send it as If-Match to replace or archive it"}
NO_PROMOTION = problem(404, "No promotion has this id")

PromotionId = Annotated[str, Path(pattern=PROMOTION_ID_PATTERN, description="The promotion's id")]
Limit = Annotated[int, Query(ge=1, le=100, description="Items per page")]
Cursor = Annotated[
    str | None, Query(max_length=2048, description="next_cursor of the previous page, unchanged")
]


def merchandiser(router: Router) -> str:
    return require(router.current_event.raw_event, Group.MERCHANDISERS).subject


def existing(promotion_id: str) -> StoredPromotion:
    stored = wiring.container.store().promotion(promotion_id)
    if stored is None:
        raise refusal(NotFound, "path.promotion_id", f"no promotion {promotion_id!r}", "unknown")
    return stored
