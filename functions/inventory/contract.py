"""What inventory publishes for a context that reads stock or holds it in its own transaction.

Cart and checkout read every location and the stock of their SKUs in the ``BatchGetItem`` they already
make (``locations_config_key``, ``stock_keys``; then ``read_directory`` and ``stock_levels`` on what it
found). Checkout writes, in its order transaction: the stock hold (``reserve``: each stock entry
conditioned on ``available >= :q``, and the reservation, which must be new), its extension once a card is
authorised (``extend_hold``), once an order is cancelled, its release (``read_reservation``,
``release``), and, as fulfilment ships or drops units, those units alone (``split_lines`` says which of
the reservation's lines they are; ``commit_lines``: on-hand decremented; ``release_lines``: available
again; the rest stays held). Each write is a ``TransactPart`` whose cancellation reasons become inventory's domain errors:
``StockTaken`` (plan again), ``HoldExists``, ``HoldLapsed``, ``HoldFinished``, ``HoldChanged`` (re-read),
``HoldShort`` (asked for units it does not hold; raised before anything is sent). The layout itself is
inventory's (``inventory.adapters.records``) and may change behind these functions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from inventory.adapters.records import (
    LOCATIONS_CONFIG_PK,
    LocationDirectory,
    extend_reservation_item,
    indexed_location_documents,
    part_transact_items,
    release_transact_items,
    reservation_from_item,
    reservation_key,
    reservation_transact_items,
    stock_from_item,
    stock_key,
)
from inventory.adapters.records import locations_config_key as _locations_config_key
from inventory.domain.allocation import ReservationPlan
from inventory.domain.models import StockLevel
from inventory.domain.reservations import (
    HoldChanged,
    HoldExists,
    HoldFinished,
    HoldLapsed,
    HoldShort,
    Reservation,
    ReservationStatus,
    ReservedLine,
    StockTaken,
    split_lines,
)
from shop_kernel.dynamo import deserialize
from shop_kernel.transact import Reason, TransactPart

Key = dict[str, dict[str, str]]


# --- reads, in the caller's own BatchGetItem -----------------------------------------------------


def locations_config_key() -> Key:
    """The one item holding every location (versioned): read it with the stock, consistently."""
    return _locations_config_key()


def stock_keys(skus: Sequence[str], location_ids: Sequence[str]) -> list[Key]:
    """The stock items of ``skus`` at ``location_ids``."""
    return [stock_key(sku, location) for sku in skus for location in location_ids]


def read_directory(client: Any, table: str, items: Sequence[dict[str, Any]]) -> LocationDirectory:
    """Every location, from the config item among ``items``; a table written before that item existed
    is read from its locations index with ``client`` (one Query, until the next location write)."""
    config = next((i for i in items if i["pk"]["S"] == LOCATIONS_CONFIG_PK), None)
    if config is not None:
        return LocationDirectory.from_item(config)
    return LocationDirectory(documents=indexed_location_documents(client, table))


def stock_levels(items: Sequence[dict[str, Any]]) -> dict[str, dict[str, StockLevel]]:
    """Stock levels by SKU and location, from the stock items among ``items`` (others are skipped)."""
    levels: dict[str, dict[str, StockLevel]] = {}
    for raw in items:
        if raw["pk"]["S"] == LOCATIONS_CONFIG_PK or not raw["sk"]["S"].startswith("LOC#"):
            continue
        level = stock_from_item(deserialize(raw))
        levels.setdefault(level.sku, {})[level.location_id] = level
    return levels


def read_reservation(client: Any, table: str, reservation_id: str) -> Reservation | None:
    """The reservation as it is now (one consistent GetItem), None when there is none."""
    item = client.get_item(TableName=table, Key=reservation_key(reservation_id), ConsistentRead=True).get(
        "Item"
    )
    return reservation_from_item(deserialize(item)) if item else None


# --- writes, as parts of the caller's transaction ------------------------------------------------


def _reservation_refused(reasons: Sequence[Reason]) -> Exception:
    *stock, hold = reasons
    if hold.condition_failed:
        return HoldExists("a reservation with this id exists already")
    taken = next(r for r in stock if r.condition_failed)
    old = deserialize(taken.item) if taken.item else {}
    return StockTaken(old.get("sku"), old.get("location_id"))


def reserve(
    table: str, plan: ReservationPlan, reservation_id: str, order_id: str, hold: timedelta
) -> TransactPart:
    """Take each planned unit from ``available`` (only while ``available >= :q``) and record the
    reservation (new), held ``hold`` from when the plan was made."""
    entries = reservation_transact_items(plan, reservation_id, order_id, hold, table_name=table)
    return TransactPart(tuple(entries), _reservation_refused)


def extend_hold(table: str, reservation_id: str, expires_at: int) -> TransactPart:
    """Keep an active reservation until ``expires_at`` (epoch seconds); ``HoldLapsed`` if it is not."""
    entry = extend_reservation_item(reservation_id, expires_at, table_name=table)
    return TransactPart((entry,), lambda _: HoldLapsed(f"reservation {reservation_id} is not active"))


def release(table: str, reservation: Reservation, now: datetime) -> TransactPart:
    """Give an active reservation's stock back, once; ``HoldFinished`` if it was finished meanwhile."""
    entries = release_transact_items(reservation, now, table_name=table)
    return TransactPart(tuple(entries), lambda _: HoldFinished(f"reservation {reservation.id} is finished"))


