"""Orders against Stripe's PaymentIntents: what differs, and what is safe to put right by itself.

The reconciler lists the PaymentIntents created in a window (an authorisation lives about seven days, so
eight days see each one through) and reads the orders their ``metadata.order_id`` names. Each pair is
compared here, without I/O:

================================  ==========================================  =======================
kind                              what differs                                repair
================================  ==========================================  =======================
``payable_after_cancel``          the order is cancelled, its PaymentIntent   void it (cancel)
                                  can still be paid or holds money
``orphan_intent``                 a PaymentIntent no order uses (abandoned    void it when open, else
                                  attempt, lost stock race) still open a      flag
                                  day after it was made
``missed_authorisation``          Stripe holds the money, the order still     apply the authorisation
                                  waits for payment (webhook lost)            (as the webhook would)
``capture_unrecorded``            Stripe captured, the order does not say so  record the capture
``amount_mismatch``               authorised or captured amount differs       flag for ops
                                  from the order's amount due
``authorisation_lost``            the order is placed on an authorisation     flag for ops
                                  Stripe no longer holds
================================  ==========================================  =======================

An intent no order uses is left alone for ``ORPHAN_AGE``: a retry of the same checkout request recomputes
the same order id and Stripe idempotency key (decision 16) and must get a payable intent back, which
Stripe does for 24 hours; after that a retry creates a new one, so voiding the old one is safe.

A repair only ever does what a webhook or the sweeper would have done (the same transitions and the same
conditional writes), so running it twice, or racing the webhook, changes nothing more.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from checkout.domain.events import EVENT_VERSIONS, SOURCE, PaymentDriftFound, PaymentDriftItem
from checkout.domain.payments import PaymentEvents
from checkout.domain.ports import PaymentGateway, PaymentIntent
from orders.domain.models import Order, OrderStatus
from shop_kernel.clock import Clock
from shop_kernel.errors import DomainError
from shop_kernel.events import DomainEvent, make_event

# An authorisation lives about seven days; a day more sees each one to its end.
WINDOW = timedelta(days=8)
ORPHAN_AGE = timedelta(hours=25)  # Stripe keeps an idempotency key 24 hours
BATCH_GET = 100
EVENT_DRIFTS = 100  # an event stays far below EventBridge's 256 KB
_NAMESPACE = uuid.UUID("2c4b8e7a-91d3-4f6e-b5a0-7d3c1e9f2a48")

# Stripe statuses in which the shopper can still pay, or the money is held for us.
OPEN_STATUSES = frozenset(
    {"requires_payment_method", "requires_confirmation", "requires_action", "processing", "requires_capture"}
)


class PaymentDriftKind(StrEnum):
    PAYABLE_AFTER_CANCEL = "payable_after_cancel"
    ORPHAN_INTENT = "orphan_intent"
    MISSED_AUTHORISATION = "missed_authorisation"
    CAPTURE_UNRECORDED = "capture_unrecorded"
    AMOUNT_MISMATCH = "amount_mismatch"
    AUTHORISATION_LOST = "authorisation_lost"


class Repair(StrEnum):
    VOID = "void"
    AUTHORISE = "authorise"
    RECORD_CAPTURE = "record_capture"
    FLAG = "flag"  # nothing done automatically: ops decide


@dataclass(frozen=True)
class PaymentDrift:
    kind: PaymentDriftKind
    repair: Repair
    intent_id: str
    order_id: str | None
    detail: str


def compare_payment(
    intent: PaymentIntent, order: Order | None, orphan_before: int | None = None
) -> PaymentDrift | None:
    """What differs between one PaymentIntent and the order it names (None: they agree).

    An intent no order uses counts only when made before ``orphan_before`` (epoch seconds; None: always).
    """
    order_id = order.id if order else intent.metadata.get("order_id")
    if order is None or order.payment.intent_id != intent.id:
        if orphan_before is not None and intent.created >= orphan_before:
            return None  # a checkout retried with the same key may still use it
        return _orphan(intent, order_id)

    def drift(kind: PaymentDriftKind, repair: Repair, detail: str) -> PaymentDrift:
        return PaymentDrift(kind, repair, intent.id, order.id, detail)

    due = order.payment.amount
    if (intent.amount, intent.currency) != (due.amount, due.currency):
        return drift(
            PaymentDriftKind.AMOUNT_MISMATCH, Repair.FLAG, f"intent {intent.amount}, order {due.amount}"
        )
    if order.status is OrderStatus.CANCELLED:
        if intent.status in OPEN_STATUSES:
            return drift(PaymentDriftKind.PAYABLE_AFTER_CANCEL, Repair.VOID, f"intent {intent.status}")
        if intent.status == "succeeded":
            return drift(PaymentDriftKind.AMOUNT_MISMATCH, Repair.FLAG, "captured for a cancelled order")
        return None
    if intent.status == "requires_capture":
        # Multicapture: what shipments captured so far is no longer capturable.
        if intent.amount_capturable + intent.amount_received != due.amount:
            detail = f"capturable {intent.amount_capturable}, order {due.amount}"
            return drift(PaymentDriftKind.AMOUNT_MISMATCH, Repair.FLAG, detail)
        if order.status is OrderStatus.PENDING_PAYMENT:
            return drift(PaymentDriftKind.MISSED_AUTHORISATION, Repair.AUTHORISE, "Stripe holds the money")
        return None
    if intent.status == "succeeded" or (intent.status == "canceled" and order.payment.shipments):
        return _capture(intent, order)  # cancelled after partial captures: the rest was voided
    if intent.status == "canceled" and order.status is OrderStatus.PAYMENT_AUTHORIZED:
        detail = f"voided in Stripe ({intent.cancellation_reason or 'no reason'})"
        return drift(PaymentDriftKind.AUTHORISATION_LOST, Repair.FLAG, detail)
    return None


def _orphan(intent: PaymentIntent, order_id: str | None) -> PaymentDrift | None:
    if intent.status in OPEN_STATUSES:
        detail = f"no order uses it ({intent.status})"
        return PaymentDrift(PaymentDriftKind.ORPHAN_INTENT, Repair.VOID, intent.id, order_id, detail)
    if intent.status == "succeeded":
        detail = "captured, but no order uses it"
        return PaymentDrift(PaymentDriftKind.ORPHAN_INTENT, Repair.FLAG, intent.id, order_id, detail)
    return None


def _capture(intent: PaymentIntent, order: Order) -> PaymentDrift | None:
    received = intent.amount_received
    recorded = order.payment.captured.amount if order.payment.captured else 0
    if received > order.payment.amount.amount:
        detail = f"captured {received}, order {order.payment.amount.amount}"
        return PaymentDrift(PaymentDriftKind.AMOUNT_MISMATCH, Repair.FLAG, intent.id, order.id, detail)
    if order.status is OrderStatus.PENDING_PAYMENT or received != recorded:
        detail = f"captured {received}, recorded {recorded} ({order.status.value})"
        return PaymentDrift(
            PaymentDriftKind.CAPTURE_UNRECORDED, Repair.RECORD_CAPTURE, intent.id, order.id, detail
        )
    return None


def compare_payments(
    pairs: Iterable[tuple[PaymentIntent, Order | None]], orphan_before: int | None = None
) -> list[PaymentDrift]:
    return [d for intent, order in pairs if (d := compare_payment(intent, order, orphan_before)) is not None]


@dataclass(frozen=True)
class PaymentsReport:
    """One reconciliation run: what was compared, what differed and what was put right."""

    intents_checked: int
    orders_checked: int
    drifts: tuple[PaymentDrift, ...]
    repaired: tuple[PaymentDrift, ...]

    def found_by_kind(self) -> dict[str, int]:
        return dict(Counter(d.kind.value for d in self.drifts))

    def repaired_by_kind(self) -> dict[str, int]:
        return dict(Counter(d.kind.value for d in self.repaired))

    @property
    def flagged(self) -> tuple[PaymentDrift, ...]:
        return tuple(d for d in self.drifts if d not in self.repaired)


def drift_event(report: PaymentsReport, run_at: str) -> DomainEvent | None:
    """``PaymentDriftFound`` for a run that found something (None when orders and Stripe agree)."""
    if not report.drifts:
        return None
    items = [
        PaymentDriftItem(
            kind=d.kind.value,
            repair=d.repair.value,
            repaired=d in report.repaired,
            intent_id=d.intent_id,
            order_id=d.order_id,
            detail=d.detail,
        )
        for d in report.drifts[:EVENT_DRIFTS]
    ]
    data = PaymentDriftFound(
        run_at=run_at,
        intents_checked=report.intents_checked,
        orders_checked=report.orders_checked,
        found=report.found_by_kind(),
        repaired=report.repaired_by_kind(),
        drifts=items,
        truncated=len(report.drifts) > EVENT_DRIFTS,
    )
    return make_event(
        SOURCE,
        "PaymentDriftFound",
        data,
        version=EVENT_VERSIONS["PaymentDriftFound"],
        occurred_at=run_at,
        event_id=str(uuid.uuid5(_NAMESPACE, f"payments:{run_at}")),
    )


@dataclass
class PaymentsReconciler:
    """Lists the window's PaymentIntents, reads their orders, compares and repairs what is safe."""

    payments: PaymentGateway
    orders: Callable[[Sequence[str]], list[Order]]  # a batch read of at most 100 orders
    events: PaymentEvents
    clock: Clock
    window: timedelta = field(default=WINDOW)

    def run(self) -> PaymentsReport:
        now = self.clock.now()
        intents = list(self.payments.list_intents(now - self.window))
        wanted = list(dict.fromkeys(i.metadata["order_id"] for i in intents if i.metadata.get("order_id")))
        orders: dict[str, Order] = {}
        for start in range(0, len(wanted), BATCH_GET):
            orders.update((o.id, o) for o in self.orders(wanted[start : start + BATCH_GET]))
        by_id = {i.id: i for i in intents}
        pairs = ((i, orders.get(i.metadata.get("order_id", ""))) for i in intents)
        drifts = compare_payments(pairs, int((now - ORPHAN_AGE).timestamp()))
        repaired = tuple(d for d in drifts if self._repair(d, by_id[d.intent_id]))
        return PaymentsReport(len(intents), len(orders), tuple(drifts), repaired)

    def _repair(self, drift: PaymentDrift, intent: PaymentIntent) -> bool:
        try:
            if drift.repair is Repair.VOID:
                key = f"{intent.id}-reconcile-void"
                return self.payments.cancel_intent(intent.id, "abandoned", key).status == "canceled"
            if drift.repair is Repair.AUTHORISE:
                outcome = self.events.authorised(intent)
                return outcome.action.startswith(("placed", "authorisation voided", "late authorisation"))
            if drift.repair is Repair.RECORD_CAPTURE:
                obj = {"amount_received": intent.amount_received}
                return (
                    self.events.handle("payment_intent.succeeded", obj, intent).action == "capture recorded"
                )
        except DomainError:
            return False  # Stripe unavailable or the order moved on: the next run looks again
        return False


__all__ = [
    "OPEN_STATUSES",
    "PaymentDrift",
    "PaymentDriftKind",
    "PaymentsReconciler",
    "PaymentsReport",
    "Repair",
    "compare_payment",
    "compare_payments",
    "drift_event",
]
