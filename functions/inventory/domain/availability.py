"""When a shopper can pick an item up at a store, and how many each location has.

Rules (all local times in the location's own time zone, via ``zoneinfo``):

* In stock at the store: ready once staff have fetched it (``handling_minutes``), within opening hours:
  today if the store is open and ``now + handling`` is before closing, otherwise at the next opening
  plus handling.
* Only in a warehouse: the warehouse dispatches at its carrier cut-off, today if today is one of its
  working days (it has opening hours and is not a closed date) and the cut-off has not passed, otherwise
  on its next working day. The item arrives ``transfer lead time`` hours later (the store's figure for
  that warehouse, or its default) and is ready at the store's first opening moment after arrival, plus
  handling. The earliest warehouse wins.
* Nowhere: not available for pickup.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from inventory.domain.models import WEEKDAYS, Location, LocationKind, StockLevel, parse_hhmm

HORIZON_DAYS = 60  # beyond this a store with no opening hours counts as never open


@dataclass(frozen=True)
class PickupEstimate:
    ready_at: datetime  # UTC
    local_date: date
    source: Literal["in_store", "transfer"]
    from_location: str


def _is_working_day(location: Location, day: date) -> bool:
    return day not in location.closed_dates and bool(location.opening_hours.get(WEEKDAYS[day.weekday()]))


def _local_intervals(location: Location, day: date) -> list[tuple[datetime, datetime]]:
    if day in location.closed_dates:
        return []
    zone = location.zone
    return [
        (datetime.combine(day, i.opening, zone), datetime.combine(day, i.closing, zone))
        for i in location.opening_hours.get(WEEKDAYS[day.weekday()], [])
    ]


def next_ready_moment(store: Location, after: datetime) -> datetime | None:
    """The first moment at or after ``after`` when the store is open long enough to hand the item over."""
    handling = timedelta(minutes=store.handling_minutes)
    local = after.astimezone(store.zone)
    for offset in range(HORIZON_DAYS + 1):
        for opens, closes in _local_intervals(store, local.date() + timedelta(days=offset)):
            ready = max(local, opens) + handling
            if ready <= closes:
                return ready
    return None


def next_dispatch(warehouse: Location, now: datetime) -> datetime | None:
    """The warehouse's next carrier collection: today's cut-off if still ahead, else the next working day's."""
    cutoff = parse_hhmm(warehouse.carrier_cutoff or "23:59")
    local = now.astimezone(warehouse.zone)
    for offset in range(HORIZON_DAYS + 1):
        day = local.date() + timedelta(days=offset)
        if not _is_working_day(warehouse, day):
            continue
        collection = datetime.combine(day, cutoff, warehouse.zone)
        if collection > local:
            return collection
    return None


def _estimate(store: Location, after: datetime, source: str, origin: str) -> PickupEstimate | None:
    ready = next_ready_moment(store, after)
    if ready is None:
        return None
    return PickupEstimate(
        ready_at=ready.astimezone(UTC),
        local_date=ready.date(),
        source=source,  # type: ignore[arg-type]
        from_location=origin,
    )


def earliest_pickup(
    store: Location,
    stock: dict[str, StockLevel],
    warehouses: Iterable[Location],
    now: datetime,
    quantity: int = 1,
) -> PickupEstimate | None:
    """The earliest pickup of ``quantity`` at ``store``; ``stock`` is the SKU's levels by location id."""
    here = stock.get(store.id)
    if here is not None and here.available >= quantity:
        return _estimate(store, now, "in_store", store.id)
    best: PickupEstimate | None = None
    for warehouse in warehouses:
        level = stock.get(warehouse.id)
        if warehouse.kind != LocationKind.WAREHOUSE or level is None or level.available < quantity:
            continue
        dispatch = next_dispatch(warehouse, now)
        if dispatch is None:
            continue
        # In UTC: a lead time is elapsed hours, not wall-clock hours across a DST change.
        arrival = dispatch.astimezone(UTC) + timedelta(hours=store.lead_time_hours_from(warehouse.id))
        estimate = _estimate(store, arrival, "transfer", warehouse.id)
        if estimate is not None and (best is None or estimate.ready_at < best.ready_at):
            best = estimate
    return best
