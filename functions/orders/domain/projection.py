"""What each event other contexts publish means on an order's timeline.

``project(event)`` reads the fields the orders context needs from the versioned event (never another
context's table) and answers the timeline entry and, for a shipment's news, the shipment's new state;
None for an event about no order or one the timeline does not show. Who or what made the change comes
from the event: a carrier for tracking, the agent or customer a cancellation request names, otherwise
the system function of the publishing context.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from orders.domain.models import ShippedLine
from orders.domain.timeline import Actor, Shipment, Stage, TimelineEntry


class Envelope(BaseModel):
    """An EventBridge event as the queue delivers it (``source``, ``detail-type``, ``detail``)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    source: str
    detail_type: str
    detail: dict[str, Any]

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> Envelope:
        return cls(source=raw["source"], detail_type=raw["detail-type"], detail=raw["detail"])

    @property
    def data(self) -> dict[str, Any]:
        return dict(self.detail.get("data") or {})

    @property
    def event_id(self) -> str:
        return str((self.detail.get("metadata") or {}).get("eventId") or "")

    @property
    def occurred_at(self) -> str:
        return str((self.detail.get("metadata") or {}).get("occurredAt") or "")


@dataclass(frozen=True)
class Projected:
    order_id: str
    entry: TimelineEntry
    shipment: Shipment | None = None


def _lines(raw: Any) -> tuple[ShippedLine, ...] | None:
    if raw is None:
        return None
    return tuple(ShippedLine(sku=line["sku"], quantity=line["quantity"]) for line in raw)


def _system(function: str) -> Actor:
    return Actor(kind="system", id=function)


def _requester(raw: Mapping[str, Any] | None, fallback: str) -> Actor:
    if raw and raw.get("kind") in ("customer", "agent") and raw.get("id"):
        return Actor(kind=raw["kind"], id=str(raw["id"]))
    return _system(fallback)


def _entry(event: Envelope, at: str, actor: Actor, **fields: Any) -> TimelineEntry:
    return TimelineEntry(
        at=at or event.occurred_at, event_id=event.event_id, what=event.detail_type, actor=actor, **fields
    )


def _placed(event: Envelope, data: dict[str, Any]) -> Projected:
    reason = "held for fraud review" if data.get("review_required") else None
    entry = _entry(event, data["placed_at"], _system("checkout-events"), stage=Stage.PAID, reason=reason)
    return Projected(data["order_id"], entry)


def _cancelled(event: Envelope, data: dict[str, Any]) -> Projected:
    at = data.get("cancelled_at") or event.occurred_at
    actor = _requester(
        data.get("requested_by"), "checkout-events" if event.source == "shop.checkout" else "fulfilment"
    )
    entry = _entry(event, at, actor, stage=Stage.CANCELLED, reason=data.get("reason"))
    return Projected(data["order_id"], entry)


def _payment_failed(event: Envelope, data: dict[str, Any]) -> Projected:
    reason = data.get("decline_code") or data.get("code") or "declined"
    entry = _entry(event, data["failed_at"], _system("stripe-webhooks"), reason=f"payment failed: {reason}")
    return Projected(data["order_id"], entry)


def _refunded(event: Envelope, data: dict[str, Any]) -> Projected:
    total = data["refunded_total"]
    entry = _entry(
        event,
        data["refunded_at"],
        _system("stripe-webhooks"),
        reason=f"refunded {total['amount']} {total['currency']} in total",
    )
    return Projected(data["order_id"], entry)


def _captured(event: Envelope, data: dict[str, Any]) -> Projected:
    amount = data["amount"]
    entry = _entry(
        event,
        data["captured_at"],
        _system("payment-tasks"),
        reason=f"captured {amount['amount']} {amount['currency']}",
        shipment_id=data.get("shipment_id"),
    )
    return Projected(data["order_id"], entry)


def _requested(event: Envelope, data: dict[str, Any]) -> Projected:
    at = data["requested_at"]
    entry = _entry(
        event,
        at,
        _system("fulfilment-tasks"),
        stage=Stage.CONFIRMED,
        reason=f"sent to {data['location_id']} to pick and pack",
        shipment_id=data["shipment_id"],
        lines=_lines(data.get("lines")),
    )
    kind = data.get("kind")
    pickup_store = data.get("transfer_to") or (data["location_id"] if kind == "store_pickup" else None)
    shipment = Shipment(
        shipment_id=data["shipment_id"],
        status="requested",
        updated_at=at,
        location_id=data["location_id"],
        kind=kind,
        pickup_store=pickup_store,
    )
    return Projected(data["order_id"], entry, shipment)


# The pickup store speaks after the carrier's last word (a transfer's "delivered" to the store): its
# reports rank above any carrier sequence, so a late carrier update cannot hide them.
READY_SEQUENCE, COLLECTED_SEQUENCE = 1_000_000, 1_000_001


def _in_store(
    event: Envelope, data: dict[str, Any], at: str, by: str, status: str, sequence: int, reason: str
) -> Projected:
    """The pickup store's report on a shipment it holds (ready for collection, collected)."""
    entry = _entry(event, data[at], _system(by), reason=reason, shipment_id=data["shipment_id"])
    shipment = Shipment(
        shipment_id=data["shipment_id"],
        status=status,
        updated_at=data[at],
        sequence=sequence,
        kind=data["kind"],
        pickup_store=data["location_id"],
    )
    return Projected(data["order_id"], entry, shipment)


