"""What loyalty keeps of an order: its lines (for earning), and what the order has earned and had refunded.

Recorded from ``OrderPlaced``; earning (on the configured event, by default delivery) and reversal (on
``ReturnRefunded`` and ``OrderCancelled``) read and update it in the transaction that writes their
entries, so an order's grant is known without reading the ledger.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class OrderLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    sku: str
    quantity: int = Field(ge=1)
    total: int = Field(ge=0, description="What the line cost after discounts, minor units")
    category: str | None = None
    brand: str | None = None


class OrderFacts(BaseModel):
    """An order as loyalty knows it (see the module docstring)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    order_id: str
    member_id: str
    currency: str
    placed_at: datetime
    lines: tuple[OrderLine, ...]
    # void: cancelled before loyalty heard of it being placed; it never earns.
    status: Literal["placed", "earned", "void"] = "placed"
    points_full: int = Field(default=0, ge=0, description="What the order earns with nothing refunded")
    credit_full: int = Field(default=0, ge=0)
    points_granted: int = Field(default=0, ge=0, description="Earned minus what refunds took back")
    credit_granted: int = Field(default=0, ge=0)
    refunded: int = Field(default=0, ge=0, description="Refunded so far (a cancellation refunds all)")
    version: int = 0

    @property
    def total(self) -> int:
        return sum(line.total for line in self.lines)

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(sorted({line.category for line in self.lines if line.category}))


def void_order(order_id: str, at: datetime) -> OrderFacts:
    """What a cancellation of an order loyalty never saw placed leaves: an order that never earns."""
    return OrderFacts(order_id=order_id, member_id="", currency="EUR", placed_at=at, lines=(), status="void")
