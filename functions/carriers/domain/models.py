"""What a carrier quotes, books and reports, in the shop's words (never a carrier's field names).

A destination is a street address (the kernel's ``Address``) or a carrier branch / parcel locker
(``BranchDestination``, a branch id from ``Carrier.branches(city)``). A parcel is its weight and size
plus the declared value (insurance, and what the carrier charges cash on delivery on, when that comes).
Time is UTC; money is the kernel's ``Money``.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from shop_kernel.address import Address, PhoneNumber
from shop_kernel.money import Money

CarrierId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{1,30}$", examples=["nova-poshta"])]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Parcel(Model):
    """One box: grams and centimetres (integers, as carriers bill them), and its declared value."""

    weight_g: Annotated[int, Field(ge=1, le=1_000_000)]
    length_cm: Annotated[int, Field(ge=1, le=500)]
    width_cm: Annotated[int, Field(ge=1, le=500)]
    height_cm: Annotated[int, Field(ge=1, le=500)]
    declared_value: Money


class AddressDestination(Model):
    """Delivery to the door."""

    kind: Literal["address"] = "address"
    address: Address


class BranchDestination(Model):
    """Delivery to a carrier branch or parcel locker, collected there by ``recipient_name``."""

    kind: Literal["branch"] = "branch"
    branch_id: Annotated[str, Field(min_length=1, max_length=64)]
    city: Annotated[str, Field(min_length=1, max_length=100)]
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    recipient_name: Annotated[str, Field(min_length=1, max_length=100)]
    recipient_phone: PhoneNumber


Destination = Annotated[AddressDestination | BranchDestination, Field(discriminator="kind")]


class Rate(Model):
    """What ``carrier`` charges for one service to a destination, and when it would arrive."""

    carrier: CarrierId
    service: str
    price: Money
    estimated_delivery: date | None = None


class Branch(Model):
    """A carrier branch or parcel locker a shopper can choose."""

    carrier: CarrierId
    branch_id: str
    kind: Literal["branch", "locker"]
    name: str
    address: str
    city: str
    postal_code: str | None = None
    max_weight_g: int | None = None


class ShipmentRequest(Model):
    """Everything a carrier needs to book one parcel. ``shipment_id`` is ours; adapters send it as the
    carrier's client reference, so a carrier that deduplicates on it never books twice."""

    shipment_id: str
    order_id: str
    origin: Address
    destination: Destination
    parcel: Parcel
    service: str | None = None
    description: str = "Goods"


class Booking(Model):
    """A booked shipment: the carrier's tracking number and reference, and the label it issued."""

    carrier: CarrierId
    tracking_number: str
    carrier_reference: str
    label: bytes = Field(repr=False)
    label_format: Literal["pdf", "zpl", "png"]
    price: Money | None = None
    estimated_delivery: date | None = None


class ShipmentStatus(StrEnum):
    """Where a shipment is. ``booking`` is ours alone (the claim a retried booking finds); the rest are
    published. ``delivered``, ``returned_to_sender`` and ``cancelled`` are final."""

    BOOKING = "booking"
    BOOKED = "booked"
    DISPATCHED = "dispatched"
    IN_TRANSIT = "in_transit"
    FAILED_DELIVERY = "failed_delivery"
    DELIVERED = "delivered"
    RETURNED_TO_SENDER = "returned_to_sender"
    CANCELLED = "cancelled"


class TrackingEvent(Model):
    """One tracking update a carrier reported (pushed or polled), already in our statuses.

    ``event_id`` is the carrier's id of the update (or, for polled carriers, one derived from the tracking
    number, status and the carrier's update time), so the same update seen twice is recognised."""

    carrier: CarrierId
    tracking_number: str
    event_id: str
    status: ShipmentStatus
    occurred_at: datetime
    description: str | None = None
    carrier_status: str | None = None


class TrackingMode(StrEnum):
    """How a carrier tells us about tracking: it posts to our webhook, or we poll it."""

    WEBHOOK = "webhook"
    POLLING = "polling"
