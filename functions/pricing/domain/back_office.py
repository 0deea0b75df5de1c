"""The promotions back office: what merchandisers write, and the figures a campaign report shows.

* A promotion's **status** is computed, never stored: ``archived`` once archived (it no longer applies,
  and stays readable because orders name it), else from its activation window and the clock:
  ``scheduled`` before ``starts_at``, ``expired`` from ``ends_at``, ``active`` in between.
* A **draft** is a promotion without an id (the back office gives it a prefixed ULID); it is validated by
  ``Promotion`` itself, so the back office can never store what cart and checkout would refuse to read.
* A **code batch** asks for up to 100 000 codes. Code ``index`` of a batch is derived from the batch's
  secret seed by HMAC (``batch_code``): a retried chunk writes the same codes again (idempotent), and a
  code that collides with an existing one is skipped to the next ``attempt`` of the same index, so the
  batch still yields exactly ``count`` codes. The seed never leaves the table: codes cannot be guessed
  from the batch id.
* The **campaign report** counts orders, not code uses: ``OrderPlaced`` (2.1) names each promotion's
  discount on the order; an order counts once per promotion, and its cancellation takes it off once.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from pricing.domain.models import Strict
from pricing.domain.promotions import PromoCode, Promotion, WindowStatus, normalise_code
from shop_kernel.money import Money

PROMOTION_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
CODE_PATTERN = r"^\s*[A-Za-z0-9][A-Za-z0-9-]{2,63}\s*$"
BATCH_PREFIX_PATTERN = r"^[A-Za-z0-9]{0,12}$"
MAX_BATCH = 100_000
# Crockford's base32: no I, L, O, U, so a code read aloud or typed from paper is not mistaken.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_BODY_LENGTH = 10  # 50 bits: 100 000 codes of a batch among 2**50 leave guessing hopeless


class PromotionStatus(StrEnum):
    ACTIVE = "active"
    SCHEDULED = "scheduled"
    EXPIRED = "expired"
    ARCHIVED = "archived"


_FROM_WINDOW = {
    WindowStatus.ACTIVE: PromotionStatus.ACTIVE,
    WindowStatus.NOT_STARTED: PromotionStatus.SCHEDULED,
    WindowStatus.EXPIRED: PromotionStatus.EXPIRED,
}


def status_of(promotion: Promotion, archived_at: str | None, now: datetime) -> PromotionStatus:
    if archived_at is not None:
        return PromotionStatus.ARCHIVED
    return _FROM_WINDOW[promotion.window_status(now)]


class PromotionDraft(Promotion):
    """A promotion as a merchandiser sends it: the id is optional on create, and ignored on replace."""

    id: str | None = Field(default=None, pattern=PROMOTION_ID_PATTERN)  # type: ignore[assignment]

    def as_promotion(self, promotion_id: str) -> Promotion:
        return Promotion.model_validate({**self.model_dump(), "id": promotion_id})


class StoredPromotion(Strict):
    """A promotion with what the back office keeps about it."""

    promotion: Promotion
    version: int = Field(ge=1)
    created_at: str
    updated_at: str
    archived_at: str | None = None

    def view(self, now: datetime) -> dict[str, Any]:
        return {
            **self.promotion.model_dump(mode="json"),
            "status": status_of(self.promotion, self.archived_at, now).value,
            "version": self.version,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "archived_at": self.archived_at,
        }


class CodeDraft(Strict):
    code: str = Field(pattern=CODE_PATTERN, description="Case-insensitive; stored trimmed and upper-cased")
    usage_limit: int | None = Field(default=None, ge=1, description="Uses in all; none: unlimited")
    per_customer_limit: int | None = Field(
        default=None, ge=1, description="Uses per customer; none: unlimited"
    )

    def as_code(self, promotion_id: str) -> PromoCode:
        return PromoCode(
            code=normalise_code(self.code),
            promotion_id=promotion_id,
            usage_limit=self.usage_limit,
            per_customer_limit=self.per_customer_limit,
        )


class BatchStatus(StrEnum):
    GENERATING = "generating"
    COMPLETED = "completed"


class CodeBatchDraft(Strict):
    count: int = Field(ge=1, le=MAX_BATCH, strict=True, description="How many codes (1 to 100 000)")
    prefix: str = Field(
        default="", pattern=BATCH_PREFIX_PATTERN, description="Letters and digits put before each code"
    )
    usage_limit: int | None = Field(default=1, ge=1, description="Uses of each code; default single-use")
    per_customer_limit: int | None = Field(default=None, ge=1)


class CodeBatch(Strict):
    id: str
    promotion_id: str
    requested: int = Field(ge=1, le=MAX_BATCH)
    generated: int = Field(ge=0)
    prefix: str
    usage_limit: int | None
    per_customer_limit: int | None
    status: BatchStatus
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None

    def code(self, promo_code: str) -> PromoCode:
        return PromoCode(
            code=promo_code,
            promotion_id=self.promotion_id,
            usage_limit=self.usage_limit,
            per_customer_limit=self.per_customer_limit,
        )

    def next_indexes(self, chunk: int) -> range:
        """The indexes the next chunk generates (empty once every code is there)."""
        return range(self.generated, min(self.requested, self.generated + chunk))


def batch_code(seed: bytes, prefix: str, index: int, attempt: int = 0) -> str:
    """Code ``index`` of a batch (``attempt`` > 0 after a collision): the same inputs, the same code."""
    digest = hmac.new(seed, f"{index}:{attempt}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big")
    body = "".join(CODE_ALPHABET[(number >> (5 * i)) & 31] for i in range(CODE_BODY_LENGTH))
    return f"{prefix.upper()}-{body}" if prefix else body


# --- campaign report -------------------------------------------------------------------------------


class OrderShare(Strict):
    """What one order gave and brought under one promotion (its discount, and the order's grand total)."""

    promotion_id: str
    discount: Money
    revenue: Money


def shares_of_placed_order(data: Mapping[str, Any]) -> list[OrderShare]:
    """One share per promotion an ``OrderPlaced`` names (none before version 2.1 carried them)."""
    revenue = Money.model_validate(data["totals"]["grand_total"])
    discounts: dict[str, Money] = {}
    for applied in data.get("promotions") or ():
        amount = Money.model_validate(applied["amount"])
        earlier = discounts.get(applied["promotion_id"])
        discounts[applied["promotion_id"]] = amount if earlier is None else earlier + amount
    return [OrderShare(promotion_id=p, discount=d, revenue=revenue) for p, d in sorted(discounts.items())]


class CurrencyFigures(Strict):
    currency: str
    orders: int = Field(description="Orders placed with the promotion and not cancelled")
    cancelled: int = Field(description="Orders placed with it and cancelled since")
    discount_cost: Money = Field(description="What the promotion took off those orders")
    revenue: Money = Field(description="Those orders' grand totals")


class CampaignReport(Strict):
    promotion_id: str
    redemptions: int = Field(description="Orders placed with the promotion and not cancelled, all currencies")
    currencies: list[CurrencyFigures]


def campaign_report(promotion_id: str, totals: Iterable[Mapping[str, Any]]) -> CampaignReport:
    """The report from the stored totals per currency (``currency``, ``orders``, ``cancelled``,
    ``discount`` and ``revenue`` in minor units)."""
    figures = [
        CurrencyFigures(
            currency=t["currency"],
            orders=int(t.get("orders", 0)),
            cancelled=int(t.get("cancelled", 0)),
            discount_cost=Money.of(int(t.get("discount", 0)), t["currency"]),
            revenue=Money.of(int(t.get("revenue", 0)), t["currency"]),
        )
        for t in sorted(totals, key=lambda t: t["currency"])
    ]
    return CampaignReport(
        promotion_id=promotion_id, redemptions=sum(f.orders for f in figures), currencies=figures
    )


__all__ = [
    "BatchStatus",
    "CampaignReport",
    "CodeBatch",
    "CodeBatchDraft",
    "CodeDraft",
    "OrderShare",
    "PromotionDraft",
    "PromotionStatus",
    "StoredPromotion",
    "batch_code",
    "campaign_report",
    "shares_of_placed_order",
    "status_of",
]
