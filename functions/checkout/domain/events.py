"""Events checkout publishes, and how a change of an order item becomes them.

Published from the orders table's stream, so an event exists exactly when its change was committed:

* ``OrderPlaced`` - the order's payment is authorised (or gift certificates paid it all): it will be
  fulfilled. ERP, notifications and the fulfilment workflow start here. ``review_required`` says the
  fraud screening wants a person to look first.
* ``OrderCancelled`` - it will not be fulfilled (payment cancelled, not paid in time, paid too late).
* ``PaymentFailed`` - a card was declined; the order still waits for payment until ``pay_by``.
* ``PaymentRefunded`` - money went back to the card (the refunded total so far).
* ``PaymentDriftFound`` - the scheduled reconciler found orders and PaymentIntents that disagree
  (published by the reconciler itself, not the stream; ids only, no personal data).

Event ids are derived from (order, event, and for repeatable events the count), so a replayed stream
record publishes the same id and consumers drop the duplicate.

Events carry ids, never personal data: the bus archive keeps every event for its retention and cannot
erase one, so an email, name, address or phone there could never be deleted on request. Version 2.0
dropped ``email`` and ``shipping_address`` (v1.0); a consumer that must reach the buyer reads the order by
id (the staff order API, ``GET /admin/orders/{order_id}``), where erasure is possible. ``OrderPlaced`` 2.1
adds ``promotions``: each promotion's discount on the order (and the code that unlocked it), which pricing's
campaign report counts; a consumer of 2.0 ignores it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field

from checkout.domain.models import Order, OrderStatus
from shop_kernel.events import DomainEvent, make_event
from shop_kernel.money import Money

SOURCE = "shop.checkout"
SCHEMA_VERSION = "2.0"
_NAMESPACE = uuid.UUID("6f1d2c3b-8a4e-4f5d-9c6b-1a2e3d4c5b6a")


class EventModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PlacedLine(EventModel):
    sku: str
    name: str = Field(description="Product name (English, else the first locale) at purchase")
    quantity: int = Field(ge=1)
    unit_price: Money
    discount_total: Money
    tax: Money
    total: Money


class PlacedTotals(EventModel):
    subtotal: Money
    discount_total: Money
    shipping: Money
    tax_total: Money
    grand_total: Money
    gift_certificates: Money
    amount_due: Money


class Fulfilment(EventModel):
    mode: str = Field(description="delivery or pickup")
    location_id: str | None = Field(default=None, description="The pickup store")


class PlacedPromotion(EventModel):
    promotion_id: str
    code: str | None = Field(default=None, description="The promo code that unlocked it; None: automatic")
    amount: Money = Field(description="What the promotion took off this order (lines and shipping)")


class OrderPlaced(EventModel):
    """A paid (authorised) order to fulfil."""

    order_id: str
    placed_at: str
    customer_id: str | None = Field(default=None, description="Cognito sub; None for a guest")
    currency: str
    lines: list[PlacedLine]
    totals: PlacedTotals
    fulfilment: Fulfilment
    destination_country: str = Field(description="ISO 3166-1 alpha-2: where it is delivered or collected")
    reservation_id: str
    payment_intent_id: str | None = None
    review_required: bool
    promotions: list[PlacedPromotion] = Field(
        default_factory=list, description="Since 2.1: the promotions applied, with their discount"
    )
    guest_key: str | None = Field(
        default=None,
        description=(
            "Since 2.2, guest orders only: HMAC-SHA256 of the buyer's normalised e-mail under the stack's "
            "secret (shop_kernel.guest_keys), never the e-mail; loyalty holds the order's points against it "
            "for the guest to claim after signing up"
        ),
    )


class OrderCancelled(EventModel):
    order_id: str
    reason: str = Field(description="payment_expired, payment_cancelled or reservation_lapsed")
    cancelled_at: str
    reservation_id: str
    was_placed: bool = Field(description="True when OrderPlaced had been published for it")


class PaymentFailed(EventModel):
    order_id: str
    attempt: int = Field(ge=1)
    code: str | None = None
    decline_code: str | None = None
    message: str | None = None
    failed_at: str
    pay_by: str


class PaymentRefunded(EventModel):
    order_id: str
    refunded_total: Money
    grand_total: Money
    refunded_at: str


class PaymentDriftItem(EventModel):
    kind: str = Field(description="What differs (checkout.domain.reconciliation.PaymentDriftKind)")
    repair: str = Field(description="void, authorise, record_capture, or flag (left to ops)")
    repaired: bool
    intent_id: str
    order_id: str | None = None
    detail: str


class PaymentDriftFound(EventModel):
    """A reconciliation run found orders and Stripe PaymentIntents that disagree (ids only)."""

    run_at: str
    intents_checked: int = Field(ge=0)
    orders_checked: int = Field(ge=0)
    found: dict[str, int] = Field(description="Drifts found, by kind")
    repaired: dict[str, int] = Field(description="Drifts put right by the run, by kind")
    drifts: list[PaymentDriftItem] = Field(description="The first 100 drifts (see truncated)")
    truncated: bool = False


EVENT_MODELS: dict[str, type[EventModel]] = {
    "OrderPlaced": OrderPlaced,
    "OrderCancelled": OrderCancelled,
    "PaymentFailed": PaymentFailed,
    "PaymentRefunded": PaymentRefunded,
    "PaymentDriftFound": PaymentDriftFound,
}
# Events that joined after the context's last bump keep their own first version.
EVENT_VERSIONS: dict[str, str] = {"PaymentDriftFound": "1.0", "OrderPlaced": "2.2"}


def event_id(order_id: str, detail_type: str, occurrence: int = 1) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{order_id}:{detail_type}:{occurrence}"))


def _event(detail_type: str, data: EventModel, order: Order, at: str, occurrence: int = 1) -> DomainEvent:
    return make_event(
        SOURCE,
        detail_type,
        data,
        version=EVENT_VERSIONS.get(detail_type, SCHEMA_VERSION),
        occurred_at=at,
        event_id=event_id(order.id, detail_type, occurrence),
        correlation_id=order.id,
    )


def order_placed(order: Order, guest_key: Callable[[str], str] | None = None) -> DomainEvent:
    """``guest_key``: the keyed hash of a guest's e-mail (a guest order without one carries none)."""
    at = order.payment.authorized_at or order.updated_at
    email = order.buyer.email if order.buyer.kind == "guest" else None
    lines = [
        PlacedLine(
            sku=line.sku,
            name=line.name.get("en") or next(iter(line.name.values()), line.sku),
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount_total=line.discount_total,
            tax=line.tax,
            total=line.total,
        )
        for line in order.lines
    ]
    data = OrderPlaced(
        order_id=order.id,
        placed_at=at,
        customer_id=order.buyer.key if order.buyer.kind == "customer" else None,
        currency=order.currency,
        lines=lines,
        totals=PlacedTotals(**order.totals.model_dump()),
        fulfilment=Fulfilment(mode=order.fulfilment.mode, location_id=order.fulfilment.location_id),
        destination_country=order.destination_country,
        reservation_id=order.reservation_id,
        payment_intent_id=order.payment.intent_id,
        review_required=order.review_required,
        promotions=[
            PlacedPromotion(promotion_id=p.promotion_id, code=p.code, amount=p.amount)
            for p in order.applied_promotions
        ],
        guest_key=guest_key(email) if email and guest_key is not None else None,
    )
    return _event("OrderPlaced", data, order, at)


