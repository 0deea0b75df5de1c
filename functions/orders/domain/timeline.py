"""An order's timeline and progress: every transition (when, who or what, why), projected from events.

Checkout, fulfilment and carriers each announce what they know (``OrderPlaced``, ``FulfilmentRequested``,
``ShipmentStatusChanged``, ...); the orders context turns each event into one ``TimelineEntry`` (and,
for a carrier's news, the latest state of that ``Shipment``). Entries are a set keyed by event id: a
replayed event is the same entry, and events that arrive out of order are sorted by when they happened.
The order's ``Stage`` is computed from the order, its entries and its shipments every time, never
advanced step by step, so a late or repeated event cannot move it backwards:

    pending_payment -> paid -> confirmed -> dispatched -> in_transit -> delivered | collected
    pickups: confirmed -> ready_for_collection -> collected; transfers to a pickup store:
    confirmed -> dispatched -> in_transit -> ready_for_collection -> collected
    (any stage before dispatch, or ready_for_collection) -> cancelled

A shipment delivered while another is still on its way leaves the order ``in_transit``; the order is
``delivered`` when every shipment that was not cancelled is. A transfer the carrier delivered is in the
pickup store, not with the shopper: ``ready_for_collection`` until fulfilment says it was collected (a
shipment's ``kind`` comes from ``FulfilmentRequested``). An order of electronic lines only (e-certificates,
sent by e-mail) has no shipment: it is ``delivered`` once fulfilment announces ``ElectronicLinesFulfilled``
(charged, after any review); a mixed order is delivered with its last physical shipment, as any other.
Pure logic: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field

from orders.domain.models import Order, OrderStatus, ShippedLine, Strict


class Stage(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    CONFIRMED = "confirmed"
    DISPATCHED = "dispatched"
    IN_TRANSIT = "in_transit"
    READY_FOR_COLLECTION = "ready_for_collection"  # in the pickup store, waiting for the shopper
    DELIVERED = "delivered"
    COLLECTED = "collected"
    CANCELLED = "cancelled"


# Stages after which nothing can be cancelled any more (the parcel has left). An order waiting in the
# pickup store for its shopper was not handed over: it may still be cancelled.
DISPATCHED_OR_LATER = frozenset({Stage.DISPATCHED, Stage.IN_TRANSIT, Stage.DELIVERED, Stage.COLLECTED})
ActorKind = Literal["customer", "agent", "system", "carrier"]


class Actor(Strict):
    """Who or what made the change: a customer (Cognito sub), an agent (staff sub), a system function
    (its name, e.g. ``checkout-events``) or a carrier (its id)."""

    kind: ActorKind
    id: str


class TimelineEntry(Strict):
    at: str = Field(description="When it happened (UTC ISO-8601), as its source reported it")
    event_id: str
    what: str = Field(description="The event: OrderPlaced, ShipmentStatusChanged, ...")
    stage: Stage | None = Field(default=None, description="The stage this entry brings the order to, if any")
    actor: Actor
    reason: str | None = None
    shipment_id: str | None = None
    lines: tuple[ShippedLine, ...] | None = None
    decision: Literal["approve", "reject"] | None = Field(
        default=None, description="An agent's fraud review decision (OrderReviewDecided)"
    )


ShipmentStatus = Literal[
    "requested",
    "booked",
    "dispatched",
    "in_transit",
    "failed_delivery",
    "delivered",
    "returned_to_sender",
    "cancelled",
    "ready_for_collection",
    "collected",
]
ShipmentKind = Literal["delivery", "store_pickup", "transfer"]


class Shipment(Strict):
    """The latest a carrier (or the warehouse) said about one shipment: the highest ``sequence`` wins."""

    shipment_id: str
    carrier: str | None = None
    tracking_number: str | None = None
    status: ShipmentStatus
    updated_at: str
    sequence: int = 0
    location_id: str | None = None
    kind: ShipmentKind | None = Field(default=None, description="From FulfilmentRequested")
    pickup_store: str | None = Field(default=None, description="Where a pickup or transfer is collected")

    def shown_status(self) -> ShipmentStatus:
        """The status as the shopper reads it: a transfer the carrier delivered is in the pickup store."""
        if self.kind == "transfer" and self.status == "delivered":
            return "ready_for_collection"
        return self.status

    def tracking_url(self) -> str | None:
        """Where the buyer follows the parcel on the carrier's own site."""
        if not self.tracking_number or self.carrier is None:
            return None
        template = TRACKING_PAGES.get(self.carrier)
        return template.format(number=self.tracking_number) if template else None


# The carriers' public tracking pages (the local stand-in has none: its parcels show no link).
TRACKING_PAGES: Mapping[str, str] = {
    "nova-poshta": "https://novaposhta.ua/tracking/?cargo_number={number}",
}

