"""What a verified Stripe event (or the unpaid-order sweeper) does to an order.

Every handler reads the order, computes its next version with ``checkout.domain.orders`` and writes it
conditioned on the version read; a lost race re-reads and tries again. A transition that does not apply
(a replayed event, an event arriving after a later one) changes nothing, so handling an event twice,
or out of order, is harmless. The events that matter:

* ``payment_intent.amount_capturable_updated`` - authorised (manual capture: the money is held). The
  order is screened for fraud (velocity per customer, IP and card this hour, address mismatches, value)
  and becomes ``PAYMENT_AUTHORIZED`` in ONE transaction with the stock hold extended to the card
  authorisation's lifetime and the velocity counters counted. When the hold had already run out (the
  shopper paid long after the deadline), the authorisation is voided and the order cancelled.
* ``payment_intent.payment_failed`` - a declined card is recorded; the shopper may try another one.
* ``payment_intent.canceled`` - the order is cancelled (the stream releases its stock).
* ``payment_intent.succeeded`` - captured (when fulfilment captures); ``charge.refunded`` - refunded.

Events for PaymentIntents that are not an order's (metadata without our order id, or an older intent
of a checkout that was retried) are acknowledged and ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from checkout.domain import orders
from checkout.domain.fraud import (
    DEFAULT_POLICY,
    CardFunding,
    RiskAssessment,
    RiskPolicy,
    RiskSignals,
    VelocityDimension,
    assess,
    velocity_keys,
)
from checkout.domain.models import CancelReason, Order, OrderStatus, PaymentFailure
from checkout.domain.ports import (
    ChargeFacts,
    CheckoutStore,
    PaymentGateway,
    PaymentIntent,
    TransactionRefused,
)
from checkout.domain.records import order_update_item, velocity_count_items
from inventory.domain.reservations import extend_reservation_item
from shop_kernel.clock import Clock, isoformat
from shop_kernel.money import Money

MAX_ATTEMPTS = 5
# A card authorisation is valid for about seven days; the stock is held as long (fulfilment commits it).
AUTHORISED_HOLD = timedelta(days=7)


class OrderChanged(Exception):
    """The order was written by someone else since it was read."""


@dataclass(frozen=True)
class Outcome:
    """What handling one event did, for the log and the tests."""

    action: str
    order_id: str | None = None


def order_id_of(obj: dict[str, Any]) -> str | None:
    order_id = (obj.get("metadata") or {}).get("order_id")
    return order_id if isinstance(order_id, str) and order_id.startswith("ord_") else None


@dataclass
class PaymentEvents:
    store: CheckoutStore
    save: Callable[[Order, int], None]  # conditional put of one order version (raises OrderChanged)
    payments: PaymentGateway
    clock: Clock
    orders_table: str
    inventory_table: str
    policy: RiskPolicy = field(default_factory=lambda: DEFAULT_POLICY)

    def handle(self, event_type: str, obj: dict[str, Any], intent: PaymentIntent | None) -> Outcome:
        """``obj`` is the event's ``data.object``; ``intent`` the same as ours when it is a PaymentIntent."""
        if intent is not None and event_type == "payment_intent.amount_capturable_updated":
            return self.authorised(intent)
        if intent is not None and event_type == "payment_intent.payment_failed":
            return self._change(
                intent,
                lambda o: orders.payment_failed(o, self.clock.now(), _failure(intent, self.clock.now())),
                "failure recorded",
            )
        if intent is not None and event_type == "payment_intent.canceled":
            reason = CancelReason.PAYMENT_CANCELLED
            return self._change(intent, lambda o: orders.cancelled(o, self.clock.now(), reason), "cancelled")
        if intent is not None and event_type == "payment_intent.succeeded":
            received = Money.of(int(obj.get("amount_received") or 0), intent.currency)
            return self._change(
                intent, lambda o: orders.captured(o, self.clock.now(), received), "capture recorded"
            )
        if event_type == "charge.refunded":
            return self._refunded(obj)
        return Outcome("ignored: not an event orders react to")

    # --- authorisation --------------------------------------------------------------------------

    def authorised(self, intent: PaymentIntent) -> Outcome:
        for _ in range(MAX_ATTEMPTS):
            order = self._order(intent)
            if order is None:
                return Outcome("ignored: not an order's payment")
            if order.status is OrderStatus.CANCELLED:
                self.payments.cancel_intent(intent.id, "abandoned", f"{order.id}-void")
                return Outcome("late authorisation voided", order.id)
            if order.status is not OrderStatus.PENDING_PAYMENT:
                return Outcome("already authorised", order.id)
            if (intent.amount_capturable, intent.currency) != (
                order.payment.amount.amount,
                order.payment.amount.currency,
            ):
                return Outcome("ignored: authorised amount differs from the order", order.id)
            try:
                return self._place(order, intent)
            except OrderChanged:
                continue
        return Outcome("gave up: the order kept changing")  # pragma: no cover - retried by Stripe

    def _place(self, order: Order, intent: PaymentIntent) -> Outcome:
        now = self.clock.now()
        facts = self.payments.charge_facts(intent.latest_charge) if intent.latest_charge else None
        assessment, keys = self._screen(order, facts, now)
        updated = orders.authorised(
            order,
            now,
            facts.card if facts else None,
            facts.billing_country if facts else None,
            assessment.model_dump(mode="json"),
            assessment.needs_review,
        )
        assert updated is not None  # the caller checked PENDING_PAYMENT
        hold = int((now + AUTHORISED_HOLD).timestamp())
        entries = [
            order_update_item(self.orders_table, updated, order.version),
            extend_reservation_item(order.reservation_id, hold, table_name=self.inventory_table),
            *velocity_count_items(self.orders_table, keys, now),
        ]
        try:
            self.store.transact(entries)
        except TransactionRefused as refused:
            failed = {r.index for r in refused.refusals if r.code == "ConditionalCheckFailed"}
            if 1 in failed and 0 not in failed:
                return self._reservation_lapsed(order, intent)
            raise OrderChanged from refused
        outcome = "placed, held for review" if assessment.needs_review else "placed"
        return Outcome(outcome, order.id)

    def _screen(
        self, order: Order, facts: ChargeFacts | None, now: datetime
    ) -> tuple[RiskAssessment, list[Any]]:
        fingerprint = facts.card.fingerprint if facts else None
        customer = order.buyer.key if order.buyer.kind == "customer" else (order.buyer.email or "").lower()
        keys = velocity_keys(customer or None, order.client_ip, fingerprint, now)
        counts = self.store.velocity(keys)
        by_dimension = {key.dimension: counts.get(key, 0) + 1 for key in keys}
        shipping = order.shipping_address.country if order.shipping_address else order.destination_country
        funding = facts.card.funding if facts else None
        signals = RiskSignals(
            order_id=order.id,
            amount=order.payment.amount,
            orders_by_customer=by_dimension.get(VelocityDimension.CUSTOMER),
            orders_by_ip=by_dimension.get(VelocityDimension.IP),
            orders_by_card=by_dimension.get(VelocityDimension.CARD),
            shipping_country=shipping,
            billing_country=(facts.billing_country if facts else None) or _country(order.billing_address),
            card_country=facts.card.country if facts else None,
            guest=orders.is_guest(order),
            card_funding=CardFunding(funding) if funding in {f.value for f in CardFunding} else None,
            email=order.buyer.email,
        )
        return assess(signals, self.policy), keys

    def _reservation_lapsed(self, order: Order, intent: PaymentIntent) -> Outcome:
        """Paid after the stock hold ran out: the goods may be sold; give the money back at once."""
        self.payments.cancel_intent(intent.id, "abandoned", f"{order.id}-void")
        cancelled = orders.cancelled(order, self.clock.now(), CancelReason.RESERVATION_LAPSED)
        if cancelled is not None:
            self.save(cancelled, order.version)
        return Outcome("authorisation voided: the stock hold had lapsed", order.id)

    # --- other events ---------------------------------------------------------------------------

    def _order(self, intent: PaymentIntent) -> Order | None:
        order_id = order_id_of({"metadata": dict(intent.metadata)})
        order = self.store.order(order_id) if order_id else None
        if order is None or order.payment.intent_id != intent.id:
            return None
        return order

    def _change(self, intent: PaymentIntent, change: Callable[[Order], Order | None], done: str) -> Outcome:
        for _ in range(MAX_ATTEMPTS):
            order = self._order(intent)
            if order is None:
                return Outcome("ignored: not an order's payment")
            updated = change(order)
            if updated is None:
                return Outcome("nothing to change", order.id)
            try:
                self.save(updated, order.version)
            except OrderChanged:
                continue
            return Outcome(done, order.id)
        return Outcome("gave up: the order kept changing")  # pragma: no cover - retried by Stripe

    def _refunded(self, charge: dict[str, Any]) -> Outcome:
        intent_id = charge.get("payment_intent")
        if not isinstance(intent_id, str):
            return Outcome("ignored: a charge without a payment")
        currency = str(charge.get("currency") or "").upper()
        intent = PaymentIntent(
            id=intent_id, status="", amount=0, currency=currency, metadata=dict(charge.get("metadata") or {})
        )
        total = Money.of(int(charge.get("amount_refunded") or 0), currency)
        return self._change(intent, lambda o: orders.refunded(o, self.clock.now(), total), "refund recorded")

    # --- the sweeper ----------------------------------------------------------------------------

    def expire(self, order_id: str) -> Outcome:
        """An order past its payment deadline: placed after all if Stripe holds the money, else cancelled."""
        order = self.store.order(order_id)
        if order is None or order.status is not OrderStatus.PENDING_PAYMENT:
            return Outcome("not waiting for payment", order_id)
        if order.payment.intent_id is not None:
            intent = self.payments.retrieve_intent(order.payment.intent_id)
            if intent.status == "requires_capture":
                return self.authorised(intent)  # the webhook is late; do not cancel a paid order
            self.payments.cancel_intent(intent.id, "abandoned", f"{order.id}-expire")
        cancelled = orders.cancelled(order, self.clock.now(), CancelReason.PAYMENT_EXPIRED)
        if cancelled is None:  # pragma: no cover - checked above
            return Outcome("nothing to change", order_id)
        try:
            self.save(cancelled, order.version)
        except OrderChanged:
            return Outcome("changed meanwhile; the next sweep looks again", order_id)
        return Outcome("expired", order_id)


def _failure(intent: PaymentIntent, now: datetime) -> PaymentFailure:
    error = dict(intent.last_error or {})
    return PaymentFailure(
        code=error.get("code"),
        decline_code=error.get("decline_code"),
        message=error.get("message"),
        at=isoformat(now),
    )


def _country(address: Any) -> str | None:
    return address.country if address is not None else None