def _ready(event: Envelope, data: dict[str, Any]) -> Projected:
    reason = f"ready for collection in {data['location_id']} until {data['collect_by']}"
    return _in_store(
        event, data, "ready_at", "fulfilment-tasks", "ready_for_collection", READY_SEQUENCE, reason
    )


def _collected(event: Envelope, data: dict[str, Any]) -> Projected:
    reason = f"collected in {data['location_id']}"
    return _in_store(event, data, "collected_at", "fulfilment-api", "collected", COLLECTED_SEQUENCE, reason)


def _confirmed(event: Envelope, data: dict[str, Any]) -> Projected:
    entry = _entry(
        event, data["confirmed_at"], _system("fulfilment"), stage=Stage.CONFIRMED, reason=data.get("reason")
    )
    return Projected(data["order_id"], entry)


def _electronic_fulfilled(event: Envelope, data: dict[str, Any]) -> Projected:
    """An order's electronic lines were charged (after its review): it is confirmed, as by a first pick;
    an order of nothing else is delivered too (``timeline.stage_of``: the lines are the order's)."""
    entry = _entry(
        event,
        data["fulfilled_at"],
        _system("fulfilment-tasks"),
        stage=Stage.CONFIRMED,
        reason="electronic lines charged",
    )
    return Projected(data["order_id"], entry)


def _dropped(event: Envelope, data: dict[str, Any]) -> Projected:
    entry = _entry(
        event,
        data["dropped_at"],
        _system("fulfilment-api"),
        reason=data.get("reason"),
        shipment_id=data["shipment_id"],
        lines=_lines(data.get("lines")),
    )
    return Projected(data["order_id"], entry)


def _shipment_status(event: Envelope, data: dict[str, Any]) -> Projected:
    status = data["status"]
    entry = _entry(
        event,
        data["occurred_at"],
        Actor(kind="carrier", id=data["carrier"]),
        reason=status,
        shipment_id=data["shipment_id"],
    )
    shipment = Shipment(
        shipment_id=data["shipment_id"],
        carrier=data["carrier"],
        tracking_number=data.get("tracking_number"),
        status=status,
        updated_at=data["occurred_at"],
        # Fulfilment's request is sequence 0: any carrier news is newer.
        sequence=int(data["sequence"]),
    )
    return Projected(data["order_id"], entry, shipment)


def _lines_cancelled(event: Envelope, data: dict[str, Any]) -> Projected:
    released = data.get("amount_released") or {}
    reason = (
        f"lines cancelled, {released.get('amount')} {released.get('currency')} released"
        if released
        else "lines cancelled"
    )
    lines = _lines(data.get("lines")) or ()
    entry = _entry(
        event,
        data.get("cancelled_at") or event.occurred_at,
        _system("fulfilment"),
        reason=reason,
        lines=lines,
    )
    return Projected(data["order_id"], entry)


def _refused(event: Envelope, data: dict[str, Any]) -> Projected:
    entry = _entry(
        event, data.get("refused_at") or event.occurred_at, _system("fulfilment"), reason=data.get("reason")
    )
    return Projected(data["order_id"], entry)


PROJECTIONS: Mapping[tuple[str, str], Callable[[Envelope, dict[str, Any]], Projected]] = {
    ("shop.checkout", "OrderPlaced"): _placed,
    ("shop.checkout", "OrderCancelled"): _cancelled,
    ("shop.checkout", "PaymentFailed"): _payment_failed,
    ("shop.checkout", "PaymentRefunded"): _refunded,
    ("shop.checkout", "PaymentCaptured"): _captured,
    ("shop.fulfilment", "FulfilmentRequested"): _requested,
    ("shop.fulfilment", "OrderConfirmed"): _confirmed,
    ("shop.fulfilment", "ElectronicLinesFulfilled"): _electronic_fulfilled,
    ("shop.fulfilment", "OrderLinesDropped"): _dropped,
    ("shop.fulfilment", "ShipmentReadyForCollection"): _ready,
    ("shop.fulfilment", "ShipmentCollected"): _collected,
    ("shop.fulfilment", "OrderCancelled"): _cancelled,
    ("shop.fulfilment", "OrderLinesCancelled"): _lines_cancelled,
    ("shop.fulfilment", "OrderCancellationRefused"): _refused,
    ("shop.carriers", "ShipmentStatusChanged"): _shipment_status,
}


class UnreadableEvent(Exception):
    """The event lacks what its schema promises: a bug upstream, kept on the DLQ rather than dropped."""


def project(event: Envelope) -> Projected | None:
    """The timeline entry (and shipment) ``event`` means; None when it is not about an order's timeline."""
    projection = PROJECTIONS.get((event.source, event.detail_type))
    if projection is None:
        return None
    try:
        return projection(event, event.data)
    except (KeyError, TypeError, ValueError, ValidationError) as exc:
        raise UnreadableEvent(f"{event.source} {event.detail_type} {event.event_id}: {exc}") from exc
