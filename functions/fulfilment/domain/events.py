"""Events fulfilment publishes (source ``shop.fulfilment``); ids only, never the buyer's details.

* ``FulfilmentRequested`` - a shipment is to be picked and packed at ``location_id`` (the warehouse
  integration's queue; locally the warehouse stand-in). One per shipment; the id is derived from it, so a
  retried task publishes the same id.
* ``OrderLinesDropped`` - a short pick: these units of these lines will not ship and are not charged
  (the notifications integration tells the buyer). One per shipment at most.
* ``FulfilmentCancelled`` - stop picking these units of a shipment (a cancellation request before they were
  packed; ``whole_shipment``: nothing of it is to be picked), or, for a shipment waiting in the pickup
  store, take them out of the parcel (the shopper is handed the rest). To the warehouse's queue, as
  requests go (the pickup store hears it there too).
* ``OrderLinesCancelled`` - a cancellation request of some lines was accepted: those units will not ship
  and are not charged (released when the warehouse's report of the shipment comes, or at once when the
  shipment had nothing else; units taken out of a parcel waiting in the store, with the collection's
  capture or when the shipment ends uncollected). ``amount_released`` is the units' value as priced
  (checkout's charge rule). The models' docstrings (the registry's schema descriptions) still say "before
  they were packed": a description change is a new schema version, not worth one for the same fields.
* ``ShipmentReadyForCollection`` - a store pickup (packed in the store) or a transfer (delivered to the
  pickup store) waits there for its shopper until ``collect_by``. One per shipment.
* ``ShipmentCollected`` - the shopper collected it (the store's confirmation); its lines are charged now.
  One per shipment. The orders context shows both to the shopper ("ready for collection", "collected").
* ``ElectronicLinesFulfilled`` - an order with electronic lines (e-certificates) passed review, or needed
  none, and those lines were charged: they are fulfilled (the orders context moves the order to
  ``confirmed`` and announces its ``OrderConfirmed``, on which loyalty issues the certificates). An order of
  shipped goods only is confirmed by its first ``FulfilmentRequested``. Once per order (the id is derived
  from it). Not named ``OrderConfirmed``: that is the orders context's event, one registry schema per name.
* ``OrderCancellationRefused`` - a cancellation request came too late (``dispatched``: units it names were
  packed or handed to the carrier), for lines the order does not have, or while nothing may change.

A whole order cancelled by request is announced by checkout's ``OrderCancelled`` (reason
``cancellation_requested``), published when the workflow's void cancels the order: the one event every
cancellation already ends in.
"""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from fulfilment.domain.models import Shipment, ShipmentLine
from fulfilment.domain.picking import short_picked
from shop_kernel.events import DomainEvent, make_event
from shop_kernel.money import Money

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


class FulfilmentCancelled(EventModel):
    """Do not pick these units of the shipment (the buyer or an agent cancelled them)."""

    order_id: str
    shipment_id: str
    location_id: str
    lines: list[EventLine] = Field(description="The units withdrawn by this request")
    whole_shipment: bool = Field(description="True: nothing of the shipment is to be picked")
    request_id: str = Field(description="The OrderCancellationRequested event's id")
    cancelled_at: str


class OrderLinesCancelled(EventModel):
    """Units of an order cancelled by request before they were packed: not shipped, not charged."""

    order_id: str
    lines: list[EventLine]
    amount_released: Money | None = Field(
        description="Their value as priced; None if the order had no totals"
    )
    request_id: str
    cancelled_at: str


class ShipmentReadyForCollection(EventModel):
    """A store pickup or a transfer waits in the pickup store for its shopper."""

    order_id: str
    shipment_id: str
    location_id: str = Field(description="The pickup store where it waits")
    kind: str = Field(description="store_pickup or transfer")
    ready_at: str
    collect_by: str = Field(description="UTC ISO-8601: the end of the hold period; released after it")


class ShipmentCollected(EventModel):
    """The shopper collected a store pickup or a transfer in the pickup store."""

    order_id: str
    shipment_id: str
    location_id: str = Field(description="The pickup store")
    kind: str = Field(description="store_pickup or transfer")
    collected_at: str


class OrderCancellationRefused(EventModel):
    """A cancellation request fulfilment could not carry out."""

    order_id: str
    reason: str = Field(description="dispatched, not_in_order, under_review or already_cancelled")
    request_id: str
    refused_at: str


class ElectronicLinesFulfilled(EventModel):
    """The order passed review (or needed none) and its electronic lines were charged."""

    order_id: str
    fulfilled_at: str


