"""A shipment and its status machine.

    booking -> booked -> dispatched -> in_transit -> delivered
                 |            \\            |  ^--------.
                 v             `-----------+-> failed_delivery -> delivered | returned_to_sender
             cancelled                     `-> returned_to_sender

Tracking updates arrive late, twice and out of order (a webhook retried, a poll that overlaps the last
one, a carrier that reports "in transit" after "delivered"). ``Shipment.track`` therefore decides per
update:

- ``applied``: a move forward (skipping a status is fine: a carrier may never report "dispatched");
- ``duplicate``: the same carrier event id was applied before;
- ``stale``: older than the last update the carrier reported, or not further along than the current status (an
  "in transit" after "delivered" changes nothing);
- ``refused``: a move that cannot happen (anything after "cancelled", "delivered" after "returned to
  sender"): logged for ops, the shipment keeps its status.

Commands (``cancel``) refuse impossible moves with ``ShipmentNotCancellable`` (a 409 for an API, a
named error for the workflow). A failed delivery may be retried by the carrier: ``in_transit`` and
``delivered`` after ``failed_delivery`` are moves forward.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from carriers.domain.models import Booking, Destination, Parcel, ShipmentStatus, TrackingEvent
from shop_kernel.errors import Conflict
from shop_kernel.money import Money

S = ShipmentStatus
FINAL = frozenset({S.DELIVERED, S.RETURNED_TO_SENDER, S.CANCELLED})
# Moves tracking may make from each status (forward moves; skipping is allowed).
_TRACKED_MOVES: dict[ShipmentStatus, frozenset[ShipmentStatus]] = {
    S.BOOKED: frozenset({S.DISPATCHED, S.IN_TRANSIT, S.FAILED_DELIVERY, S.DELIVERED, S.RETURNED_TO_SENDER}),
    S.DISPATCHED: frozenset({S.IN_TRANSIT, S.FAILED_DELIVERY, S.DELIVERED, S.RETURNED_TO_SENDER}),
    S.IN_TRANSIT: frozenset({S.FAILED_DELIVERY, S.DELIVERED, S.RETURNED_TO_SENDER}),
    S.FAILED_DELIVERY: frozenset({S.IN_TRANSIT, S.DELIVERED, S.RETURNED_TO_SENDER}),
}
SEEN_IDS_KEPT = 50
Outcome = Literal["applied", "duplicate", "stale", "refused"]


class ShipmentNotCancellable(Conflict):
    type_slug = "shipment-not-cancellable"
    title = "The shipment can no longer be cancelled"


@dataclass(frozen=True)
class StatusChange:
    """One entry of a shipment's history: what moved it, when, and which carrier event it was."""

    status: ShipmentStatus
    occurred_at: datetime
    source: str  # "booking", "cancel", "webhook", "poll"
    event_id: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Shipment:
    shipment_id: str
    order_id: str
    carrier: str
    destination: Destination
    parcel: Parcel
    status: ShipmentStatus
    history: tuple[StatusChange, ...] = ()
    tracking_number: str | None = None
    carrier_reference: str | None = None
    label_key: str | None = None
    label_format: str | None = None
    price: Money | None = None
    version: int = 0
    seen_event_ids: tuple[str, ...] = ()  # the carrier event ids last seen, oldest first

    @property
    def is_final(self) -> bool:
        return self.status in FINAL

    @property
    def last_update(self) -> datetime:
        return self.history[-1].occurred_at

    @property
    def last_carrier_update(self) -> datetime | None:
        """When the carrier last reported a move (our own booking time is another clock: not compared)."""
        return next((c.occurred_at for c in reversed(self.history) if c.event_id is not None), None)

    @classmethod
    def claim(
        cls,
        shipment_id: str,
        order_id: str,
        carrier: str,
        destination: Destination,
        parcel: Parcel,
        at: datetime,
    ) -> Shipment:
        """A shipment about to be booked: the claim a retried booking finds instead of booking again."""
        return cls(
            shipment_id=shipment_id,
            order_id=order_id,
            carrier=carrier,
            destination=destination,
            parcel=parcel,
            status=S.BOOKING,
            history=(StatusChange(S.BOOKING, at, "booking"),),
        )

    def booked(self, booking: Booking, label_key: str, at: datetime) -> Shipment:
        if self.status is not S.BOOKING:
            raise Conflict(f"shipment {self.shipment_id} is {self.status}, not being booked")
        return replace(
            self,
            status=S.BOOKED,
            tracking_number=booking.tracking_number,
            carrier_reference=booking.carrier_reference,
            label_key=label_key,
            label_format=booking.label_format,
            price=booking.price,
            history=(*self.history, StatusChange(S.BOOKED, at, "booking")),
        )

    def cancel(self, at: datetime) -> Shipment:
        """Cancelled before the carrier has it; once dispatched only a return can bring it back."""
        if self.status is S.CANCELLED:
            return self
        if self.status not in (S.BOOKING, S.BOOKED):
            raise ShipmentNotCancellable(
                f"shipment {self.shipment_id} is {self.status.value}: the carrier already has it",
                shipment_id=self.shipment_id,
                status=self.status.value,
            )
        return replace(
            self, status=S.CANCELLED, history=(*self.history, StatusChange(S.CANCELLED, at, "cancel"))
        )

    def track(self, event: TrackingEvent, source: str) -> tuple[Outcome, Shipment]:
        """Applies one tracking update if it moves the shipment forward (see the module docstring)."""
        if event.event_id in self.seen_event_ids:
            return "duplicate", self
        # The last ids only: an update older than these is also older than the last applied one.
        seen = replace(self, seen_event_ids=(*self.seen_event_ids, event.event_id)[-SEEN_IDS_KEPT:])
        if self.status in (S.BOOKING, S.CANCELLED) or event.status in (S.BOOKING, S.CANCELLED):
            return "refused", seen
        if self.is_final:
            return ("refused" if event.status in FINAL and event.status is not self.status else "stale"), seen
        last = self.last_carrier_update
        if (last is not None and event.occurred_at < last) or event.status not in _TRACKED_MOVES[self.status]:
            return "stale", seen
        change = StatusChange(event.status, event.occurred_at, source, event.event_id, event.description)
        return "applied", replace(seen, status=event.status, history=(*self.history, change))
