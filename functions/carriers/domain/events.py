"""``ShipmentStatusChanged``: a shipment moved (booked, dispatched, in transit, delivered, failed delivery,
returned to sender, cancelled).

Published from the shipments table's stream (``carriers.handlers.stream``), so an event exists exactly
when the change was committed, whichever path made it (a workflow task, a webhook, the poller). Ids only:
the order and shipment ids, the carrier and its tracking number, never the recipient. ``sequence`` is
the position of the change in the shipment's history, and the event id is derived from (shipment,
sequence): a replayed stream record publishes the same id and consumers (the orders context, which
answers the fulfilment workflow's waiting task token) drop the duplicate; a consumer keeps the highest
sequence whatever order the bus delivers in.
"""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from carriers.domain.shipment import Shipment
from shop_kernel.clock import isoformat
from shop_kernel.events import DomainEvent, make_event

SOURCE = "shop.carriers"
SCHEMA_VERSION = "1.0"
_NAMESPACE = uuid.UUID("5f1c2d8e-7a3b-4c6d-9e0f-1a2b3c4d5e6f")

PublishedStatus = Literal[
    "booked", "dispatched", "in_transit", "failed_delivery", "delivered", "returned_to_sender", "cancelled"
]


class ShipmentStatusChanged(BaseModel):
    """A shipment of an order reached ``status`` at ``occurred_at`` (UTC, as the carrier reported it)."""

    model_config = ConfigDict(extra="forbid")

    order_id: str
    shipment_id: str
    carrier: str
    tracking_number: str | None = None
    status: PublishedStatus
    previous_status: str | None = None
    occurred_at: str = Field(description="UTC ISO-8601")
    sequence: int = Field(ge=1, description="Position of this change in the shipment's history")


class ShipmentDispatched(BaseModel):
    """The carrier collected the shipment: it is on its way (with ``ShipmentStatusChanged``)."""

    model_config = ConfigDict(extra="forbid")

    order_id: str
    shipment_id: str
    carrier: str
    tracking_number: str | None = None
    dispatched_at: str = Field(description="UTC ISO-8601")


class ShipmentDelivered(BaseModel):
    """The carrier handed the shipment over (with ``ShipmentStatusChanged``)."""

    model_config = ConfigDict(extra="forbid")

    order_id: str
    shipment_id: str
    carrier: str
    tracking_number: str | None = None
    delivered_at: str = Field(description="UTC ISO-8601")


EVENT_MODELS: dict[str, type[BaseModel]] = {
    "ShipmentStatusChanged": ShipmentStatusChanged,
    "ShipmentDispatched": ShipmentDispatched,
    "ShipmentDelivered": ShipmentDelivered,
}
# The milestones notifications and ERP subscribe to, announced beside the status change that made them.
MILESTONES: dict[str, tuple[str, type[BaseModel], str]] = {
    "dispatched": ("ShipmentDispatched", ShipmentDispatched, "dispatched_at"),
    "delivered": ("ShipmentDelivered", ShipmentDelivered, "delivered_at"),
}


def event_id(shipment_id: str, sequence: int) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{shipment_id}:{sequence}"))


def _milestone(status: ShipmentStatusChanged) -> DomainEvent | None:
    """``ShipmentDispatched`` / ``ShipmentDelivered`` for the change that reached it (its id: the shipment's)."""
    if status.status not in MILESTONES:
        return None
    detail_type, model, moment = MILESTONES[status.status]
    data = model(
        order_id=status.order_id,
        shipment_id=status.shipment_id,
        carrier=status.carrier,
        tracking_number=status.tracking_number,
        **{moment: status.occurred_at},
    )
    return make_event(
        SOURCE,
        detail_type,
        data,
        version=SCHEMA_VERSION,
        occurred_at=status.occurred_at,
        event_id=str(uuid.uuid5(_NAMESPACE, f"{status.shipment_id}:{detail_type}")),
        correlation_id=status.order_id,
    )


def status_changes(old: Shipment | None, new: Shipment) -> list[DomainEvent]:
    """One event per history entry ``new`` has beyond ``old`` (a claim, ``booking``, is not published),
    and ``ShipmentDispatched`` / ``ShipmentDelivered`` beside the entries that reached those milestones."""
    start = len(old.history) if old is not None else 0
    events = []
    for index in range(start, len(new.history)):
        change = new.history[index]
        if change.status.value == "booking":
            continue
        previous = new.history[index - 1].status.value if index else None
        data = ShipmentStatusChanged(
            order_id=new.order_id,
            shipment_id=new.shipment_id,
            carrier=new.carrier,
            tracking_number=new.tracking_number,
            status=change.status.value,  # type: ignore[arg-type]
            previous_status=None if previous == "booking" else previous,
            occurred_at=isoformat(change.occurred_at),
            sequence=index + 1,
        )
        events.append(
            make_event(
                SOURCE,
                "ShipmentStatusChanged",
                data,
                version=SCHEMA_VERSION,
                occurred_at=data.occurred_at,
                event_id=event_id(new.shipment_id, index + 1),
            )
        )
        if (milestone := _milestone(data)) is not None:
            events.append(milestone)
    return events
