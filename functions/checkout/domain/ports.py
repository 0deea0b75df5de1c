"""What checkout needs from storage and from the payment provider, as protocols adapters implement.

* ``CheckoutStore`` - the cart (one consistent GetItem), everything pricing and reservation planning
  read (one BatchGetItem over the carts, inventory and promotions tables), the one transaction that
  writes an order, and order reads and conditional order writes.
* ``PaymentGateway`` - Stripe PaymentIntents with manual capture. Every call that changes something
  carries an idempotency key made from our ids, so a retried call never makes a second payment.

Adapters raise ``shop_kernel.errors.DependencyUnavailable`` on an outage; the domain never sees an
SDK exception.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from cart.domain.models import CartOwner, SkuFacts, StoredCart
from checkout.domain.fraud import VelocityKey
from checkout.domain.models import CardSummary, Order
from inventory.domain.models import Location, StockLevel
from pricing.domain import CodeRedemptions, Customer, GiftCertificates, PromotionStore
from shop_kernel.limits import AttemptKey


class PromotionLookups(PromotionStore, CodeRedemptions, GiftCertificates, Protocol):
    """Promotions, code usage and gift certificates, as read for one checkout."""


@dataclass(frozen=True)
class CheckoutInputs:
    """Everything a checkout prices and plans with, read in one round trip after the cart."""

    facts: Mapping[str, SkuFacts]
    stock: Mapping[str, Mapping[str, StockLevel]]
    locations: Mapping[str, Location]
    promotions: PromotionLookups


@dataclass(frozen=True)
class Refusal:
    """Why one entry of a refused transaction failed: its index and the item as it was (if returned)."""

    index: int
    code: str
    item: dict[str, Any] | None = None


class TransactionRefused(Exception):
    """A condition of the transaction failed; nothing was written."""

    def __init__(self, refusals: Sequence[Refusal]) -> None:
        super().__init__(f"{len(refusals)} condition(s) failed")
        self.refusals = list(refusals)


class CheckoutStore(Protocol):
    def cart(self, owner: CartOwner) -> StoredCart | None: ...

    def inputs(self, cart: StoredCart, customer: Customer, location_ids: Sequence[str]) -> CheckoutInputs:
        """Facts of the cart's SKUs, their stock at ``location_ids`` and every location, its codes."""
        ...

    def transact(self, entries: Sequence[dict[str, Any]]) -> None:
        """All entries or none; ``TransactionRefused`` when a condition failed."""
        ...

    def order(self, order_id: str) -> Order | None: ...

    def velocity(self, keys: Sequence[VelocityKey]) -> Mapping[VelocityKey, int]:
        """This hour's counts for ``keys`` (absent = 0)."""
        ...

    def count_attempt(self, keys: Sequence[AttemptKey], now: datetime) -> None:
        """One more checkout on every key; a 429 at the first one at its limit."""
        ...


@dataclass(frozen=True)
class PaymentIntent:
    id: str
    status: str
    amount: int
    currency: str  # ISO-4217 upper case, as our Money has it
    client_secret: str | None = None
    amount_capturable: int = 0
    amount_received: int = 0
    created: int = 0  # epoch seconds
    metadata: Mapping[str, str] = field(default_factory=dict)
    latest_charge: str | None = None
    cancellation_reason: str | None = None
    last_error: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class ChargeFacts:
    """What the charge of an authorised payment says about the card and the payer."""

    card: CardSummary
    billing_country: str | None = None


class PaymentGateway(Protocol):
    def create_intent(self, order: Order, idempotency_key: str) -> PaymentIntent:
        """A PaymentIntent for ``order.payment.amount`` with manual capture, tagged with the order id."""
        ...

    def retrieve_intent(self, intent_id: str) -> PaymentIntent: ...

    def cancel_intent(self, intent_id: str, reason: str, idempotency_key: str) -> PaymentIntent:
        """Cancel (void an authorisation); cancelling a cancelled intent answers it unchanged."""
        ...

    def charge_facts(self, charge_id: str) -> ChargeFacts: ...

    def list_intents(self, created_since: datetime) -> Iterator[PaymentIntent]:
        """Every PaymentIntent created at or after ``created_since``, newest first (the reconciler)."""
        ...
