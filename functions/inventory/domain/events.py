"""Events inventory publishes, and how a change to a reservation or stock item becomes them.

Published from the table's stream, so an event exists exactly when the change was committed:
``ReservationExpired`` when a reservation turns ``expired`` (by the sweeper, or as the tombstone written
after TTL deleted an active one), ``ReservationReleased`` when it turns ``released`` (order cancelled
or unpaid). Event ids are derived from (reservation, event type): a replayed record publishes the same
id and consumers drop the duplicate.

``StockLevelChanged`` when what a SKU has available at a location changes (stock set or adjusted,
reserved, released, shipped). It names the location's kind, country and pickup flag, so read models
(search, catalog listings) can say where a product can be bought without reading inventory's table. Its
``sequence`` is the stream record's sequence number: changes of one stock item are numbered in the order
they were committed, so a consumer keeps the latest whatever order the bus delivers them in; the event id
is derived from (sku, location, sequence).

``StockHoldDriftFound`` is published by the scheduled reconciler (not the stream) when stock counters
and active reservations disagree.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shop_kernel.availability import DEFAULT_LOW_STOCK_THRESHOLD, StockLevelName, stock_level
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


class StockLevelChanged(EventModel):
    """What one SKU has available at one location, after a committed change."""

    sku: str
    location_id: str
    location_kind: Literal["warehouse", "store"]
    country: str = Field(description="ISO 3166-1 alpha-2 of the location: a warehouse delivers there")
    pickup: bool = Field(description="Shoppers may collect orders at this location (stores only)")
    available: int = Field(description="On hand minus reserved: what can still be sold here")
    threshold: int = Field(ge=1, description="Fewer available than this is low stock")
    level: StockLevelName
    sequence: str = Field(
        pattern=r"^[0-9]{1,40}$",
        description="Orders the changes of one SKU at one location: a higher number is a later change",
    )
    changed_at: str


class StockHoldDriftItem(EventModel):
    kind: str = Field(description="What differs (inventory.domain.reconciliation.HoldDriftKind)")
    repair: str = Field(description="recount, or flag (left to ops)")
    repaired: bool
    sku: str
    location_id: str
    reservation_id: str | None = None
    reserved: int | None = Field(default=None, description="The level's reserved counter as read")
    held: int = Field(description="What the active reservations hold there")
    detail: str


class StockHoldDriftFound(EventModel):
    """A reconciliation run found stock counters that do not add up to their active reservations."""

    run_at: str
    levels_checked: int = Field(ge=0)
    holds_checked: int = Field(ge=0, description="Active reservations read")
    found: dict[str, int] = Field(description="Drifts found, by kind")
    repaired: dict[str, int] = Field(description="Drifts put right by the run, by kind")
    drifts: list[StockHoldDriftItem] = Field(description="The first 100 drifts (see truncated)")
    truncated: bool = False


EVENT_MODELS: dict[str, type[EventModel]] = {
    "ReservationExpired": ReservationExpired,
    "ReservationReleased": ReservationReleased,
    "StockLevelChanged": StockLevelChanged,
    "StockHoldDriftFound": StockHoldDriftFound,
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


@dataclass(frozen=True)
class StockPlace:
    """What a stock event says about its location (from inventory's ``Location``)."""

    kind: Literal["warehouse", "store"]
    country: str
    pickup: bool


def stock_level_changed(
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
    place: StockPlace | None,
    sequence: str,
    at: str,
) -> list[DomainEvent]:
    """``old``/``new``: deserialised stock item images. An event when ``available`` changed (or appeared)."""
    if not new or place is None or (old or {}).get("available") == new.get("available"):
        return []
    available = int(new["available"])
    threshold = int(new.get("low_stock_threshold") or DEFAULT_LOW_STOCK_THRESHOLD)
    data = StockLevelChanged(
        sku=new["sku"],
        location_id=new["location_id"],
        location_kind=place.kind,
        country=place.country,
        pickup=place.pickup,
        available=available,
        threshold=threshold,
        level=stock_level(available, threshold),
        sequence=sequence,
        changed_at=new.get("updated_at") or at,
    )
    return [
        make_event(
            SOURCE,
            "StockLevelChanged",
            data,
            version=SCHEMA_VERSION,
            occurred_at=data.changed_at,
            event_id=str(
                uuid.uuid5(_NAMESPACE, f"{data.sku}:{data.location_id}:{sequence}:StockLevelChanged")
            ),
        )
    ]
