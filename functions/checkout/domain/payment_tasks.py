"""The fulfilment workflow's payment steps: capture per shipment, release what will not ship, void.

* ``capture`` - a shipment is dispatched: its charge (``checkout.domain.settlement``) is recorded
  ``pending`` on the order first (conditioned on the version read, so two shipments captured at once are
  priced one after the other), then taken from Stripe with the idempotency key ``<order>-capture-<shipment>``
  (a retry asks for the same amount with the same key: Stripe answers the first capture again), then
  recorded ``captured`` together with the shipped units leaving the stock (inventory's ``commit_lines``)
  in ONE transaction. A charge Stripe refuses for good (``CaptureDeclined``, ``AuthorisationExpired``) is
  taken off the order again, so compensation finds its units outstanding. With multicapture every shipment but the last captures with ``final_capture=false``;
  without it (Stripe's multicapture is an IC+ feature) the charges wait (``deferred``) and the last
  shipment captures them all at once.
* ``capture_electronic`` - the order is confirmed (review passed or not needed): its electronic lines
  (e-certificates, ``OrderLine.digital``) are charged as a shipment of their own (``electronic``), with
  no stock to commit. The rest of the order is charged per shipment as above.
  A store pickup's capture at collection also drops the units cancelled while it waited in the store
  (``left``), released in the write that records the charge, so the charge is priced without them.
* ``release`` - units will not ship (a short pick, the rest after the last shipment): recorded as dropped
  and their stock released in one transaction; never charged. When that leaves nothing to ship, the
  payment is settled: deferred charges are captured (final), or the rest of a multicaptured authorisation
  is voided (the PaymentIntent cancelled: Stripe releases only what was not captured).
* ``void`` - nothing shipped and nothing will: the PaymentIntent is cancelled (``<order>-void``) and the
  order cancelled through ``PaymentEvents.cancel``, the one cancellation write that gives back code uses
  and certificate debits; the orders stream releases the stock. Refused once anything shipped.

Every step can run twice and gives the same result. Errors the workflow tells apart by name: the
transient ``PaymentsUnavailable`` (retry) and the permanent ``OrderNotPayable``, ``ShipmentRejected``,
``CaptureDeclined``, ``AuthorisationExpired``, ``AlreadyShipped`` (compensate).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from checkout.domain import settlement
from checkout.domain.payments import PaymentEvents
from checkout.domain.ports import AuthorisationExpired, CaptureDeclined, CheckoutStore, PaymentGateway
from checkout.domain.settlement import ShipmentRejected
from inventory.domain.reservations import HoldShort, Reservation, ReservationStatus, ReservedLine, split_lines
from orders.domain.errors import OrderChanged
from orders.domain.models import CancelReason, Order, OrderStatus, ShipmentCharge, ShippedLine
from shop_kernel.clock import Clock
from shop_kernel.money import Money
from shop_kernel.transact import WriteContended

MAX_ATTEMPTS = 5
ELECTRONIC = "electronic"  # the shipment id an order's electronic lines are charged under
T = TypeVar("T")

__all__ = [
    "AlreadyShipped",
    "AuthorisationExpired",
    "CaptureDeclined",
    "OrderNotPayable",
    "PaymentTasks",
    "PaymentsUnavailable",
    "ShipmentRejected",
]


class PaymentsUnavailable(Exception):
    """Transient: Stripe or DynamoDB did not answer, throttled, or the order kept changing. Retry."""


class OrderNotPayable(Exception):
    """Permanent: no such order, it is cancelled, or its payment was never authorised."""


class AlreadyShipped(Exception):
    """Permanent: a void was asked for an order part of which shipped (release the rest instead)."""


@dataclass(frozen=True)
class Settlement:
    """Where the order's money stands after a step (the task's output)."""

    order_id: str
    status: str
    authorised: Money
    captured: Money
    voided: Money | None
    outstanding: tuple[ShippedLine, ...]

    def to_output(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "status": self.status,
            "authorised": self.authorised.to_item(),
            "captured": self.captured.to_item(),
            "voided": self.voided.to_item() if self.voided is not None else None,
            "outstanding": [line.model_dump() for line in self.outstanding],
        }


def settlement_of(order: Order) -> Settlement:
    payment = order.payment
    voided = payment.voided
    if order.status is OrderStatus.CANCELLED and not payment.shipments:
        voided = payment.amount  # nothing shipped: the whole authorisation was voided
    return Settlement(
        order_id=order.id,
        status=order.status.value,
        authorised=payment.amount,
        captured=settlement.captured_total(payment),
        voided=voided,
        outstanding=settlement.as_lines(settlement.outstanding(order)),
    )


def _wanted(lines: Sequence[ShippedLine]) -> dict[str, int]:
    return dict(settlement.units(lines))


def _held_lines(
    reservation: Reservation, lines: Sequence[ShippedLine], location_id: str | None
) -> tuple[ReservedLine, ...]:
    """The hold's lines the units are: at ``location_id`` when it holds them all, else wherever the hold
    has them (a pickup transferred from a warehouse is held there). ``HoldShort`` when it has not."""
    try:
        return split_lines(reservation.lines, _wanted(lines), location_id)[0]
    except HoldShort:
        if location_id is None:
            raise
        return split_lines(reservation.lines, _wanted(lines))[0]


@dataclass
class PaymentTasks:
    store: CheckoutStore
    save: Callable[[Order, int], None]  # conditional put of one order version (raises OrderChanged)
    payments: PaymentGateway
    events: PaymentEvents
    clock: Clock

    # --- capture ---------------------------------------------------------------------------------

    def capture(
        self,
        order_id: str,
        shipment_id: str,
        lines: Sequence[ShippedLine],
        location_id: str | None,
        left: Sequence[ShippedLine] = (),
    ) -> dict[str, Any]:
        """``left``: units taken off the shipment before it was handed over (cancelled while it waited
        in the pickup store): dropped and their stock released in the write that records the charge,
        under the release id ``<shipment>-left``, so they are never charged and released once."""
        return self._capture(order_id, shipment_id, lambda _: lines, location_id, held=True, left=left)

    def capture_electronic(self, order_id: str) -> dict[str, Any]:
        """The order's electronic lines (e-certificates: no stock, never shipped) are charged as one
        shipment of their own, ``electronic``, when the order is confirmed: the same charge rule and
        steps as a shipment's, without the stock hold (they have none)."""

        def electronic(order: Order) -> list[ShippedLine]:
            return [ShippedLine(sku=line.sku, quantity=line.quantity) for line in order.lines if line.digital]

        return self._capture(order_id, ELECTRONIC, electronic, None, held=False)

    def _capture(
        self,
        order_id: str,
        shipment_id: str,
        lines_of: Callable[[Order], Sequence[ShippedLine]],
        location_id: str | None,
        *,
        held: bool,
        left: Sequence[ShippedLine] = (),
    ) -> dict[str, Any]:
        def attempt() -> dict[str, Any]:
            order = self._order(order_id)
            charge = settlement.charge_of(order, shipment_id)
            if charge is None:
                self._payable(order)
                lines = lines_of(order)
                if held:
                    self._held(order, self.store.reservation(order.reservation_id), lines, location_id)
                recorded = self._left_dropped(order, f"{shipment_id}-left", left)
                recorded = settlement.shipment_recorded(
                    recorded, shipment_id, lines, location_id, self.clock.now()
                )
                if recorded.dropped == order.dropped:
                    self.save(recorded, order.version)
                else:
                    work = self.store.unit_of_work()
                    work.update_order(recorded, order.version)
                    self._stock(work.release_stock, order, left, location_id, self.clock.now())
                    work.commit()
                order, charge = recorded, settlement.charge_of(recorded, shipment_id)
                assert charge is not None
            if charge.status == "pending":
                order = self._take_or_give_up(order, charge)
            order = self._settle(order)
            taken = settlement.charge_of(order, shipment_id)
            assert taken is not None
            return {
                **settlement_of(order).to_output(),
                "shipment_id": shipment_id,
                "amount": taken.amount.to_item(),
                "capture": taken.status,
                "final": taken.final,
            }

        return self._retried(attempt)

    def _left_dropped(self, order: Order, release_id: str, left: Sequence[ShippedLine]) -> Order:
        """The order with ``left`` dropped (once per release id), before the shipment's charge is priced."""
        if not left or any(d.release_id == release_id for d in order.dropped):
            return order
        return settlement.lines_dropped(order, release_id, left, self.clock.now())

    def _payable(self, order: Order) -> None:
        if order.status is OrderStatus.CANCELLED:
            raise OrderNotPayable(f"{order.id} is cancelled: nothing may be captured")
        if order.status is not OrderStatus.PAYMENT_AUTHORIZED:
            raise OrderNotPayable(f"{order.id} is {order.status.value}: its payment is not authorised")

    def _held(
        self,
        order: Order,
        reservation: Reservation | None,
        lines: Sequence[ShippedLine],
        location_id: str | None,
    ) -> None:
        """The shipment must be units the order still holds, before any money moves."""
        if reservation is None or reservation.status is not ReservationStatus.ACTIVE:
            raise ShipmentRejected(f"{order.id}: its stock hold is not active")
        try:
            _held_lines(reservation, lines, location_id)
        except HoldShort as short:
            raise ShipmentRejected(f"{order.id}: {short}") from short

    def _take_or_give_up(self, order: Order, charge: ShipmentCharge) -> Order:
        """A charge Stripe refuses for good is taken off the order (its units outstanding again, for the
        compensation to release or void) before the refusal goes to the workflow."""
        try:
            return self._take(order, charge)
        except (CaptureDeclined, AuthorisationExpired) as refused:
            reason = type(refused).__name__
            with contextlib.suppress(OrderChanged):
                self.save(
                    settlement.shipment_refused(order, charge.shipment_id, self.clock.now(), reason),
                    order.version,
                )
            raise

    def _take(self, order: Order, charge: ShipmentCharge) -> Order:
        """Stripe takes the pending charge (or defers it), then the order and the stock record it."""
        now = self.clock.now()
        deferred = False
        intent_id = order.payment.intent_id
        pending_deferred = settlement.deferred_total(order.payment)
        amount = charge.amount + pending_deferred if charge.final else charge.amount
        if order.payment.provider == "stripe" and intent_id is not None:
            intent = self.payments.retrieve_intent(intent_id)
            if intent.status == "canceled":
                raise AuthorisationExpired(
                    f"{order.id}: the PaymentIntent was cancelled ({intent.cancellation_reason})"
                )
            multicapture = (
                bool(intent.latest_charge)
                and self.payments.charge_facts(intent.latest_charge or "").multicapture
            )
            if not charge.final and not multicapture:
                deferred = True
            elif amount.amount > 0:
                key = f"{order.id}-capture-{charge.shipment_id}"
                self.payments.capture_intent(intent_id, amount.amount, charge.final, key)
            else:  # the last shipment is worth nothing to the card: release what is left
                self.payments.cancel_intent(intent_id, "abandoned", f"{order.id}-void-rest")
        after = settlement.shipment_charged(order, charge.shipment_id, now, deferred)
        work = self.store.unit_of_work()
        work.update_order(after, order.version)
        self._stock(work.commit_stock, order, charge.lines, charge.location_id, now)
        work.commit()
        return after

    def _stock(
        self,
        write: Callable[[Reservation, Sequence[ReservedLine], Any], None],
        order: Order,
        lines: Sequence[ShippedLine],
        location_id: str | None,
        now: Any,
    ) -> None:
        """The units' part of the hold, committed or released with the order's change. A hold that no
        longer has them (it expired, or was re-planned meanwhile) is left as it is: the order's record
        is what the money follows, and inventory's reconciler recounts the hold."""
        reservation = self.store.reservation(order.reservation_id)
        if reservation is None or reservation.status is not ReservationStatus.ACTIVE:
            return
        try:
            taken = _held_lines(reservation, lines, location_id)
        except HoldShort:
            return
        write(reservation, taken, now)

    # --- release ---------------------------------------------------------------------------------

    def release(self, order_id: str, release_id: str, lines: Sequence[ShippedLine] | None) -> dict[str, Any]:
        def attempt() -> dict[str, Any]:
            order = self._order(order_id)
            # Named lines drop once per release id; "everything not shipped" is idempotent by itself.
            recorded = lines is not None and any(d.release_id == release_id for d in order.dropped)
            wanted = settlement.outstanding(order) if lines is None else settlement.units(lines)
            if order.status is not OrderStatus.CANCELLED and not recorded and +wanted:
                now = self.clock.now()
                after = settlement.lines_dropped(order, release_id, settlement.as_lines(wanted), now)
                work = self.store.unit_of_work()
                work.update_order(after, order.version)
                self._stock(work.release_stock, order, settlement.as_lines(wanted), None, now)
                work.commit()
                order = after
            if order.status is not OrderStatus.CANCELLED:
                order = self._settle(order)
            nothing_shipped = not order.payment.shipments
            return {
                **settlement_of(order).to_output(),
                "release_id": release_id,
                "nothing_shipped": nothing_shipped,
            }

        return self._retried(attempt)

    def _settle(self, order: Order) -> Order:
        """Nothing left to ship: capture what waits (final), or void what no shipment will capture."""
        intent_id = order.payment.intent_id
        now = self.clock.now()
        if settlement.needs_final_capture(order):
            after = settlement.deferred_captured(order, now)
            if intent_id is not None and order.payment.provider == "stripe":
                amount = settlement.deferred_total(order.payment).amount
                self.payments.capture_intent(intent_id, amount, True, f"{order.id}-capture-rest")
        elif settlement.is_settled(order) and order.payment.shipments and order.payment.voided is None:
            after = settlement.settled(order, now)
            if intent_id is not None and order.payment.provider == "stripe":
                self.payments.cancel_intent(intent_id, "abandoned", f"{order.id}-void-rest")
        else:
            return order
        self.save(after, order.version)
        return after

    # --- void ------------------------------------------------------------------------------------

    def void(self, order_id: str, reason: CancelReason) -> dict[str, Any]:
        def attempt() -> dict[str, Any]:
            order = self._order(order_id)
            if order.payment.shipments:
                raise AlreadyShipped(f"{order.id}: part of it shipped; release the rest instead")
            if order.payment.provider == "stripe" and order.payment.intent_id is not None:
                self.payments.cancel_intent(order.payment.intent_id, "abandoned", f"{order.id}-void")
            self.events.cancel(order.id, reason)
            return settlement_of(self._order(order_id)).to_output()

        return self._retried(attempt)

    # --- shared ------------------------------------------------------------------------------------

    def _order(self, order_id: str) -> Order:
        order = self.store.order(order_id)
        if order is None:
            raise OrderNotPayable(f"no order {order_id}")
        return order

    def _retried(self, attempt: Callable[[], T]) -> T:
        """Lost races re-read and go again (a concurrent shipment, the webhook); a few in a row are
        transient for the workflow to retry later."""
        for _ in range(MAX_ATTEMPTS):
            try:
                return attempt()
            except (OrderChanged, WriteContended):
                continue
        raise PaymentsUnavailable("the order kept changing; try again")
