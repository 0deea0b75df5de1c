"""Promotions for merchandisers: list by status, read, create, replace with If-Match, archive.

Every write goes through the config item cart and checkout read, so a change applies on their next
request. Nothing is deleted: orders name the promotions they were given.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from pricing import wiring
from pricing.domain.back_office import PromotionDraft, PromotionStatus
from pricing.handlers.responses import PricingPromotion, PricingPromotions
from pricing.handlers.routes.common import (
    MERCHANDISERS,
    NO_PROMOTION,
    VERSION_HEADER,
    Cursor,
    Limit,
    PromotionId,
    existing,
    merchandiser,
)
from shop_kernel.errors import PreconditionRequired
from shop_kernel.http import etag, json_response, version_to_match
from shop_kernel.ids import new_id
from shop_kernel.openapi import BEARER_SECURITY, IfMatch, documented, ok, problem

router = Router()
PREFIX = "/admin/promotions"
INVALID = problem(
    422,
    "A field is not valid: an unknown benefit kind, two amounts in one currency, ends_at not after "
    "starts_at, an id with other characters than letters, digits, _ and -",
)


def _answer(view: dict, status: int = 200):  # type: ignore[no-untyped-def,type-arg]
    return json_response(view, status, {"ETag": etag(view["version"])})


@router.get(
    PREFIX,
    summary="List promotions",
    description=(
        "For merchandisers: promotions by id, optionally only those with a status now (active, scheduled, "
        "expired, archived). A page filtered by status may hold fewer than `limit`: follow `next_cursor`."
    ),
    tags=["admin"],
    security=BEARER_SECURITY,
    responses=documented(ok(PricingPromotions, "A page of promotions"), *MERCHANDISERS),
)
def list_promotions(
    status: Annotated[
        PromotionStatus | None, Query(description="Only promotions with this status now")
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
):
    merchandiser(router)
    now = wiring.container.clock().now()
    items, next_cursor = wiring.container.store().promotions(status, now, cursor, limit)
    return json_response({"items": [i.view(now) for i in items], "next_cursor": next_cursor})


@router.get(
    f"{PREFIX}/<promotion_id>",
    summary="Read a promotion",
    description="For merchandisers: the promotion, its status now, and the ETag to send when changing it.",
    tags=["admin"],
    security=BEARER_SECURITY,
    responses=documented(
        ok(PricingPromotion, "The promotion", headers=VERSION_HEADER), *MERCHANDISERS, NO_PROMOTION
    ),
)
def get_promotion(promotion_id: PromotionId):
    merchandiser(router)
    return _answer(existing(promotion_id).view(wiring.container.clock().now()))


@router.post(
    PREFIX,
    summary="Create a promotion",
    description=(
        "For merchandisers: a promotion as cart and checkout apply it (benefit, conditions, stacking, "
        "activation window [starts_at, ends_at)). Without an id it gets a new `promo_<ULID>`. It applies "
        "from the shopper's next request (automatic ones), or through its codes."
    ),
    tags=["admin"],
    security=BEARER_SECURITY,
    responses=documented(
        ok(PricingPromotion, "Created", status=201, headers=VERSION_HEADER),
        *MERCHANDISERS,
        problem(409, "A promotion with this id exists (replace it with If-Match instead)"),
        INVALID,
    ),
)
def create_promotion(body: PromotionDraft):
    merchandiser(router)
    promotion = body.as_promotion(body.id or new_id("promo"))
    now = wiring.container.clock().now()
    return _answer(wiring.container.store().create(promotion, now).view(now), 201)


@router.put(
    f"{PREFIX}/<promotion_id>",
    summary="Replace a promotion",
    description=(
        "For merchandisers: the whole promotion again (an id in the body is ignored), conditioned on the "
        "ETag you read. An archived promotion can no longer change."
    ),
    tags=["admin"],
    security=BEARER_SECURITY,
    responses=documented(
        ok(PricingPromotion, "Replaced", headers=VERSION_HEADER),
        *MERCHANDISERS,
        NO_PROMOTION,
        problem(409, "The promotion is archived"),
        problem(412, "The promotion changed since the ETag sent in If-Match: read it again"),
        problem(428, "Send If-Match with the ETag you read"),
        INVALID,
    ),
)
def replace_promotion(promotion_id: PromotionId, body: PromotionDraft, if_match: IfMatch = None):
    merchandiser(router)
    store = wiring.container.store()
    expected = version_to_match(if_match, lambda: existing(promotion_id).version)
    if expected is None:
        existing(promotion_id)  # a 404 says more than a 428 for a promotion that is not there
        raise PreconditionRequired("send If-Match with the ETag of the promotion you read")
    now = wiring.container.clock().now()
    return _answer(store.replace(body.as_promotion(promotion_id), expected, now).view(now))


@router.post(
    f"{PREFIX}/<promotion_id>/archive",
    summary="Archive a promotion",
    description=(
        "For merchandisers: the promotion stops applying from the next request and its codes are refused; "
        "it stays readable (orders name it) and is listed as archived. Archiving twice changes nothing. "
        "If-Match is optional: with it, a promotion changed meanwhile is not archived (412)."
    ),
    tags=["admin"],
    security=BEARER_SECURITY,
    responses=documented(
        ok(PricingPromotion, "Archived", headers=VERSION_HEADER),
        *MERCHANDISERS,
        NO_PROMOTION,
        problem(412, "The promotion changed since the ETag sent in If-Match"),
    ),
)
def archive_promotion(promotion_id: PromotionId, if_match: IfMatch = None):
    merchandiser(router)
    expected = version_to_match(if_match, lambda: existing(promotion_id).version)
    now = wiring.container.clock().now()
    return _answer(wiring.container.store().archive(promotion_id, expected, now).view(now))