def _part_refused(reservation: Reservation) -> Callable[[Sequence[Reason]], Exception]:
    def explain(reasons: Sequence[Reason]) -> Exception:
        hold, *_stock = reasons
        if hold.condition_failed:  # finished, or another part of it was written since it was read
            return HoldChanged(f"reservation {reservation.id} changed since it was read")
        return HoldFinished(f"reservation {reservation.id}: the stock does not hold what it reserved")

    return explain


def commit_lines(
    table: str, reservation: Reservation, lines: Sequence[ReservedLine], now: datetime
) -> TransactPart:
    """Shipped units leave the stock (``on_hand`` and ``reserved`` decremented) and the reservation;
    the rest stays held (``split_lines`` says which lines a shipment takes). ``HoldChanged`` when the
    reservation is no longer as read (re-read and try again: it may already be done)."""
    taken, remaining = _split(reservation, lines)
    entries = part_transact_items(
        reservation, taken, remaining, now, table_name=table, status=ReservationStatus.COMMITTED
    )
    return TransactPart(tuple(entries), _part_refused(reservation))


def release_lines(
    table: str, reservation: Reservation, lines: Sequence[ReservedLine], now: datetime
) -> TransactPart:
    """Dropped units go back to ``available``; the rest stays held. Errors as ``commit_lines``."""
    taken, remaining = _split(reservation, lines)
    entries = part_transact_items(
        reservation, taken, remaining, now, table_name=table, status=ReservationStatus.RELEASED
    )
    return TransactPart(tuple(entries), _part_refused(reservation))


def _split(
    reservation: Reservation, lines: Sequence[ReservedLine]
) -> tuple[tuple[ReservedLine, ...], tuple[ReservedLine, ...]]:
    """``lines`` (with their locations) out of the reservation's, and what it holds after."""
    held = {(ln.sku, ln.location_id): ln.quantity for ln in reservation.lines}
    for line in lines:
        key = (line.sku, line.location_id)
        if held.get(key, 0) < line.quantity:
            raise HoldShort(line.sku, line.quantity, held.get(key, 0))
        held[key] -= line.quantity
    remaining = tuple(
        ReservedLine(ln.sku, ln.location_id, held[(ln.sku, ln.location_id)])
        for ln in reservation.lines
        if held[(ln.sku, ln.location_id)] > 0
    )
    return tuple(lines), remaining


__all__ = [
    "HoldChanged",
    "HoldExists",
    "HoldFinished",
    "HoldLapsed",
    "HoldShort",
    "LocationDirectory",
    "ReservedLine",
    "StockTaken",
    "commit_lines",
    "extend_hold",
    "locations_config_key",
    "read_directory",
    "read_reservation",
    "release",
    "release_lines",
    "reserve",
    "split_lines",
    "stock_keys",
    "stock_levels",
]
