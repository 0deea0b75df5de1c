"""Promo codes for merchandisers: one code, a promotion's codes, disabling, batches, the campaign report."""

from __future__ import annotations

import secrets
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from pricing import wiring
from pricing.adapters.back_office import refusal, sortable
from pricing.domain.back_office import (
    CODE_PATTERN,
    BatchStatus,
    CampaignReport,
    CodeBatch,
    CodeBatchDraft,
    CodeDraft,
    campaign_report,
)
from pricing.domain.promotions import normalise_code
from pricing.handlers.responses import PricingCode, PricingCodeBatch, PricingCodes
from pricing.handlers.routes.common import (
    MERCHANDISERS,
    NO_PROMOTION,
    Cursor,
    Limit,
    PromotionId,
    existing,
    merchandiser,
)
from shop_kernel.errors import Conflict, NotFound
from shop_kernel.http import json_response
from shop_kernel.ids import new_id
from shop_kernel.openapi import BEARER_SECURITY, documented, ok, problem

router = Router()
PREFIX = "/admin/promotions/<promotion_id>"
CodePath = Annotated[str, Path(pattern=CODE_PATTERN, description="The code, in any case")]
BatchId = Annotated[str, Path(pattern=r"^batch_[0-9A-HJKMNP-TV-Z]{26}$", description="The batch's id")]
NO_CODE = problem(404, "The promotion has no such code")
NO_BATCH = problem(404, "The promotion has no such batch")
ARCHIVED = problem(409, "The promotion is archived: it takes no new codes")


def _live(promotion_id: str) -> None:
    if existing(promotion_id).archived_at is not None:
        raise Conflict(f"promotion {promotion_id!r} is archived: it takes no new codes")


def _code_of(promotion_id: str, code: str) -> dict:  # type: ignore[type-arg]
    found = wiring.container.store().code(normalise_code(code))
    if found is None or found["promotion_id"] != promotion_id:
        raise refusal(NotFound, "path.code", f"promotion {promotion_id!r} has no code {code}", "unknown")
    return found


def _batch_of(promotion_id: str, batch_id: str) -> CodeBatch:
    batch = wiring.container.store().batch(batch_id)
    if batch is None or batch.promotion_id != promotion_id:
        raise refusal(
            NotFound, "path.batch_id", f"promotion {promotion_id!r} has no batch {batch_id}", "unknown"
        )
    return batch


@router.post(
    f"{PREFIX}/codes",
    summary="Create a promo code",
    description=(
        "For merchandisers: a code shoppers enter for this promotion, unique whatever its case (stored "
        "trimmed and upper-cased), with optional limits in all and per customer."
    ),
    tags=["admin"],
    security=BEARER_SECURITY,
    responses=documented(
        ok(PricingCode, "Created", status=201),
        *MERCHANDISERS,
        NO_PROMOTION,
        problem(409, "The code exists already (for any promotion), or the promotion is archived"),
        problem(422, "The code is not 3 to 64 letters, digits and dashes, or a limit is below 1"),
    ),
)
def create_code(promotion_id: PromotionId, body: CodeDraft):
    merchandiser(router)
    _live(promotion_id)
    created = wiring.container.store().create_code(body.as_code(promotion_id), wiring.container.clock().now())
    return json_response(created, 201)


@router.get(
    f"{PREFIX}/codes",
    summary="List a promotion's codes",
    description="For merchandisers: single codes by code, then batch codes by batch and index.",
    tags=["admin"],
    security=BEARER_SECURITY,
    responses=documented(ok(PricingCodes, "A page of codes"), *MERCHANDISERS, NO_PROMOTION),
)
def list_codes(promotion_id: PromotionId, limit: Limit = 50, cursor: Cursor = None):
    merchandiser(router)
    existing(promotion_id)
    items, next_cursor = wiring.container.store().codes(promotion_id, cursor, limit)
    return json_response({"items": items, "next_cursor": next_cursor})


@router.get(
    f"{PREFIX}/codes/<code>",
    summary="Read a promo code and its uses",
    description=(
        "For merchandisers: the code, its limits, the uses counted by placed orders and how many customers "
        "used it (never who: those keys hold e-mail addresses)."
    ),
    tags=["admin"],
    security=BEARER_SECURITY,
    responses=documented(ok(PricingCode, "The code"), *MERCHANDISERS, NO_CODE),
)
def get_code(promotion_id: PromotionId, code: CodePath):
    merchandiser(router)
    return json_response(_code_of(promotion_id, code))


