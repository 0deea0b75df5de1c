"""Pure order logic: the order a priced cart becomes, and each change of its state.

* ``checkout_ref`` names one checkout request (the buyer plus their ``Idempotency-Key``).
* ``order_id_for`` is deterministic: one cart version checked out by one request is always the same
  order id, so a retry after a crash creates neither a second order nor a second PaymentIntent (whose
  idempotency key is made from the order id). It is a proper ULID whose time is the cart's last change.
* ``contact_for`` checks the request body against the cart (addresses where the cart was priced for).
* ``screened`` records the fraud assessment of an order placed without a card (gift certificates).
* ``authorised``, ``payment_failed``, ``cancelled``, ``refunded`` are the transitions the payment
  webhooks and the sweeper apply; each returns the next version, or None when there is nothing to do
  (a replayed or out-of-order event), so callers stay idempotent.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from ulid import ULID

from cart.domain.models import OwnerKind, SkuFacts, StoredCart
from checkout.domain.body import CheckoutBody
from inventory.domain.allocation import Fulfilment, ReservationPlan
from orders.domain.models import (
    Address,
    Buyer,
    CancelReason,
    CardSummary,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentFailure,
    PointsTender,
    StatusChange,
)
from pricing.domain import PricedCart
from shop_kernel.clock import isoformat
from shop_kernel.errors import ValidationFailed
from shop_kernel.money import Money


def checkout_ref(buyer: Buyer, idempotency_key: str) -> str:
    """One checkout request: the same key from another buyer is another request."""
    digest = hashlib.sha256(f"{buyer.kind}\x1f{buyer.key}\x1f{idempotency_key}".encode()).hexdigest()
    return digest[:32]


def order_id_for(cart: StoredCart, ref: str) -> str:
    """``ord_<ULID>``: the cart's last change as the time part, (cart, version, request) as the rest."""
    moment = datetime.fromisoformat(cart.updated_at.replace("Z", "+00:00"))
    millis = int(moment.timestamp() * 1000)
    entropy = hashlib.sha256(f"{cart.id}\x1f{cart.version}\x1f{ref}".encode()).digest()[:10]
    return f"ord_{ULID.from_bytes(millis.to_bytes(6, 'big') + entropy)}"


def reservation_id_for(order_id: str) -> str:
    return "res_" + order_id.removeprefix("ord_")


@dataclass(frozen=True)
class Contact:
    email: str
    phone: str | None
    shipping_address: Address | None
    billing_address: Address | None


def contact_for(
    body: CheckoutBody, buyer: Buyer, cart: StoredCart, store_country: str | None, *, ships: bool = True
) -> Contact:
    """The order's contact details; 422 naming the field when they do not fit the cart. An order that
    ``ships`` nothing (electronic goods only) needs no address: the e-mail is where it is delivered."""
    email = body.email or buyer.email
    if email is None:
        raise ValidationFailed.on("body.email", "an e-mail address is needed for the receipt", "missing")
    shipping = body.shipping_address
    if not ships and shipping is None:
        return Contact(
            email=email, phone=body.phone, shipping_address=None, billing_address=body.billing_address
        )
    if cart.pickup_location_id is not None:
        if shipping is not None:
            message = "orders collected in a store have no shipping address: leave it out"
            raise ValidationFailed.on("body.shipping_address", message, "not_for_pickup")
        if store_country != cart.destination_country:
            message = f"the store is in {store_country}, the cart is priced for {cart.destination_country}"
            raise ValidationFailed.on("cart.destination_country", message, "destination_mismatch")
    elif shipping is None:
        raise ValidationFailed.on(
            "body.shipping_address", "where should we deliver the order?", "delivery_needs_address"
        )
    elif shipping.name is None:
        message = "who receives the parcel? give the recipient's name"
        raise ValidationFailed.on("body.shipping_address.name", message, "missing")
    elif shipping.country != cart.destination_country:
        message = f"the cart is priced for delivery to {cart.destination_country}: change it there first"
        raise ValidationFailed.on("body.shipping_address.country", message, "destination_mismatch")
    return Contact(
        email=email,
        phone=body.phone or (shipping.phone if shipping else None),
        shipping_address=shipping,
        billing_address=body.billing_address or shipping,
    )


