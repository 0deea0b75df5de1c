"""Which location each line of an order is reserved at (the allocation policy).

* Pickup at store S: a line comes from S when S has all of it available; otherwise from the warehouse
  that would get it to S first (shortest transfer lead time to S, then warehouse priority, then most
  stock), and the allocation records the transfer to S. A line is never split for pickup: the shopper
  collects one parcel per line.
* Delivery: only warehouses ship. One warehouse that has every line is preferred (one parcel), chosen
  by priority (lower first) then by most stock of the order; otherwise each line goes to the best
  warehouse (priority, most stock) that has all of it; a line no single warehouse can cover is split
  over warehouses in the same order.
* Not enough anywhere: ``InsufficientStock`` (409) naming ``lines.<i>.quantity`` and what is available.

The plan is advisory: the reservation transaction's ``available >= :q`` conditions are what guarantee
the stock. When they fail (someone else was faster), checkout plans again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Literal

from pydantic import Field, model_validator

from inventory.domain.models import Location, LocationId, LocationKind, Model, Quantity, Sku, StockLevel
from shop_kernel.errors import Conflict, FieldError, NotFound, ValidationFailed

MAX_LINES = 50  # keeps a reservation + order + redemptions inside one TransactWriteItems (100 items)

StockBySku = Mapping[str, Mapping[str, StockLevel]]


class ReservationLine(Model):
    sku: Sku
    quantity: Quantity


class Fulfilment(Model):
    mode: Literal["delivery", "pickup"]
    location_id: LocationId | None = Field(default=None, description="The pickup store")

    @model_validator(mode="after")
    def _pickup_needs_a_store(self) -> Fulfilment:
        if (self.mode == "pickup") != (self.location_id is not None):
            raise ValueError("location_id is required for pickup and only for pickup")
        return self


class Allocation(Model):
    line: int = Field(description="Index of the order line")
    sku: str
    location_id: str
    quantity: int
    transfer_to: str | None = Field(default=None, description="Store the goods move to for pickup")


class ReservationPlan(Model):
    fulfilment: Fulfilment
    allocations: tuple[Allocation, ...]
    planned_at: datetime


class InsufficientStock(Conflict):
    type_slug = "insufficient-stock"
    title = "Not enough stock"


def _available(stock: StockBySku, sku: str, location_id: str) -> int:
    level = stock.get(sku, {}).get(location_id)
    return max(level.available, 0) if level else 0


def _short(line: int, sku: str, wanted: int, available: int) -> InsufficientStock:
    message = f"only {available} of {sku} available, {wanted} wanted"
    return InsufficientStock(
        message,
        errors=[FieldError(field=f"lines.{line}.quantity", message=message, code="insufficient_stock")],
        available=available,
    )


def _pickup_store(fulfilment: Fulfilment, locations: Mapping[str, Location]) -> Location:
    store = locations.get(fulfilment.location_id or "")
    if store is None:
        message = f"no location {fulfilment.location_id!r}"
        raise NotFound(
            message, errors=[FieldError(field="fulfilment.location_id", message=message, code="unknown")]
        )
    if store.kind != LocationKind.STORE or not store.pickup:
        raise ValidationFailed.on(
            "fulfilment.location_id", "this location does not offer pickup", "no_pickup"
        )
    return store


def _plan_pickup(
    lines: Sequence[ReservationLine], store: Location, warehouses: list[Location], stock: StockBySku
) -> list[Allocation]:
    allocations = []
    by_arrival = sorted(warehouses, key=lambda w: (store.lead_time_hours_from(w.id), w.priority, w.id))
    for index, line in enumerate(lines):
        if _available(stock, line.sku, store.id) >= line.quantity:
            allocations.append(
                Allocation(line=index, sku=line.sku, location_id=store.id, quantity=line.quantity)
            )
            continue
        source = next((w for w in by_arrival if _available(stock, line.sku, w.id) >= line.quantity), None)
        if source is None:
            best = max(
                [_available(stock, line.sku, store.id)]
                + [_available(stock, line.sku, w.id) for w in warehouses]
            )
            raise _short(index, line.sku, line.quantity, best)
        allocations.append(
            Allocation(
                line=index, sku=line.sku, location_id=source.id, quantity=line.quantity, transfer_to=store.id
            )
        )
    return allocations


def _split(index: int, line: ReservationLine, ranked: list[Location], stock: StockBySku) -> list[Allocation]:
    total = sum(_available(stock, line.sku, w.id) for w in ranked)
    if total < line.quantity:
        raise _short(index, line.sku, line.quantity, total)
    remaining, parts = line.quantity, []
    for warehouse in ranked:
        take = min(remaining, _available(stock, line.sku, warehouse.id))
        if take:
            parts.append(Allocation(line=index, sku=line.sku, location_id=warehouse.id, quantity=take))
            remaining -= take
        if not remaining:
            break
    return parts


def _plan_delivery(
    lines: Sequence[ReservationLine], warehouses: list[Location], stock: StockBySku
) -> list[Allocation]:
    def order_stock(w: Location) -> int:
        return sum(_available(stock, line.sku, w.id) for line in lines)

    ranked = sorted(warehouses, key=lambda w: (w.priority, -order_stock(w), w.id))
    whole = next(
        (w for w in ranked if all(_available(stock, ln.sku, w.id) >= ln.quantity for ln in lines)), None
    )
    if whole is not None:
        return [
            Allocation(line=i, sku=ln.sku, location_id=whole.id, quantity=ln.quantity)
            for i, ln in enumerate(lines)
        ]
    allocations: list[Allocation] = []
    for index, line in enumerate(lines):
        per_line = sorted(warehouses, key=lambda w: (w.priority, -_available(stock, line.sku, w.id), w.id))
        single = next((w for w in per_line if _available(stock, line.sku, w.id) >= line.quantity), None)
        if single is not None:
            allocations.append(
                Allocation(line=index, sku=line.sku, location_id=single.id, quantity=line.quantity)
            )
        else:
            allocations += _split(index, line, per_line, stock)
    return allocations


def plan_reservation(
    lines: Sequence[ReservationLine],
    fulfilment: Fulfilment,
    now: datetime,
    *,
    stock: StockBySku,
    locations: Mapping[str, Location],
) -> ReservationPlan:
    """Allocate every line to locations (see the module docstring for the policy)."""
    if not lines:
        raise ValidationFailed.on("lines", "an order needs at least one line", "empty")
    if len(lines) > MAX_LINES:
        raise ValidationFailed.on("lines", f"at most {MAX_LINES} lines per order", "too_many")
    seen: dict[str, int] = {}
    for index, line in enumerate(lines):
        if line.sku in seen:
            raise ValidationFailed.on(
                f"lines.{index}.sku",
                f"{line.sku} is already line {seen[line.sku]}: merge the quantities",
                "duplicate",
            )
        seen[line.sku] = index
    warehouses = [loc for loc in locations.values() if loc.kind == LocationKind.WAREHOUSE]
    if fulfilment.mode == "pickup":
        allocations = _plan_pickup(lines, _pickup_store(fulfilment, locations), warehouses, stock)
    else:
        allocations = _plan_delivery(lines, warehouses, stock)
    return ReservationPlan(fulfilment=fulfilment, allocations=tuple(allocations), planned_at=now)