@router.post(
    f"{PREFIX}/codes/<code>/disable",
    summary="Disable a promo code",
    description=(
        "For merchandisers: cart and checkout refuse the code from their next request (`disabled`), and a "
        "checkout racing this change counts no use (409). Disabling twice changes nothing; there is no "
        "enabling again (create a new code)."
    ),
    tags=["admin"],
    security=BEARER_SECURITY,
    responses=documented(ok(PricingCode, "Disabled"), *MERCHANDISERS, NO_CODE),
)
def disable_code(promotion_id: PromotionId, code: CodePath):
    merchandiser(router)
    found = _code_of(promotion_id, code)
    return json_response(wiring.container.store().disable_code(found["code"], wiring.container.clock().now()))


@router.post(
    f"{PREFIX}/code-batches",
    summary="Generate promo codes in bulk",
    description=(
        "For merchandisers: asks for `count` (1 to 100 000) unguessable codes, `PREFIX-XXXXXXXXXX`, each "
        "with the given limits (single-use by default). Answers at once with the batch; the codes are "
        "written in the background: follow the batch's `generated` and `status`."
    ),
    tags=["admin"],
    security=BEARER_SECURITY,
    responses=documented(
        ok(
            PricingCodeBatch,
            "Accepted: the codes are being generated",
            status=202,
            headers={"Location": "Where the batch's progress is read"},
        ),
        *MERCHANDISERS,
        NO_PROMOTION,
        ARCHIVED,
        problem(422, "count is not 1 to 100 000, the prefix is not up to 12 letters and digits, a limit < 1"),
    ),
)
def create_batch(promotion_id: PromotionId, body: CodeBatchDraft):
    merchandiser(router)
    _live(promotion_id)
    batch = CodeBatch(
        id=new_id("batch"),
        promotion_id=promotion_id,
        requested=body.count,
        generated=0,
        prefix=body.prefix.upper(),
        usage_limit=body.usage_limit,
        per_customer_limit=body.per_customer_limit,
        status=BatchStatus.GENERATING,
        created_at=sortable(wiring.container.clock().now()),
    )
    wiring.container.store().create_batch(batch, secrets.token_bytes(32))
    return json_response(
        batch.model_dump(mode="json"),
        202,
        {"Location": f"/admin/promotions/{promotion_id}/code-batches/{batch.id}"},
    )


@router.get(
    f"{PREFIX}/code-batches/<batch_id>",
    summary="Follow a code batch",
    description="For merchandisers: how many codes were asked for and generated so far, and when it started and finished.",
    tags=["admin"],
    security=BEARER_SECURITY,
    responses=documented(ok(PricingCodeBatch, "The batch's progress"), *MERCHANDISERS, NO_BATCH),
)
def get_batch(promotion_id: PromotionId, batch_id: BatchId):
    merchandiser(router)
    return json_response(_batch_of(promotion_id, batch_id).model_dump(mode="json"))


@router.get(
    f"{PREFIX}/code-batches/<batch_id>/codes",
    summary="Export a batch's codes",
    description="For merchandisers: the batch's codes in index order, a page at a time (up to 100).",
    tags=["admin"],
    security=BEARER_SECURITY,
    responses=documented(ok(PricingCodes, "A page of the batch's codes"), *MERCHANDISERS, NO_BATCH),
)
def list_batch_codes(promotion_id: PromotionId, batch_id: BatchId, limit: Limit = 100, cursor: Cursor = None):
    merchandiser(router)
    _batch_of(promotion_id, batch_id)
    items, next_cursor = wiring.container.store().codes(promotion_id, cursor, limit, batch_id)
    return json_response({"items": items, "next_cursor": next_cursor})


@router.get(
    f"{PREFIX}/report",
    summary="Campaign report",
    description=(
        "For merchandisers: per currency, the orders placed with the promotion and not cancelled "
        "(redemptions), what it took off them (discount cost) and their grand totals (revenue), from "
        "checkout's order events: a few seconds behind, each order counted once."
    ),
    tags=["admin"],
    security=BEARER_SECURITY,
    responses=documented(ok(CampaignReport, "The campaign's figures"), *MERCHANDISERS, NO_PROMOTION),
)
def report(promotion_id: PromotionId):
    merchandiser(router)
    existing(promotion_id)
    totals = wiring.container.ledger().totals(promotion_id)
    return json_response(campaign_report(promotion_id, totals).model_dump(mode="json"))
