"""Reservations as the domain sees them: a stored hold of stock for an order, its lines and its state.

Checkout reserves stock in its order transaction through ``inventory.contract``; the item layout and
the ``TransactWriteItems`` entries that reserve, release, expire and commit a reservation are
inventory's storage and live in ``inventory.adapters.records``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from inventory.domain.allocation import Allocation
from shop_kernel.transact import WriteContended

MIN_TTL = timedelta(minutes=1)
MAX_TTL = timedelta(days=30)


class ReservationStatus(StrEnum):
    ACTIVE = "active"
    RELEASED = "released"  # the order was cancelled or not paid
    EXPIRED = "expired"  # its time ran out before checkout finished
    COMMITTED = "committed"  # shipped: the stock left the building


class StockTaken(WriteContended):
    """A reservation was refused: fewer units are available at a location than planned (another buyer
    was faster). Planning again from fresh stock may succeed."""

    def __init__(self, sku: str | None, location_id: str | None) -> None:
        super().__init__(f"{sku} at {location_id}: fewer units available than planned")
        self.sku = sku
        self.location_id = location_id


class HoldExists(Exception):
    """A reservation with this id exists already: the hold was not written again."""


class HoldLapsed(Exception):
    """The reservation is no longer active (released, expired or committed): it cannot be extended."""


class HoldChanged(WriteContended):
    """The reservation changed since it was read (another part of it shipped or dropped, or it was
    finished): nothing was written; read it again."""


class HoldFinished(Exception):
    """The reservation was finished by someone else (expiry, the sweeper) before this release."""


@dataclass(frozen=True)
class ReservedLine:
    sku: str
    location_id: str
    quantity: int


@dataclass(frozen=True)
class Reservation:
    """A stored reservation, as release/commit/expiry need it."""

    id: str
    order_id: str
    status: ReservationStatus
    lines: tuple[ReservedLine, ...]
    expires_at: int
    created_at: str


def merged_lines(allocations: Iterable[Allocation]) -> tuple[ReservedLine, ...]:
    """One line per (sku, location): a transaction may touch each stock item only once."""
    totals: dict[tuple[str, str], int] = {}
    for allocation in allocations:
        key = (allocation.sku, allocation.location_id)
        totals[key] = totals.get(key, 0) + allocation.quantity
    return tuple(ReservedLine(sku, location, quantity) for (sku, location), quantity in totals.items())


class HoldShort(Exception):
    """A part of a reservation was asked for (shipped or dropped units) that it does not hold."""

    def __init__(self, sku: str, wanted: int, held: int) -> None:
        super().__init__(f"{sku}: {wanted} units asked for, the reservation holds {held}")
        self.sku = sku
        self.wanted = wanted
        self.held = held


def split_lines(
    lines: Iterable[ReservedLine], wanted: Mapping[str, int], location_id: str | None = None
) -> tuple[tuple[ReservedLine, ...], tuple[ReservedLine, ...]]:
    """``(taken, remaining)``: ``wanted`` units per SKU taken from a reservation's ``lines``, from
    ``location_id`` only when it is given, else from the lines in their order; ``HoldShort`` when the
    lines hold fewer. A shipment commits what it took; a drop releases it; the rest stays held."""
    left = {sku: quantity for sku, quantity in wanted.items() if quantity > 0}
    taken: list[ReservedLine] = []
    remaining: list[ReservedLine] = []
    for line in lines:
        take = min(left.get(line.sku, 0), line.quantity)
        if location_id is not None and line.location_id != location_id:
            take = 0
        if take:
            taken.append(ReservedLine(line.sku, line.location_id, take))
            left[line.sku] -= take
        if line.quantity - take:
            remaining.append(ReservedLine(line.sku, line.location_id, line.quantity - take))
    short = next(((sku, n) for sku, n in left.items() if n > 0), None)
    if short is not None:
        sku, missing = short
        raise HoldShort(sku, wanted[sku], wanted[sku] - missing)
    return tuple(taken), tuple(remaining)
