"""Events fulfilment publishes (source ``shop.fulfilment``); ids only, never the buyer's details.

* ``FulfilmentRequested`` - a shipment is to be picked and packed at ``location_id`` (the warehouse
  integration's queue; locally the warehouse stand-in). One per shipment; the id is derived from it, so a
  retried task publishes the same id.
* ``OrderLinesDropped`` - a short pick: these units of these lines will not ship and are not charged
  (the notifications integration tells the buyer). One per shipment at most.
"""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from fulfilment.domain.models import Shipment
from shop_kernel.events import DomainEvent, make_event

SOURCE = "shop.fulfilment"
SCHEMA_VERSION = "1.0"
_NAMESPACE = uuid.UUID("0d2c7f4e-3b1a-4e8d-9c5f-6a7b8c9d0e1f")


class EventModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EventLine(EventModel):
    sku: str
    quantity: int = Field(ge=1)


class FulfilmentRequested(EventModel):
    """Pick and pack this shipment, then report the packed quantities (the packed callback)."""

    order_id: str
    shipment_id: str
    location_id: str = Field(description="Where to pick")
    kind: str = Field(description="delivery, store_pickup or transfer")
    transfer_to: str | None = Field(default=None, description="The pickup store a transfer goes to")
    lines: list[EventLine]
    dispatch_by: str = Field(description="UTC ISO-8601: the carrier collection to make")
    requested_at: str


class OrderLinesDropped(EventModel):
    """Units of an order that will not ship (short pick) and are not charged."""

    order_id: str
    shipment_id: str
    lines: list[EventLine]
    reason: str = Field(description="short_pick")
    dropped_at: str


EVENT_MODELS: dict[str, type[EventModel]] = {
    "FulfilmentRequested": FulfilmentRequested,
    "OrderLinesDropped": OrderLinesDropped,
}


def event_id(shipment_id: str, detail_type: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{shipment_id}:{detail_type}"))


def fulfilment_requested(shipment: Shipment, at: str) -> DomainEvent:
    data = FulfilmentRequested(
        order_id=shipment.order_id,
        shipment_id=shipment.id,
        location_id=shipment.location_id,
        kind=shipment.kind.value,
        transfer_to=shipment.transfer_to,
        lines=[EventLine(sku=line.sku, quantity=line.quantity) for line in shipment.lines],
        dispatch_by=shipment.dispatch_by,
        requested_at=at,
    )
    return _event("FulfilmentRequested", data, shipment, at)


def lines_dropped(shipment: Shipment, at: str) -> DomainEvent:
    data = OrderLinesDropped(
        order_id=shipment.order_id,
        shipment_id=shipment.id,
        lines=[EventLine(sku=line.sku, quantity=line.quantity) for line in shipment.dropped],
        reason="short_pick",
        dropped_at=at,
    )
    return _event("OrderLinesDropped", data, shipment, at)


def _event(detail_type: str, data: EventModel, shipment: Shipment, at: str) -> DomainEvent:
    return make_event(
        SOURCE,
        detail_type,
        data,
        version=SCHEMA_VERSION,
        occurred_at=at,
        event_id=event_id(shipment.id, detail_type),
        correlation_id=shipment.order_id,
    )