def fulfilment_of(cart: StoredCart) -> Fulfilment:
    if cart.pickup_location_id is not None:
        return Fulfilment(mode="pickup", location_id=cart.pickup_location_id)
    return Fulfilment(mode="delivery")


# A card authorisation is valid for about seven days; the stock is held as long (fulfilment commits it).
AUTHORISED_HOLD = timedelta(days=7)


@dataclass(frozen=True)
class OrderTerms:
    """How long a new order waits for payment, and how much longer its stock is held.

    An order nothing is due on by card (gift certificates paid it all) is placed at once: its stock is
    held as long as an authorised card payment's, not for the payment window.
    """

    payment_window: timedelta = timedelta(minutes=30)
    reservation_margin: timedelta = timedelta(minutes=15)
    authorised_hold: timedelta = AUTHORISED_HOLD

    @property
    def reservation_ttl(self) -> timedelta:
        return self.payment_window + self.reservation_margin

    def hold(self, paid_by_card: bool) -> timedelta:
        """How long a new order's stock is held: until the payment deadline, or as if authorised."""
        return self.reservation_ttl if paid_by_card else self.authorised_hold


def new_order(
    order_id: str,
    cart: StoredCart,
    buyer: Buyer,
    contact: Contact,
    priced: PricedCart,
    plan: ReservationPlan,
    facts: dict[str, SkuFacts],
    ref: str,
    now: datetime,
    terms: OrderTerms,
    client_ip: str | None,
    points: PointsTender | None = None,
) -> Order:
    """The order a priced cart becomes; loyalty ``points`` (if any) pay part of what is due after gift
    certificates, so the card is asked for less (``totals.amount_due`` and ``payment.amount``)."""
    at = isoformat(now)
    due = priced.totals.amount_due - points.amount if points else priced.totals.amount_due
    paid_by_card = due.amount > 0
    status = OrderStatus.PENDING_PAYMENT if paid_by_card else OrderStatus.PAYMENT_AUTHORIZED
    note = None if paid_by_card else _paid_without_card(priced, points)
    return Order(
        id=order_id,
        status=status,
        buyer=buyer.model_copy(update={"email": contact.email}),
        cart_id=cart.id,
        checkout_ref=ref,
        currency=priced.currency,
        tax_display=priced.tax_display,
        destination_country=cart.destination_country,
        lines=tuple(
            OrderLine(**line.model_dump(), name=dict(facts[line.sku].name), digital=facts[line.sku].digital)
            for line in priced.lines
        ),
        shipping=priced.shipping,
        totals=priced.totals.model_copy(update={"amount_due": due}),
        applied_promotions=tuple(priced.applied_promotions),
        promo_codes=tuple(r.code for r in priced.redemptions.promo_codes),
        code_redemptions=tuple(priced.redemptions.promo_codes),
        gift_certificates=tuple(t for t in priced.gift_certificates if t.amount.amount > 0),
        points=points,
        fulfilment=plan.fulfilment,
        allocations=plan.allocations,
        shipping_address=contact.shipping_address,
        billing_address=contact.billing_address,
        phone=contact.phone,
        reservation_id=reservation_id_for(order_id),
        reservation_expires_at=int((now + terms.hold(paid_by_card)).timestamp()),
        payment=Payment(
            provider="stripe" if paid_by_card else "none",
            amount=due,
            status="requires_payment" if paid_by_card else "not_required",
            authorized_at=None if paid_by_card else at,
        ),
        client_ip=client_ip,
        created_at=at,
        updated_at=at,
        payment_due_by=isoformat(now + terms.payment_window),
        history=(StatusChange(at=at, status=status, note=note),),
    )


def _paid_without_card(priced: PricedCart, points: PointsTender | None) -> str:
    if points is None:
        return "paid in full by gift certificates"
    if priced.totals.gift_certificates.amount > 0:
        return "paid in full by gift certificates and points"
    return "paid in full by points"


