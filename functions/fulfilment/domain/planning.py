"""How a paid order becomes shipments: one per location that picks, aimed at its next carrier collection.

Checkout's reservation already chose where each unit comes from (inventory's allocation policy: warehouse
priority and stock for delivery; the pickup store when it has the stock, else the warehouse that gets it
there first). Fulfilment groups those allocations into shipments:

* Delivery: one shipment per warehouse, to the buyer's destination, with the stage's carrier.
* Pickup at store S: the lines S holds are one ``store_pickup`` shipment (picked in S, no carrier); the
  lines a warehouse holds for S are a ``transfer`` shipment per warehouse, to S's address.
* Each shipment aims at its location's next carrier collection (``carrier_cutoff``, local time in the
  location's zone: today if it is still ahead, else tomorrow); a store without a cut-off has the order
  ready after its handling time. Shipments are listed by that time, earliest first.

Parcels: the catalog holds no weights or sizes yet, so a parcel is estimated (``UNIT_WEIGHT_G`` per unit,
one standard box) and declared at what the buyer pays for its lines.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from fulfilment.domain.models import (
    Allocated,
    FulfilmentMode,
    OrderLine,
    Parcel,
    Shipment,
    ShipmentKind,
    ShipmentLine,
)
from inventory.domain.models import Location, parse_hhmm
from shop_kernel.clock import isoformat
from shop_kernel.errors import ValidationFailed
from shop_kernel.money import Money

UNIT_WEIGHT_G = 500
BOX_CM = (40, 30, 20)


class UnknownLocation(ValidationFailed):
    """An allocation names a location inventory does not know (a deleted store): cannot be picked."""


def next_collection(location: Location, now: datetime) -> datetime:
    """The location's next carrier collection after ``now`` (UTC), or when a store has the order ready."""
    if location.carrier_cutoff is None:
        return now + timedelta(minutes=location.handling_minutes)
    zone = location.zone
    local = now.astimezone(zone)
    cutoff = parse_hhmm(location.carrier_cutoff)
    today = local.replace(hour=cutoff.hour, minute=cutoff.minute, second=0, microsecond=0)
    collection = today if local < today else today + timedelta(days=1)
    return collection.astimezone(now.tzinfo)


def _lines(allocations: Sequence[Allocated]) -> tuple[ShipmentLine, ...]:
    totals: dict[str, int] = {}
    for allocation in allocations:
        totals[allocation.sku] = totals.get(allocation.sku, 0) + allocation.quantity
    return tuple(ShipmentLine(sku=sku, quantity=quantity) for sku, quantity in totals.items())


def _parcel(allocations: Sequence[Allocated], lines: Sequence[OrderLine], currency: str) -> Parcel:
    value = 0
    for allocation in allocations:
        line = lines[allocation.line]
        if line.total is not None:
            value += line.total.amount * allocation.quantity // line.quantity
    units = sum(a.quantity for a in allocations)
    length, width, height = BOX_CM
    return Parcel(
        weight_g=UNIT_WEIGHT_G * units,
        length_cm=length,
        width_cm=width,
        height_cm=height,
        declared_value=Money.of(value, currency),
    )


def _groups(
    allocations: Sequence[Allocated], mode: FulfilmentMode
) -> dict[tuple[str, str | None], list[Allocated]]:
    groups: dict[tuple[str, str | None], list[Allocated]] = {}
    for allocation in allocations:
        transfer_to = allocation.transfer_to if mode.mode == "pickup" else None
        groups.setdefault((allocation.location_id, transfer_to), []).append(allocation)
    return groups


def plan_shipments(
    order_id: str,
    lines: Sequence[OrderLine],
    allocations: Sequence[Allocated],
    mode: FulfilmentMode,
    destination: Mapping[str, Any] | None,
    *,
    locations: Mapping[str, Location],
    carrier: str,
    currency: str,
    now: datetime,
    new_id: Callable[[], str],
) -> list[Shipment]:
    """The order's shipments (see the module docstring), earliest collection first. Electronic lines are
    never shipped (checkout holds no stock for them): an order of only those has no shipment."""
    if not allocations and any(line.digital for line in lines):
        return []
    if not allocations:
        raise ValidationFailed.on("allocations", "a paid order has at least one allocated line", "empty")
    shipments = []
    for (location_id, transfer_to), group in _groups(allocations, mode).items():
        location = locations.get(location_id)
        if location is None:
            raise UnknownLocation.on("allocations", f"no location {location_id!r}", "unknown")
        if mode.mode == "delivery":
            kind, to, carrier_id = ShipmentKind.DELIVERY, dict(destination or {}), carrier
        elif transfer_to is None:
            kind, to, carrier_id = ShipmentKind.STORE_PICKUP, None, None
        else:
            store = locations.get(transfer_to)
            if store is None:
                raise UnknownLocation.on("allocations", f"no location {transfer_to!r}", "unknown")
            kind, carrier_id = ShipmentKind.TRANSFER, carrier
            to = {"kind": "address", "address": store.address.model_dump(mode="json", exclude_none=True)}
        shipments.append(
            Shipment(
                id=new_id(),
                order_id=order_id,
                kind=kind,
                location_id=location_id,
                lines=_lines(group),
                origin=location.address,
                destination=to,
                transfer_to=transfer_to,
                carrier=carrier_id,
                parcel=_parcel(group, lines, currency) if carrier_id else None,
                dispatch_by=isoformat(next_collection(location, now)),
            )
        )
    return sorted(shipments, key=lambda s: (s.dispatch_by, s.location_id))
