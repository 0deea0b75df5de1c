"""Shipments as fulfilment sees them: what leaves one location for one destination, and how far it got."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shop_kernel.address import Address
from shop_kernel.money import Money


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ShipmentKind(StrEnum):
    DELIVERY = "delivery"  # a warehouse ships to the buyer's address (or a carrier branch)
    STORE_PICKUP = "store_pickup"  # the pickup store picks from its own shelves; the buyer collects
    TRANSFER = "transfer"  # a warehouse ships to the pickup store, where the buyer collects


class ShipmentStatus(StrEnum):
    PLANNED = "planned"
    PICK_REQUESTED = "pick_requested"
    PACKED = "packed"  # the warehouse packed (perhaps fewer units than asked: the rest was dropped)
    NOTHING_PACKED = "nothing_packed"
    DELIVERED = "delivered"
    AT_STORE = "at_store"  # a transfer the carrier delivered to the pickup store: waits for its shopper
    COLLECTED = "collected"  # a store pickup (or transfer) the shopper collected
    NOT_COLLECTED = "not_collected"  # a store pickup (or transfer) nobody collected within its hold period
    DELIVERY_FAILED = "delivery_failed"
    RETURNED = "returned"
    CANCELLED = "cancelled"  # by the workflow's compensation, or the whole order cancelled by request
    WITHDRAWN = "withdrawn"  # every unit cancelled by request (lines only) before it was packed


class OrderLine(Model):
    """A line of the order as the workflow's input carries it (``placed`` by checkout)."""

    sku: str
    quantity: int = Field(ge=1)
    total: Money | None = Field(default=None, description="What the buyer pays for the line")
    digital: bool = Field(default=False, description="Delivered electronically: no stock, never shipped")


class Allocated(Model):
    """Where checkout's reservation holds a line's units (inventory's allocation at checkout)."""

    line: int = Field(ge=0)
    sku: str
    location_id: str
    quantity: int = Field(ge=1)
    transfer_to: str | None = None


class FulfilmentMode(Model):
    mode: Literal["delivery", "pickup"]
    location_id: str | None = None


class ShipmentLine(Model):
    sku: str
    quantity: int = Field(ge=0)


def units(lines: Sequence[ShipmentLine]) -> dict[str, int]:
    """Units per SKU."""
    totals: dict[str, int] = {}
    for line in lines:
        totals[line.sku] = totals.get(line.sku, 0) + line.quantity
    return totals


class Parcel(Model):
    weight_g: int = Field(ge=1)
    length_cm: int = Field(ge=1)
    width_cm: int = Field(ge=1)
    height_cm: int = Field(ge=1)
    declared_value: Money


class Shipment(Model):
    id: str
    order_id: str
    kind: ShipmentKind
    location_id: str = Field(description="Where it is picked")
    lines: tuple[ShipmentLine, ...]
    origin: Address | None = Field(default=None, description="The picking location's address")
    destination: dict[str, Any] | None = Field(
        default=None,
        description="Carriers' destination: {kind: address, address} or a branch; None: collected",
    )
    transfer_to: str | None = None
    carrier: str | None = None
    parcel: Parcel | None = None
    dispatch_by: str = Field(description="UTC ISO-8601: the carrier collection this shipment aims for")
    status: ShipmentStatus = ShipmentStatus.PLANNED
    collect_within_s: int = Field(
        default=7 * 24 * 3600,
        ge=1,
        description="A store pickup's hold period: uncollected after it, released",
    )
    ready_at: str | None = Field(default=None, description="When it began to wait in the pickup store")
    collected_at: str | None = Field(default=None, description="When its shopper collected it")
    packed: tuple[ShipmentLine, ...] = ()
    dropped: tuple[ShipmentLine, ...] = ()  # not shipped: short-picked and cancelled units (released)
    cancelled: tuple[ShipmentLine, ...] = Field(
        default=(), description="Units withdrawn by a cancellation request before they were packed"
    )
    cancelled_by: tuple[str, ...] = Field(default=(), description="The cancellation requests applied")
    left_in_store: tuple[ShipmentLine, ...] = Field(
        default=(),
        description="Units cancelled by request while it waited in the pickup store: taken off ``packed``, "
        "never handed over nor charged; released when the shipment ends (with the collection's capture, "
        "or with the rest when it is not collected or cancelled)",
    )

    def asked(self) -> tuple[ShipmentLine, ...]:
        """What the warehouse is to pick: the lines less the units cancelled by request."""
        withdrawn = units(self.cancelled)
        left = [(line.sku, line.quantity - withdrawn.pop(line.sku, 0)) for line in self.lines]
        return tuple(ShipmentLine(sku=sku, quantity=q) for sku, q in left if q > 0)

    def waits_for_shopper(self) -> bool:
        """In the pickup store, not yet handed over: a store pickup packed there, or a transfer the
        carrier delivered there. Nothing of it is charged yet, so it may still be cancelled."""
        if self.kind is ShipmentKind.STORE_PICKUP:
            return self.status is ShipmentStatus.PACKED
        return self.kind is ShipmentKind.TRANSFER and self.status is ShipmentStatus.AT_STORE

    def task_view(self) -> dict[str, Any]:
        """What the workflow carries for this shipment (a Map item; carrier and payment payloads)."""
        return {
            "shipment_id": self.id,
            "order_id": self.order_id,
            "kind": self.kind.value,
            "location_id": self.location_id,
            "transfer_to": self.transfer_to,
            "lines": [line.model_dump() for line in self.lines],
            "carrier": self.carrier,
            "origin": self.origin.model_dump(mode="json", exclude_none=True) if self.origin else None,
            "destination": self.destination,
            "parcel": self.parcel.model_dump(mode="json") if self.parcel else None,
            "dispatch_by": self.dispatch_by,
            "collect_within_s": self.collect_within_s,
        }