def intent_key(order: Order) -> str:
    """Stripe idempotency key of the order's PaymentIntent (the amount is part of what is promised)."""
    return f"{order.id}-intent-{order.payment.amount.amount}{order.payment.amount.currency}"


def with_intent(order: Order, intent_id: str) -> Order:
    return order.model_copy(update={"payment": order.payment.model_copy(update={"intent_id": intent_id})})


def _next(order: Order, now: datetime, status: OrderStatus, note: str | None, **changes: object) -> Order:
    at = isoformat(now)
    history = order.history
    if status is not order.status or note:
        history = (*history, StatusChange(at=at, status=status, note=note))
    return order.model_copy(
        update={
            **changes,
            "status": status,
            "version": order.version + 1,
            "updated_at": at,
            "history": history,
        }
    )


def authorised(
    order: Order,
    now: datetime,
    card: CardSummary | None,
    billing_country: str | None,
    risk: dict[str, object] | None,
    review_required: bool,
) -> Order | None:
    """The payment is authorised (held): the order is placed. None if it was handled already."""
    if order.status is not OrderStatus.PENDING_PAYMENT:
        return None
    payment = order.payment.model_copy(
        update={
            "status": "authorized",
            "authorized_at": isoformat(now),
            "card": card,
            "billing_country": billing_country,
        }
    )
    note = "held for fraud review" if review_required else None
    return _next(
        order,
        now,
        OrderStatus.PAYMENT_AUTHORIZED,
        note,
        payment=payment,
        risk=risk,
        review_required=review_required,
    )


def screened(order: Order, risk: dict[str, object], review_required: bool) -> Order:
    """An order placed without a card payment (gift certificates paid it), with its fraud assessment."""
    history = order.history
    if review_required:
        history = (
            *history,
            StatusChange(at=order.updated_at, status=order.status, note="held for fraud review"),
        )
    return order.model_copy(update={"risk": risk, "review_required": review_required, "history": history})


def is_cancellation(before: Order, after: Order) -> bool:
    """This change cancels the order: what it redeemed is given back in the same write."""
    return after.status is OrderStatus.CANCELLED and before.status is not OrderStatus.CANCELLED


def payment_failed(order: Order, now: datetime, failure: PaymentFailure) -> Order | None:
    """A card was declined; the shopper may try another one until the payment deadline."""
    if order.status is not OrderStatus.PENDING_PAYMENT:
        return None
    payment = order.payment.model_copy(
        update={"failures": order.payment.failures + 1, "last_failure": failure}
    )
    return _next(order, now, order.status, f"payment failed: {failure.code or 'declined'}", payment=payment)


def cancelled(order: Order, now: datetime, reason: CancelReason) -> Order | None:
    """The order will not be fulfilled; the stream then releases its stock. None if already cancelled, or
    if fulfilment shipped (or is capturing) part of it: then a cancelled PaymentIntent only released what
    no shipment will capture, and the order goes on."""
    if order.status is OrderStatus.CANCELLED or order.payment.shipments:
        return None
    payment = order.payment.model_copy(
        update={"status": "cancelled" if order.payment.provider == "stripe" else order.payment.status}
    )
    return _next(
        order,
        now,
        OrderStatus.CANCELLED,
        reason.value,
        payment=payment,
        cancelled_at=isoformat(now),
        cancel_reason=reason,
    )


def refunded(order: Order, now: datetime, total_refunded: Money) -> Order | None:
    """Stripe reports the charge's refunded total; only an increase changes the order."""
    before = order.payment.refunded
    if before is not None and total_refunded.amount <= before.amount:
        return None
    payment = order.payment.model_copy(update={"refunded": total_refunded})
    note = f"refunded {total_refunded.format()} in total"
    return _next(order, now, order.status, note, payment=payment)


def captured(order: Order, now: datetime, amount: Money) -> Order | None:
    before = order.payment.captured
    if before is not None and amount.amount <= before.amount:
        return None
    payment = order.payment.model_copy(update={"captured": amount})
    return _next(order, now, order.status, f"captured {amount.format()}", payment=payment)


def is_guest(order: Order) -> bool:
    return order.buyer.kind == OwnerKind.GUEST.value
