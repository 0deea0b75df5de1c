"""What the carriers context needs from the outside world, as protocols adapters implement.

* ``Carrier`` - one carrier's API: rates, a delivery-date estimate, its branches and parcel lockers in a
  city, booking a shipment (tracking number, label, the carrier's reference), cancelling it, and
  tracking. ``tracking_mode`` says how tracking reaches us: the carrier posts webhooks
  (``TrackingMode.WEBHOOK``; the adapter module's ``parse_webhook`` reads a verified body) or we poll
  ``tracking`` on a schedule (``TrackingMode.POLLING``, up to ``tracking_batch_size`` numbers a call).
  Either way the events go through the same ``Shipping.apply_tracking``.
* ``ShipmentStore`` - shipments by id and by (carrier, tracking number), conditional writes by version,
  the open shipments of a carrier by last tracking update, webhook deliveries already seen.
* ``LabelStore`` - label files by shipment.

Adapters raise ``CarrierUnavailable`` (a ``DependencyUnavailable``: retry later) when the carrier cannot
be reached or answers with a server error, and ``CarrierRejected`` (422: do not retry as is) when it
refuses the request (an unknown city, a parcel over its limits). The domain never sees a transport error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Protocol

from carriers.domain.models import (
    Booking,
    Branch,
    Destination,
    Parcel,
    Rate,
    ShipmentRequest,
    TrackingEvent,
    TrackingMode,
)
from carriers.domain.shipment import Shipment
from shop_kernel.address import Address
from shop_kernel.errors import DependencyUnavailable, DomainError


class CarrierUnavailable(DependencyUnavailable):
    type_slug = "carrier-unavailable"
    title = "The carrier cannot be reached right now"


class CarrierRejected(DomainError):
    status = 422
    type_slug = "carrier-rejected"
    title = "The carrier refused the request"


class Carrier(Protocol):
    carrier_id: str
    tracking_mode: TrackingMode
    tracking_batch_size: int

    def rates(self, parcel: Parcel, origin: Address, destination: Destination) -> list[Rate]: ...

    def delivery_estimate(
        self, origin: Address, destination: Destination, ship_on: date, service: str | None = None
    ) -> date: ...

    def branches(self, city: str) -> list[Branch]: ...

    def create_shipment(self, request: ShipmentRequest) -> Booking: ...

    def find_shipment(self, request: ShipmentRequest, since: date) -> Booking | None:
        """The booking this carrier already made for ``request`` (found by our shipment id, its client
        reference) since ``since``, or None. A retried booking asks this before creating again, so a
        carrier without an idempotency key does not get a second document; a carrier that deduplicates
        on the reference by itself may answer None."""
        ...

    def cancel(self, tracking_number: str, carrier_reference: str) -> None:
        """Withdraws a booked shipment the carrier does not have yet; cancelling twice is not an error."""
        ...

    def tracking(self, tracking_numbers: Sequence[str]) -> list[TrackingEvent]:
        """The latest known update of each number (polling carriers); numbers it does not know are left out."""
        ...


class ConcurrentUpdate(Exception):
    """The shipment changed since it was read (its version moved)."""


class ShipmentStore(Protocol):
    def get(self, shipment_id: str) -> Shipment | None: ...

    def create(self, shipment: Shipment) -> Shipment | None:
        """Stores a new shipment and returns it as stored; None when one with its id exists."""
        ...

    def save(self, shipment: Shipment) -> Shipment:
        """Writes ``shipment`` if the stored one still has ``shipment.version``; returns it one version
        on. A tracking number it has now and had not before becomes findable. ``ConcurrentUpdate`` else."""
        ...

    def find_by_tracking(self, carrier: str, tracking_number: str) -> Shipment | None: ...

    def open_shipments(self, carrier: str, updated_before: datetime | None = None) -> list[Shipment]:
        """The carrier's shipments not in a final status, oldest tracking update first."""
        ...

    def delivery_seen(self, carrier: str, delivery_id: str) -> bool: ...

    def remember_delivery(self, carrier: str, delivery_id: str, until: datetime) -> None: ...


class LabelStore(Protocol):
    def put(self, shipment_id: str, label: bytes, label_format: str) -> str:
        """Stores the label; returns its key."""
        ...

    def get(self, key: str) -> bytes: ...


Carriers = Mapping[str, Carrier]
