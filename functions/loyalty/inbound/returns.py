"""``ReturnRefunded`` (source ``shop.returns``): the contract the returns capability will publish when a
return's money went back. Loyalty reverses points and cashback in proportion to ``refunded_total``.

One event per refund (``return_id`` names it: a second delivery changes nothing); ids and amounts only.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shop_kernel.money import Money

SOURCE = "shop.returns"
SCHEMA_VERSION = "1.0"


class RefundedLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str
    quantity: int = Field(ge=1)
    refunded: Money = Field(description="What went back for this line")


class ReturnRefunded(BaseModel):
    model_config = ConfigDict(extra="forbid")

    return_id: str
    order_id: str
    lines: list[RefundedLine]
    refunded_total: Money = Field(description="The refund's total: its lines plus any shipping refunded")
    refunded_at: str = Field(description="UTC ISO-8601")


EVENT_MODELS: dict[str, type[BaseModel]] = {"ReturnRefunded": ReturnRefunded}
