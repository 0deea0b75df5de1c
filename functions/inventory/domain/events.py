"""Events inventory publishes, and how a change to a reservation item becomes them.

Published from the table's stream, so an event exists exactly when the change was committed:
``ReservationExpired`` when a reservation turns ``expired`` (by the sweeper, or as the tombstone written
after TTL deleted an active one), ``ReservationReleased`` when it turns ``released`` (order cancelled
or unpaid). Event ids are derived from (reservation, event type): a replayed record publishes the same
id and consumers drop the duplicate.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shop_kernel.events import DomainEvent, make_event

SOURCE = "shop.inventory"
SCHEMA_VERSION = "1.0"
_NAMESPACE = uuid.UUID("0b7e5c1a-4d2f-4a8e-b1c3-9e6f7a2d4c58")


class EventModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReleasedLine(EventModel):
    sku: str
    location_id: str
    quantity: int = Field(ge=1)


class ReservationExpired(EventModel):
    """A reservation ran out of time before its order was paid; its stock is available again."""

    reservation_id: str
    order_id: str
    lines: list[ReleasedLine]
    expired_at: str


class ReservationReleased(EventModel):
    """A reservation was given back (order cancelled or not paid); its stock is available again."""

    reservation_id: str
    order_id: str
    lines: list[ReleasedLine]
    released_at: str


EVENT_MODELS: dict[str, type[EventModel]] = {
    "ReservationExpired": ReservationExpired,
    "ReservationReleased": ReservationReleased,
}


def event_id(reservation_id: str, detail_type: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{reservation_id}:{detail_type}"))


def events_for_change(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[DomainEvent]:
    """``old``/``new``: deserialised reservation item images; a status change into a final state emits."""
    if not new or (old or {}).get("status") == new.get("status"):
        return []
    status = new.get("status")
    if status not in ("expired", "released"):
        return []
    lines = [
        ReleasedLine(sku=ln["sku"], location_id=ln["location_id"], quantity=ln["quantity"])
        for ln in new["lines"]
    ]
    at = new.get("finished_at") or new["created_at"]
    common = {"reservation_id": new["reservation_id"], "order_id": new["order_id"], "lines": lines}
    if status == "expired":
        detail_type, data = "ReservationExpired", ReservationExpired(**common, expired_at=at)
    else:
        detail_type, data = "ReservationReleased", ReservationReleased(**common, released_at=at)  # type: ignore[assignment]
    return [
        make_event(
            SOURCE,
            detail_type,
            data,
            version=SCHEMA_VERSION,
            occurred_at=at,
            event_id=event_id(new["reservation_id"], detail_type),
        )
    ]
