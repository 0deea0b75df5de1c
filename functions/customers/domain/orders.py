"""Checkout's order events as the customers context reads them (its own view of the versioned events,
not checkout's models): who placed which order, when and for how much; which order was cancelled."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from shop_kernel.money import Money

CHECKOUT_SOURCE = "shop.checkout"
HANDLED = ("OrderPlaced", "OrderCancelled")
READS_MAJOR_VERSION = "2"


class _Totals(BaseModel):
    model_config = ConfigDict(extra="ignore")

    grand_total: Money


class OrderPlacedFacts(BaseModel):
    model_config = ConfigDict(extra="ignore")

    order_id: str
    placed_at: str
    customer_id: str | None = None
    totals: _Totals


class OrderCancelledFacts(BaseModel):
    model_config = ConfigDict(extra="ignore")

    order_id: str
    cancelled_at: str
    was_placed: bool


def parse(detail_type: str, data: dict[str, Any]) -> OrderPlacedFacts | OrderCancelledFacts:
    if detail_type == "OrderPlaced":
        return OrderPlacedFacts.model_validate(data)
    return OrderCancelledFacts.model_validate(data)
