"""In-memory stand-ins for checkout's ports, for the payment-event tests without AWS or Stripe.

``OrdersInMemory`` keeps orders and writes them through the in-memory unit of work of ``checkout_doubles``
(conditioned on the version read, like DynamoDB); a test makes a transaction refuse given entries with
``store.answers.append(refuse_entries(...))``.
``StripeDouble`` answers PaymentIntents the test sets up and records every cancellation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from checkout.domain.fraud import VelocityKey
from checkout.domain.payments import PaymentEvents
from checkout.domain.ports import ChargeFacts, PaymentIntent
from inventory.domain.allocation import Fulfilment
from orders.domain.errors import OrderChanged
from orders.domain.models import Address, Buyer, CardSummary, Order, OrderStatus, Payment
from pricing.domain import TaxDisplay, Totals
from shop_kernel.clock import FixedClock
from shop_kernel.money import Money
from tests.unit.checkout.checkout_doubles import OrderBook

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
ORDER_ID = "ord_01JE0000000000000000000000"
RESERVATION_ID = "res_01JE0000000000000000000000"
INTENT_ID = "pi_1"
AMOUNT = 10000


def uah(amount: int) -> Money:
    return Money.of(amount, "UAH")


def pending_order(**changes: Any) -> Order:
    """A guest's order waiting for 100.00 UAH by card."""
    totals = Totals(
        subtotal=uah(AMOUNT),
        discount_total=uah(0),
        shipping=uah(0),
        tax_total=uah(1667),
        grand_total=uah(AMOUNT),
        gift_certificates=uah(0),
        amount_due=uah(AMOUNT),
    )
    order = Order(
        id=ORDER_ID,
        version=2,
        status=OrderStatus.PENDING_PAYMENT,
        buyer=Buyer(kind="guest", key="a" * 64, email="Olena@Example.com"),
        cart_id="cart_01JDZZZZZZZZZZZZZZZZZZZZZZ",
        checkout_ref="r" * 32,
        currency="UAH",
        tax_display=TaxDisplay.INCLUSIVE,
        destination_country="UA",
        lines=(),
        shipping=None,
        totals=totals,
        fulfilment=Fulfilment(mode="delivery"),
        allocations=(),
        shipping_address=Address(name="Olena", line1="Khreshchatyk 1", city="Kyiv", country="UA"),
        reservation_id=RESERVATION_ID,
        reservation_expires_at=2_000_000_000,
        payment=Payment(
            provider="stripe", intent_id=INTENT_ID, amount=uah(AMOUNT), status="requires_payment"
        ),
        client_ip="203.0.113.7",
        created_at="2026-12-02T09:50:00.000Z",
        updated_at="2026-12-02T09:50:00.000Z",
        payment_due_by="2026-12-02T10:20:00.000Z",
    )
    return order.model_copy(update=changes)


def intent(
    *,
    amount_capturable: int = AMOUNT,
    currency: str = "UAH",
    status: str = "requires_capture",
    order_id: str = ORDER_ID,
    intent_id: str = INTENT_ID,
    latest_charge: str | None = None,
    last_error: Mapping[str, Any] | None = None,
) -> PaymentIntent:
    return PaymentIntent(
        id=intent_id,
        status=status,
        amount=AMOUNT,
        currency=currency,
        amount_capturable=amount_capturable,
        metadata={"order_id": order_id},
        latest_charge=latest_charge,
        last_error=last_error,
    )


@dataclass
class OrdersInMemory(OrderBook):
    """The orders ``PaymentEvents`` reads and writes: the in-memory unit of work of ``checkout_doubles``,
    this hour's velocity counts, and the conditional put ``PaymentEvents.save`` stands for."""

    saves: list[tuple[Order, int]] = field(default_factory=list)
    counts: dict[VelocityKey, int] = field(default_factory=dict)
    lose_next_saves: int = 0  # the next N saves find the order changed

    def velocity(self, keys: Sequence[VelocityKey]) -> Mapping[VelocityKey, int]:
        return {key: self.counts[key] for key in keys if key in self.counts}

    def save(self, order: Order, expected_version: int) -> None:
        if self.lose_next_saves:
            self.lose_next_saves -= 1
            raise OrderChanged
        self.saves.append((order, expected_version))
        self.write(order, expected_version)


@dataclass
class StripeDouble:
    intents: dict[str, PaymentIntent] = field(default_factory=dict)
    charges: dict[str, ChargeFacts] = field(default_factory=dict)
    cancelled: list[tuple[str, str, str]] = field(default_factory=list)
    captures: list[tuple[str, int, bool, str]] = field(default_factory=list)

    def create_intent(self, order: Order, idempotency_key: str) -> PaymentIntent:  # pragma: no cover
        raise AssertionError("payment events never create a PaymentIntent")

    def retrieve_intent(self, intent_id: str) -> PaymentIntent:
        return self.intents[intent_id]

    def cancel_intent(self, intent_id: str, reason: str, idempotency_key: str) -> PaymentIntent:
        self.cancelled.append((intent_id, reason, idempotency_key))
        return self.intents.get(intent_id) or intent(status="canceled")

    def charge_facts(self, charge_id: str) -> ChargeFacts:
        return self.charges[charge_id]

    def capture_intent(self, intent_id: str, amount: int, final: bool, idempotency_key: str) -> PaymentIntent:
        """Records the capture; a key seen before answers as Stripe does, without capturing again."""
        if idempotency_key not in {key for *_, key in self.captures}:
            self.captures.append((intent_id, amount, final, idempotency_key))
        return self.intents[intent_id]


@dataclass
class World:
    store: OrdersInMemory
    stripe: StripeDouble
    clock: FixedClock
    events: PaymentEvents

    @property
    def order(self) -> Order:
        return self.store.orders[ORDER_ID]


def world(order: Order | None = None) -> World:
    store, stripe, clock = OrdersInMemory(), StripeDouble(), FixedClock(NOW)
    if order is not None:
        store.orders[order.id] = order
    events = PaymentEvents(
        store=store,
        save=store.save,
        payments=stripe,
        clock=clock,
    )
    return World(store=store, stripe=stripe, clock=clock, events=events)


CARD = CardSummary(brand="visa", last4="4242", country="UA", fingerprint="fp_1", funding="credit")
