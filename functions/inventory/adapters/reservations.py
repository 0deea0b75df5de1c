"""The reservation API checkout (and inventory's own consumers) call.

``plan_reservation`` reads the order's stock at the candidate locations in one BatchGetItem (locations
come from a per-process cache), ``reservation_transact_items`` returns the entries checkout puts in its
own ``TransactWriteItems`` with the order item, and release / commit / expire run their own
status-conditioned transactions (idempotent: a second call returns False and changes nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from inventory.adapters.records import reservation_transact_items
from inventory.domain.allocation import Fulfilment, ReservationLine, ReservationPlan, plan_reservation
from inventory.domain.models import LocationKind
from inventory.domain.reservations import Reservation, ReservationStatus
from shop_kernel.clock import Clock

if TYPE_CHECKING:
    from inventory.adapters.dynamo import InventoryStore


class Reservations:
    def __init__(self, store: InventoryStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def plan_reservation(
        self, lines: Sequence[ReservationLine], fulfilment: Fulfilment, now: datetime | None = None
    ) -> ReservationPlan:
        locations = self._store.locations()
        candidates = [loc.id for loc in locations.values() if loc.kind == LocationKind.WAREHOUSE]
        if fulfilment.location_id:
            candidates.append(fulfilment.location_id)
        stock = self._store.stock_at([line.sku for line in lines], candidates) if candidates else {}
        return plan_reservation(lines, fulfilment, now or self._clock.now(), stock=stock, locations=locations)

    def reservation_transact_items(
        self, plan: ReservationPlan, reservation_id: str, order_id: str, ttl: timedelta
    ) -> list[dict[str, Any]]:
        return reservation_transact_items(plan, reservation_id, order_id, ttl, table_name=self._store.table)

    def reservation(self, reservation_id: str) -> Reservation | None:
        return self._store.reservation(reservation_id)

    def release_reservation(self, reservation_id: str) -> bool:
        """The order was cancelled or not paid: give the stock back (False if already finished)."""
        return self._store.finish(reservation_id, ReservationStatus.RELEASED, self._clock.now())

    def commit_reservation(self, reservation_id: str) -> bool:
        """The order shipped: the reserved units leave on_hand (False if already finished)."""
        return self._store.finish(reservation_id, ReservationStatus.COMMITTED, self._clock.now())

    def expire_reservation(self, reservation_id: str) -> bool:
        return self._store.finish(reservation_id, ReservationStatus.EXPIRED, self._clock.now())

    def sweep_expired(self, limit: int = 100) -> int:
        """Expire active reservations past ``expires_at`` (TTL deletion can lag by hours); returns how many."""
        now = self._clock.now()
        return sum(self.expire_reservation(rid) for rid in self._store.overdue_reservations(now, limit))