def events_for_change(
    old: Order | None, new: Order | None, guest_key: Callable[[str], str] | None = None
) -> list[DomainEvent]:
    """The events one committed change of an order item means (none for most changes)."""
    if new is None:
        return []
    events: list[DomainEvent] = []
    was = old.status if old is not None else None
    if new.status is OrderStatus.PAYMENT_AUTHORIZED and was is not OrderStatus.PAYMENT_AUTHORIZED:
        events.append(order_placed(new, guest_key))
    if new.status is OrderStatus.CANCELLED and was is not OrderStatus.CANCELLED:
        data = OrderCancelled(
            order_id=new.id,
            reason=(new.cancel_reason.value if new.cancel_reason else "cancelled"),
            cancelled_at=new.cancelled_at or new.updated_at,
            reservation_id=new.reservation_id,
            was_placed=was is OrderStatus.PAYMENT_AUTHORIZED,
        )
        events.append(_event("OrderCancelled", data, new, data.cancelled_at))
    events += _payment_events(old, new)
    return events


def _payment_events(old: Order | None, new: Order) -> list[DomainEvent]:
    events: list[DomainEvent] = []
    failures_before = old.payment.failures if old is not None else 0
    failure = new.payment.last_failure
    if new.payment.failures > failures_before and failure is not None:
        data = PaymentFailed(
            order_id=new.id,
            attempt=new.payment.failures,
            code=failure.code,
            decline_code=failure.decline_code,
            message=failure.message,
            failed_at=failure.at,
            pay_by=new.payment_due_by,
        )
        events.append(_event("PaymentFailed", data, new, failure.at, new.payment.failures))
    refunded_before = old.payment.refunded.amount if old is not None and old.payment.refunded else 0
    refunded = new.payment.refunded
    if refunded is not None and refunded.amount > refunded_before:
        data_refund = PaymentRefunded(
            order_id=new.id,
            refunded_total=refunded,
            grand_total=new.totals.grand_total,
            refunded_at=new.updated_at,
        )
        events.append(_event("PaymentRefunded", data_refund, new, new.updated_at, refunded.amount))
    return events
