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
* ``payment_intent.canceled`` - the order is cancelled (the stream releases its stock). Every
  cancellation (this one, the sweeper's, a lapsed hold's, fulfilment's void) gives back the order's promo
  code uses, gift certificate debits and loyalty points in the same transaction, conditioned on the
  order's version: exactly once.
* ``payment_intent.succeeded`` - captured (when fulfilment captures); ``charge.refunded`` - refunded.

The buyer's cancellation of an order still waiting for payment (``cancel_unpaid``, from the orders
context's ``OrderCancellationRequested``) runs the sweeper's compensations at once.

Events for PaymentIntents that are not an order's (metadata without our order id, or an older intent
of a checkout that was retried) are acknowledged and ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from loyalty.domain.certificates import CertificateLedgerMismatch
from loyalty.domain.errors import NothingToRestore, PointsAlreadyRestored

from checkout.domain import orders
from checkout.domain.fraud import DEFAULT_POLICY, RiskPolicy
from checkout.domain.ports import CheckoutStore, PaymentGateway, PaymentIntent
from checkout.domain.screening import screen
from inventory.domain.reservations import HoldLapsed
from orders.domain.errors import OrderChanged
from orders.domain.models import CancelReason, Order, OrderStatus, PaymentFailure
from pricing.domain import LedgerMismatch
from shop_kernel.clock import Clock, isoformat
from shop_kernel.money import Money
from shop_kernel.transact import WriteContended

MAX_ATTEMPTS = 5
AUTHORISED_HOLD = orders.AUTHORISED_HOLD


class GiveBackRefused(Exception):
    """Cancelling would give back a code use, a certificate debit or points the ledger does not show:
    nothing was written, and the order stays as it was until someone looks (a ledger error, never a
    race)."""

    def __init__(self, order_id: str, code: str) -> None:
        super().__init__(f"{order_id}: giving back {code} was refused")
        self.order_id = order_id
        self.code = code


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
        assessment, keys = screen(order, facts, self.store, self.policy, now)
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
        work = self.store.unit_of_work()
        work.update_order(updated, order.version)
        work.extend_hold(order.reservation_id, hold)
        work.count_velocity(keys, now)
        try:
            work.commit()
        except HoldLapsed:
            return self._reservation_lapsed(order, intent)
        except WriteContended as contended:
            raise OrderChanged from contended
        outcome = "placed, held for review" if assessment.needs_review else "placed"
        return Outcome(outcome, order.id)

    def _reservation_lapsed(self, order: Order, intent: PaymentIntent) -> Outcome:
        """Paid after the stock hold ran out: the goods may be sold; give the money back at once."""
        self.payments.cancel_intent(intent.id, "abandoned", f"{order.id}-void")
        cancelled = orders.cancelled(order, self.clock.now(), CancelReason.RESERVATION_LAPSED)
        if cancelled is not None:
            self._write(order, cancelled)
        return Outcome("authorisation voided: the stock hold had lapsed", order.id)

    def _write(self, before: Order, after: Order) -> None:
        """Save ``after`` over ``before``'s version; a cancellation gives back its redemptions with it."""
        if not orders.is_cancellation(before, after):
            self.save(after, before.version)
            return
        at = after.cancelled_at or after.updated_at
        work = self.store.unit_of_work()
        work.update_order(after, before.version)  # first: a lost version race is OrderChanged, whatever else
        for redemption in after.code_redemptions:
            work.restore_code(redemption)
        for tender in after.gift_certificates:
            if tender.amount.amount > 0:
                work.restore_certificate(tender.code, tender.amount, after.id, at)
        if after.points is not None:
            work.restore_points(after.points, after.id, at)
        try:
            work.commit()
        except (LedgerMismatch, CertificateLedgerMismatch) as refused:
            raise GiveBackRefused(before.id, refused.code) from refused
        except (PointsAlreadyRestored, NothingToRestore) as refused:
            raise GiveBackRefused(before.id, "loyalty points") from refused
        except WriteContended as contended:
            raise OrderChanged from contended

    def cancel(self, order_id: str, reason: CancelReason) -> Outcome:
        """Fulfilment gives up on an order nothing was shipped of (a rejected review, nothing to ship):
        the one cancellation write, giving back its code uses and certificate debits; the orders stream
        releases its stock. Call it after the authorisation is voided."""
        for _ in range(MAX_ATTEMPTS):
            order = self.store.order(order_id)
            if order is None:
                return Outcome("ignored: no such order", order_id)
            cancelled = orders.cancelled(order, self.clock.now(), reason)
            if cancelled is None:
                return Outcome("nothing to change", order_id)
            try:
                self._write(order, cancelled)
            except OrderChanged:
                continue
            return Outcome("cancelled", order_id)
        raise OrderChanged(f"{order_id} kept changing")

    def cancel_unpaid(self, order_id: str) -> Outcome:
        """The buyer (or an agent for them) cancels an order still waiting for payment (a 3-D Secure or
        redirect payment never completed): at once, not at the payment deadline.

        The same compensations as the sweeper's expiry, in the other order: the cancellation is written
        first, conditioned on the version read (``_write``: code uses, certificate debits and points given
        back in that write; the orders stream then releases the stock and publishes ``OrderCancelled``),
        then the PaymentIntent is cancelled, so the shopper can no longer pay it. A payment authorised
        after the write finds the order cancelled and is voided (``authorised``); one authorised before it
        placed the order, which fulfilment then cancels (the same request reaches it, decision 57). A
        redelivered request cancels the PaymentIntent again (Stripe may have been down the first time)."""
        for _ in range(MAX_ATTEMPTS):
            order = self.store.order(order_id)
            if order is None:
                return Outcome("ignored: no such order", order_id)
            if order.status is OrderStatus.CANCELLED:
                if order.cancel_reason is CancelReason.CANCELLATION_REQUESTED:
                    self._cancel_intent_of(order)
                return Outcome("cancelled already", order_id)
            if order.status is not OrderStatus.PENDING_PAYMENT:
                return Outcome("paid meanwhile: fulfilment cancels it", order_id)
            cancelled = orders.cancelled(order, self.clock.now(), CancelReason.CANCELLATION_REQUESTED)
            assert cancelled is not None  # waiting for payment: nothing shipped, not cancelled
            try:
                self._write(order, cancelled)
            except OrderChanged:
                continue  # a payment (or the sweeper) landed first: look again
            self._cancel_intent_of(order)
            return Outcome("cancelled", order_id)
        raise OrderChanged(f"{order_id} kept changing")

    def _cancel_intent_of(self, order: Order) -> None:
        if order.payment.intent_id is not None:
            self.payments.cancel_intent(
                order.payment.intent_id, "requested_by_customer", f"{order.id}-cancel"
            )

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
                self._write(order, updated)
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
            self._write(order, cancelled)
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
