"""The public availability answer for one SKU: per location quantity and, for pickup stores, when."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from inventory.domain.availability import earliest_pickup
from inventory.domain.models import Location, LocationKind, StockLevel
from shop_kernel.clock import isoformat


def _pickup(
    store: Location, stock: dict[str, StockLevel], warehouses: list[Location], now: datetime
) -> dict[str, Any]:
    estimate = earliest_pickup(store, stock, warehouses, now)
    if estimate is None:
        return {"available": False}
    return {
        "available": True,
        "ready_at": isoformat(estimate.ready_at),
        "date": estimate.local_date.isoformat(),
        "source": estimate.source,
        "from_location_id": estimate.from_location,
    }


def availability(
    sku: str,
    levels: Iterable[StockLevel],
    shown: Iterable[Location],
    warehouses: Iterable[Location],
    now: datetime,
    locale: str,
) -> dict[str, Any]:
    """``shown``: the locations asked about; ``warehouses``: every warehouse (any may feed a pickup store)."""
    stock = {level.location_id: level for level in levels}
    sources = [loc for loc in warehouses if loc.kind == LocationKind.WAREHOUSE]
    entries = []
    for location in sorted(shown, key=lambda loc: (loc.kind.value, loc.id)):
        level = stock.get(location.id)
        entry: dict[str, Any] = {
            "location_id": location.id,
            "kind": location.kind.value,
            "name": location.localised_name(locale),
            "country": location.address.country,
            "city": location.address.city,
            "available": max(level.available, 0) if level else 0,
        }
        if location.kind == LocationKind.STORE and location.pickup:
            entry["pickup"] = _pickup(location, stock, sources, now)
        entries.append(entry)
    return {
        "sku": sku,
        "as_of": isoformat(now),
        "total_available": sum(e["available"] for e in entries),
        "locations": entries,
    }