_SHIPMENT_STAGES: Mapping[str, Stage] = {
    "dispatched": Stage.DISPATCHED,
    "in_transit": Stage.IN_TRANSIT,
    "failed_delivery": Stage.IN_TRANSIT,
    "returned_to_sender": Stage.IN_TRANSIT,
    "ready_for_collection": Stage.READY_FOR_COLLECTION,
    "delivered": Stage.DELIVERED,
    "collected": Stage.COLLECTED,
}
_IN_STORE_OR_DONE = frozenset({"ready_for_collection", "delivered", "collected"})
_RANK = {stage: rank for rank, stage in enumerate(Stage)}


def later(first: Shipment | None, second: Shipment) -> Shipment:
    """The shipment as the newer of two reports says (by sequence; a tie keeps what is known)."""
    if first is None or second.sequence > first.sequence:
        return second
    return first


ELECTRONIC_LINES_FULFILLED = "ElectronicLinesFulfilled"


def _delivered_electronically(order: Order, entries: Sequence[TimelineEntry]) -> bool:
    """Every line is electronic and fulfilment fulfilled them: nothing of the order is ever shipped."""
    electronic_only = bool(order.lines) and all(line.digital for line in order.lines)
    return electronic_only and any(e.what == ELECTRONIC_LINES_FULFILLED for e in entries)


def stage_of(order: Order, entries: Iterable[TimelineEntry], shipments: Sequence[Shipment]) -> Stage:
    """Where the order is now, from everything known about it (in any order)."""
    entries = list(entries)
    if order.status is OrderStatus.CANCELLED or any(e.stage is Stage.CANCELLED for e in entries):
        return Stage.CANCELLED
    if _delivered_electronically(order, entries):
        return Stage.DELIVERED
    shown = [s.shown_status() for s in shipments if s.status != "cancelled"]
    if shown and all(status in ("delivered", "collected") for status in shown):
        return Stage.COLLECTED if all(status == "collected" for status in shown) else Stage.DELIVERED
    if shown and all(status in _IN_STORE_OR_DONE for status in shown):
        return Stage.READY_FOR_COLLECTION  # nothing on its way: what is left waits in the store
    moved = [_SHIPMENT_STAGES[status] for status in shown if status in _SHIPMENT_STAGES]
    if moved and all(stage in (Stage.READY_FOR_COLLECTION, Stage.COLLECTED) for stage in moved):
        return Stage.READY_FOR_COLLECTION  # the rest is still picked for the store: nothing with a carrier
    if moved:
        # Some shipment is on its way: the order is as far as its least advanced moving shipment.
        return Stage.IN_TRANSIT if any(s is not Stage.DISPATCHED for s in moved) else Stage.DISPATCHED
    reached = [e.stage for e in entries if e.stage is not None]
    if order.status is OrderStatus.PAYMENT_AUTHORIZED:
        reached.append(Stage.PAID)
    return max(reached, key=_RANK.__getitem__, default=Stage.PENDING_PAYMENT)


def sorted_timeline(order: Order, entries: Iterable[TimelineEntry]) -> list[TimelineEntry]:
    """The order's creation, then every entry by when it happened (ties by event id: stable)."""
    created = TimelineEntry(
        at=order.created_at,
        event_id=f"created:{order.id}",
        what="OrderCreated",
        stage=Stage.PENDING_PAYMENT if order.payment.provider == "stripe" else Stage.PAID,
        actor=Actor(kind="customer", id=_buyer_id(order)),  # a guest: "guest" (no account to name)
        reason=None,
    )
    unique = {e.event_id: e for e in entries}
    for capture in captures(order, unique.values()):
        unique[capture.event_id] = capture
    return [created, *sorted(unique.values(), key=lambda e: (e.at, e.event_id))]


def captures(order: Order, entries: Iterable[TimelineEntry]) -> list[TimelineEntry]:
    """Each shipment charge the order item shows captured, as its timeline entry: read from the order
    (in the same Query as the entries) rather than projected from ``PaymentCaptured``, which the rule no
    longer routes here (decision 73). A charge an earlier projection already entered is not repeated."""
    entered = {e.shipment_id for e in entries if e.what == "PaymentCaptured"}
    return [
        TimelineEntry(
            at=charge.captured_at or order.updated_at,
            event_id=f"captured:{order.id}:{charge.shipment_id}",
            what="PaymentCaptured",
            actor=Actor(kind="system", id="payment-tasks"),
            reason=f"captured {charge.amount.amount} {charge.amount.currency}",
            shipment_id=charge.shipment_id,
        )
        for charge in order.payment.shipments
        if charge.status == "captured" and charge.shipment_id not in entered
    ]


def _buyer_id(order: Order) -> str:
    return order.buyer.key if order.buyer.kind == "customer" else "guest"


def timeline_view(entry: TimelineEntry) -> dict[str, Any]:
    return entry.model_dump(mode="json", exclude_none=True)


def shipment_view(shipment: Shipment) -> dict[str, Any]:
    body = shipment.model_dump(mode="json", exclude={"sequence", "location_id"})
    body["status"] = shipment.shown_status()
    body["tracking_url"] = shipment.tracking_url()
    return body
