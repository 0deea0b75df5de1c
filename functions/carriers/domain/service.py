"""Shipping: what the workflow tasks, the webhook and the poller ask of the carriers context.

``book`` is idempotent on our shipment id: the first call claims the id (a ``booking`` shipment: the
intent, recorded before the carrier is called), books with the carrier (which receives the shipment id as
its client reference), stores the label and records the booking. A retry finds the booked shipment and
returns it, never a second label. A retry that finds only the claim (the first attempt timed out or died
between the carrier creating the document and our write) first asks the carrier for a document with our
reference since the claim (``Carrier.find_shipment``: Nova Poshta lists its documents) and records that
one; only when there is none does it book again.
``cancel`` is idempotent too: a cancelled shipment stays cancelled; a dispatched one cannot be.

``apply_tracking`` takes tracking events from either path (a verified webhook, a poll) and advances each
shipment through its status machine (``carriers.domain.shipment``); an update for a tracking number we
do not know for that carrier (another carrier's shipment, a parcel not booked by us) is ``unknown``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from carriers.domain.models import (
    Branch,
    Destination,
    Parcel,
    Rate,
    ShipmentRequest,
    TrackingEvent,
)
from carriers.domain.ports import (
    Carrier,
    CarrierRejected,
    Carriers,
    CarrierUnavailable,
    ConcurrentUpdate,
    LabelStore,
    ShipmentStore,
)
from carriers.domain.shipment import Outcome, Shipment
from shop_kernel.address import Address
from shop_kernel.clock import Clock
from shop_kernel.errors import Conflict, NotFound, ValidationFailed

SAVE_ATTEMPTS = 3  # a tracking update racing another one re-reads the shipment and tries again


@dataclass(frozen=True)
class TrackingResult:
    event: TrackingEvent
    outcome: Outcome | None  # None: no shipment of that carrier has the tracking number
    shipment: Shipment | None = None


@dataclass(frozen=True)
class PollSummary:
    carrier: str
    open_shipments: int
    calls: int
    applied: int


class Shipping:
    """Quotes, branches, booking and cancelling (the fulfilment workflow's carrier tasks)."""

    def __init__(self, carriers: Carriers, store: ShipmentStore, labels: LabelStore, clock: Clock) -> None:
        self._carriers = carriers
        self._store = store
        self._labels = labels
        self._clock = clock

    def carrier(self, carrier_id: str) -> Carrier:
        try:
            return self._carriers[carrier_id]
        except KeyError:
            known = ", ".join(sorted(self._carriers)) or "none"
            raise ValidationFailed.on(
                "carrier", f"unknown carrier {carrier_id!r} (configured: {known})"
            ) from None

    # --- quotes ------------------------------------------------------------------------------------

    def quote(
        self, parcel: Parcel, origin: Address, destination: Destination, carrier_ids: Sequence[str] = ()
    ) -> list[Rate]:
        """Every rate of the named (or all configured) carriers, cheapest first. A carrier that cannot be
        reached is left out; if none can, ``CarrierUnavailable``."""
        chosen = [self.carrier(c) for c in carrier_ids] if carrier_ids else list(self._carriers.values())
        rates: list[Rate] = []
        failures = 0
        for carrier in chosen:
            try:
                rates += carrier.rates(parcel, origin, destination)
            except CarrierUnavailable:
                failures += 1
        if chosen and failures == len(chosen):
            raise CarrierUnavailable("no carrier could quote right now")
        return sorted(rates, key=lambda r: (r.price.currency, r.price.amount, r.carrier, r.service))

    def delivery_estimate(self, carrier_id: str, origin: Address, destination: Destination) -> date:
        return self.carrier(carrier_id).delivery_estimate(origin, destination, self._clock.now().date())

    def branches(self, carrier_id: str, city: str) -> list[Branch]:
        return self.carrier(carrier_id).branches(city)

    # --- booking -----------------------------------------------------------------------------------

    def book(self, carrier_id: str, request: ShipmentRequest) -> Shipment:
        carrier = self.carrier(carrier_id)
        claim = Shipment.claim(
            request.shipment_id,
            request.order_id,
            carrier_id,
            request.destination,
            request.parcel,
            self._now(),
        )
        stored = self._store.create(claim)
        retried = stored is None
        if stored is None:
            existing = self._require(request.shipment_id)
            if (existing.order_id, existing.carrier) != (request.order_id, carrier_id):
                raise Conflict(
                    f"shipment {request.shipment_id} belongs to order {existing.order_id} with {existing.carrier}"
                )
            if existing.status.value != "booking":
                if existing.status.value == "cancelled":
                    raise Conflict(f"shipment {request.shipment_id} was cancelled; book a new shipment id")
                return existing
            stored = existing
        claim = stored
        try:
            booking = None
            if retried:
                booking = carrier.find_shipment(request, claim.history[0].occurred_at.date())
            booking = booking or carrier.create_shipment(request)
        except CarrierRejected:
            # The carrier will not take it: the claim is closed, so it is neither polled nor counted stuck.
            self._store.save(claim.cancel(self._now()))
            raise
        key = self._labels.put(request.shipment_id, booking.label, booking.label_format)
        try:
            return self._store.save(claim.booked(booking, key, self._now()))
        except ConcurrentUpdate:
            # Another attempt of the same booking finished first: its booking is the booking.
            return self._require(request.shipment_id)

    def cancel(self, shipment_id: str) -> Shipment:
        shipment = self._require(shipment_id)
        cancelled = shipment.cancel(self._now())
        if cancelled is shipment:
            return shipment
        if shipment.tracking_number and shipment.carrier_reference:
            self.carrier(shipment.carrier).cancel(shipment.tracking_number, shipment.carrier_reference)
        try:
            return self._store.save(cancelled)
        except ConcurrentUpdate:
            return self.cancel(shipment_id)  # tracking moved it meanwhile: decide again on what it is now

    def get(self, shipment_id: str) -> Shipment:
        return self._require(shipment_id)

    def label(self, shipment: Shipment) -> bytes:
        if shipment.label_key is None:
            raise NotFound(f"shipment {shipment.shipment_id} has no label yet")
        return self._labels.get(shipment.label_key)

    def _require(self, shipment_id: str) -> Shipment:
        shipment = self._store.get(shipment_id)
        if shipment is None:
            raise NotFound(f"no shipment {shipment_id}")
        return shipment

    def _now(self) -> datetime:
        return self._clock.now()


class Tracking:
    """Tracking updates from either path into the shipments' status machines (webhook carriers push,
    polling carriers are polled: ``poll``); ``stuck`` finds shipments gone quiet."""

    def __init__(self, store: ShipmentStore) -> None:
        self._store = store

    # --- tracking ----------------------------------------------------------------------------------

    def apply_tracking(self, events: Sequence[TrackingEvent], source: str) -> list[TrackingResult]:
        """Each event in the order it happened; see the module docstring."""
        return [self._apply(event, source) for event in sorted(events, key=lambda e: e.occurred_at)]

    def _apply(self, event: TrackingEvent, source: str) -> TrackingResult:
        for _ in range(SAVE_ATTEMPTS):
            shipment = self._store.find_by_tracking(event.carrier, event.tracking_number)
            if shipment is None:
                return TrackingResult(event, None)
            outcome, moved = shipment.track(event, source)
            if moved is shipment:
                return TrackingResult(event, outcome, shipment)
            try:
                return TrackingResult(event, outcome, self._store.save(moved))
            except ConcurrentUpdate:
                continue
        raise CarrierUnavailable(f"shipment {event.tracking_number} kept changing; try again")

    def poll(self, carrier: Carrier) -> PollSummary:
        """Asks a polling carrier for every open shipment's tracking, in batches, and applies it."""
        open_shipments = [s for s in self._store.open_shipments(carrier.carrier_id) if s.tracking_number]
        numbers = [s.tracking_number for s in open_shipments if s.tracking_number]
        calls = applied = 0
        for batch in _batches(numbers, carrier.tracking_batch_size):
            calls += 1
            results = self.apply_tracking(carrier.tracking(batch), "poll")
            applied += sum(1 for r in results if r.outcome == "applied")
        return PollSummary(carrier.carrier_id, len(open_shipments), calls, applied)

    def stuck(self, carrier_id: str, quiet_for: timedelta, now: datetime) -> list[Shipment]:
        """Open shipments of ``carrier_id`` with no tracking update for ``quiet_for``."""
        return self._store.open_shipments(carrier_id, updated_before=now - quiet_for)


def _batches(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