EVENT_MODELS: dict[str, type[EventModel]] = {
    "FulfilmentRequested": FulfilmentRequested,
    "OrderLinesDropped": OrderLinesDropped,
    "FulfilmentCancelled": FulfilmentCancelled,
    "OrderLinesCancelled": OrderLinesCancelled,
    "OrderCancellationRefused": OrderCancellationRefused,
    "ShipmentReadyForCollection": ShipmentReadyForCollection,
    "ShipmentCollected": ShipmentCollected,
    "ElectronicLinesFulfilled": ElectronicLinesFulfilled,
}


def electronic_lines_fulfilled(order_id: str, at: str) -> DomainEvent:
    data = ElectronicLinesFulfilled(order_id=order_id, fulfilled_at=at)
    return _order_event("ElectronicLinesFulfilled", data, order_id, order_id, at)


def _lines(lines: tuple[ShipmentLine, ...] | list[ShipmentLine]) -> list[EventLine]:
    return [EventLine(sku=line.sku, quantity=line.quantity) for line in lines if line.quantity]


def event_id(shipment_id: str, detail_type: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{shipment_id}:{detail_type}"))


def fulfilment_requested(shipment: Shipment, at: str) -> DomainEvent:
    data = FulfilmentRequested(
        order_id=shipment.order_id,
        shipment_id=shipment.id,
        location_id=shipment.location_id,
        kind=shipment.kind.value,
        transfer_to=shipment.transfer_to,
        lines=_lines(shipment.asked()),
        dispatch_by=shipment.dispatch_by,
        requested_at=at,
    )
    return _event("FulfilmentRequested", data, shipment, at)


def lines_dropped(shipment: Shipment, at: str) -> DomainEvent:
    data = OrderLinesDropped(
        order_id=shipment.order_id,
        shipment_id=shipment.id,
        lines=_lines(short_picked(shipment)),
        reason="short_pick",
        dropped_at=at,
    )
    return _event("OrderLinesDropped", data, shipment, at)


def fulfilment_cancelled(
    shipment: Shipment, lines: list[ShipmentLine], request_id: str, at: str
) -> DomainEvent:
    data = FulfilmentCancelled(
        order_id=shipment.order_id,
        shipment_id=shipment.id,
        location_id=shipment.location_id,
        lines=_lines(lines),
        whole_shipment=not shipment.asked() or shipment.status.value in ("cancelled", "withdrawn"),
        request_id=request_id,
        cancelled_at=at,
    )
    return _event("FulfilmentCancelled", data, shipment, at, key=f"{shipment.id}:{request_id}")


def lines_cancelled(
    order_id: str, lines: list[ShipmentLine], amount: Money | None, request_id: str, at: str
) -> DomainEvent:
    data = OrderLinesCancelled(
        order_id=order_id, lines=_lines(lines), amount_released=amount, request_id=request_id, cancelled_at=at
    )
    return _order_event("OrderLinesCancelled", data, order_id, request_id, at)


def pickup_store(shipment: Shipment) -> str:
    """Where the shopper collects it: the store itself, or the store a transfer goes to."""
    return shipment.transfer_to or shipment.location_id


def ready_for_collection(shipment: Shipment, at: str, collect_by: str) -> DomainEvent:
    data = ShipmentReadyForCollection(
        order_id=shipment.order_id,
        shipment_id=shipment.id,
        location_id=pickup_store(shipment),
        kind=shipment.kind.value,
        ready_at=at,
        collect_by=collect_by,
    )
    return _event("ShipmentReadyForCollection", data, shipment, at)


def collected(shipment: Shipment, at: str) -> DomainEvent:
    data = ShipmentCollected(
        order_id=shipment.order_id,
        shipment_id=shipment.id,
        location_id=pickup_store(shipment),
        kind=shipment.kind.value,
        collected_at=at,
    )
    return _event("ShipmentCollected", data, shipment, at)


def cancellation_refused(order_id: str, reason: str, request_id: str, at: str) -> DomainEvent:
    data = OrderCancellationRefused(order_id=order_id, reason=reason, request_id=request_id, refused_at=at)
    return _order_event("OrderCancellationRefused", data, order_id, request_id, at)


def _order_event(detail_type: str, data: EventModel, order_id: str, request_id: str, at: str) -> DomainEvent:
    return make_event(
        SOURCE,
        detail_type,
        data,
        version=SCHEMA_VERSION,
        occurred_at=at,
        event_id=event_id(request_id, detail_type),
        correlation_id=order_id,
    )


def _event(
    detail_type: str, data: EventModel, shipment: Shipment, at: str, key: str | None = None
) -> DomainEvent:
    return make_event(
        SOURCE,
        detail_type,
        data,
        version=SCHEMA_VERSION,
        occurred_at=at,
        event_id=event_id(key or shipment.id, detail_type),
        correlation_id=shipment.order_id,
    )
