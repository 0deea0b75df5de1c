"""The back office's answers, as the OpenAPI document describes them."""

from __future__ import annotations

from pydantic import BaseModel, Field

from pricing.domain.back_office import BatchStatus, PromotionStatus
from pricing.domain.promotions import Promotion


class PricingPromotion(Promotion):
    status: PromotionStatus = Field(description="Computed from archived_at and the window, now")
    version: int = Field(description="The ETag: send it as If-Match to replace or archive")
    created_at: str
    updated_at: str
    archived_at: str | None = None


class PricingPromotions(BaseModel):
    items: list[PricingPromotion]
    next_cursor: str | None = Field(description="The next page; a filtered page may hold fewer than limit")


class PricingCode(BaseModel):
    code: str
    promotion_id: str
    usage_limit: int | None
    per_customer_limit: int | None
    uses: int = Field(description="Uses counted by placed orders (a cancelled order gives its use back)")
    disabled_at: str | None
    created_at: str | None
    batch_id: str | None
    batch_index: int | None
    customers: int | None = Field(
        default=None, description="Customers counted (codes with a per-customer limit)"
    )


class PricingCodes(BaseModel):
    items: list[PricingCode]
    next_cursor: str | None = None


class PricingCodeBatch(BaseModel):
    id: str
    promotion_id: str
    requested: int
    generated: int
    prefix: str
    usage_limit: int | None
    per_customer_limit: int | None
    status: BatchStatus
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None
