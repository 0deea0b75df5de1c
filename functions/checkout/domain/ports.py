"""What checkout needs from storage and from the payment provider, as protocols adapters implement.

* ``CheckoutStore`` - the cart (one consistent GetItem), everything pricing and reservation planning
  read (one BatchGetItem over the carts, inventory and promotions tables, and loyalty's when points
  pay), order reads and conditional order writes, and a ``UnitOfWork`` for each transaction: the order
  with the cart, stock, codes, certificates and points it closes, holds and redeems (the adapter builds their items from the owners' contract
  modules; the domain sees only the owners' domain errors).
* ``PaymentGateway`` - Stripe PaymentIntents with manual capture, captured per shipment. Every call that changes something
  carries an idempotency key made from our ids, so a retried call never makes a second payment.

Adapters raise ``shop_kernel.errors.DependencyUnavailable`` on an outage; the domain never sees an
SDK exception.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from cart.domain.models import CartOwner, SkuFacts, StoredCart
from checkout.domain.fraud import VelocityKey
from checkout.domain.models import CardSummary, Order, PointsTender
from checkout.domain.points import MemberPoints
from inventory.domain.allocation import ReservationPlan
from inventory.domain.models import Location, StockLevel
from inventory.domain.reservations import Reservation, ReservedLine
from pricing.domain import (
    CodeRedemption,
    CodeRedemptions,
    Customer,
    GiftCertificateRedemption,
    GiftCertificates,
    PromotionStore,
)
from shop_kernel.limits import AttemptKey
from shop_kernel.money import Money
from shop_kernel.transact import TransactPart


class PromotionLookups(PromotionStore, CodeRedemptions, GiftCertificates, Protocol):
    """Promotions, code usage and gift certificates, as read for one checkout."""


@dataclass(frozen=True)
class CheckoutInputs:
    """Everything a checkout prices and plans with, read in one round trip after the cart."""

    facts: Mapping[str, SkuFacts]
    stock: Mapping[str, Mapping[str, StockLevel]]
    locations: Mapping[str, Location]
    promotions: PromotionLookups
    # The loyalty member's available points and the redemption rules: read only when points are asked for.
    member: MemberPoints | None = None


class OrderExists(Exception):
    """An order with this id exists already: nothing was written."""


class OrderChanged(Exception):
    """The order was written by someone else since it was read: nothing was written."""


class UnitOfWork(Protocol):
    """One ``TransactWriteItems``: what one command writes in checkout's and the owners' tables, all or
    nothing. Each call adds its items; ``commit`` sends them once.

    ``commit`` raises the domain error of the first refused write: ``CartClosed`` / ``CartChanged``
    (cart), ``OrderExists`` / ``OrderChanged`` (the order), ``HoldExists`` / ``HoldLapsed`` (the stock
    hold), the 409s ``code_no_longer_available`` / ``balance_changed`` (a code or a certificate),
    ``InsufficientPoints`` (loyalty points), or ``LedgerMismatch`` / ``PointsAlreadyRestored`` /
    ``NothingToRestore`` (a give-back); ``StockTaken`` or ``WriteContended`` when another write was only
    faster (plan again), and only when no other write was refused.
    """

    def close_cart(
        self, owner: CartOwner, cart: StoredCart, order_id: str, checkout_ref: str, at: str
    ) -> None:
        """The cart becomes ``order_id``'s, only if it is still open at the version priced."""
        ...

    def add_order(self, order: Order) -> None:
        """A new order (and the buyer's reference to it)."""
        ...

    def update_order(self, order: Order, expected_version: int) -> None:
        """The order's next version, only if it is still at ``expected_version``."""
        ...

    def reserve(self, plan: ReservationPlan, reservation_id: str, order_id: str, hold: timedelta) -> None:
        """The planned units taken from stock (only while available) and held for ``hold``."""
        ...

    def extend_hold(self, reservation_id: str, expires_at: int) -> None:
        """An active hold kept until ``expires_at`` (epoch seconds)."""
        ...

    def redeem_code(self, redemption: CodeRedemption) -> None:
        """One more use of the code (and by the customer), only while under its limits."""
        ...

    def debit_certificate(self, redemption: GiftCertificateRedemption, order_id: str, at: str) -> None:
        """The certificate debited, only while its balance is the one priced."""
        ...

    def record_answer(self, part: TransactPart) -> None:
        """The request's answer (its idempotency record completed), written with everything else."""
        ...

    def debit_points(self, points: PointsTender, order_id: str, at: str) -> None:
        """The member's points taken for ``order_id`` (once), only while the balance covers them
        (``InsufficientPoints``: the balance changed since it was read)."""
        ...

    def restore_points(self, points: PointsTender, order_id: str, at: str) -> None:
        """What ``order_id`` debited from the member's points, given back once (``PointsAlreadyRestored``,
        ``NothingToRestore``: a ledger error)."""
        ...

    def restore_code(self, redemption: CodeRedemption) -> None:
        """The use ``redeem_code`` counted, given back."""
        ...

    def restore_certificate(self, code: str, amount: Money, order_id: str, at: str) -> None:
        """What ``order_id`` debited from the certificate, credited back once."""
        ...

    def count_velocity(self, keys: Sequence[VelocityKey], now: datetime) -> None:
        """One more order on each of this hour's fraud velocity counters."""
        ...

    def commit_stock(self, reservation: Reservation, lines: Sequence[ReservedLine], now: datetime) -> None:
        """Shipped units leave the stock and the hold (``HoldChanged`` if it is not as read)."""
        ...

    def release_stock(self, reservation: Reservation, lines: Sequence[ReservedLine], now: datetime) -> None:
        """Dropped units go back to available; the rest stays held (``HoldChanged`` as above)."""
        ...

    def __len__(self) -> int:
        """How many items the transaction holds so far (DynamoDB takes at most 100)."""
        ...

    def commit(self) -> None: ...


class CheckoutStore(Protocol):
    def cart(self, owner: CartOwner) -> StoredCart | None: ...

    def inputs(
        self, cart: StoredCart, customer: Customer, location_ids: Sequence[str], member_id: str | None = None
    ) -> CheckoutInputs:
        """Facts of the cart's SKUs, their stock at ``location_ids`` and every location, its codes; with
        ``member_id``, that loyalty member's points and the redemption rules (in the same read)."""
        ...

    def unit_of_work(self) -> UnitOfWork:
        """A new, empty transaction."""
        ...

    def order(self, order_id: str) -> Order | None: ...

    def velocity(self, keys: Sequence[VelocityKey]) -> Mapping[VelocityKey, int]:
        """This hour's counts for ``keys`` (absent = 0)."""
        ...

    def reservation(self, reservation_id: str) -> Reservation | None:
        """The order's stock hold as it is now (fulfilment commits and releases parts of it)."""
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
    # Stripe lets this payment be captured several times (one capture per shipment).
    multicapture: bool = False


class CaptureDeclined(Exception):
    """The issuer refused a capture: nothing was taken."""


class AuthorisationExpired(Exception):
    """The PaymentIntent can no longer be captured: its authorisation lapsed or it was cancelled."""


class PaymentGateway(Protocol):
    def create_intent(self, order: Order, idempotency_key: str) -> PaymentIntent:
        """A PaymentIntent for ``order.payment.amount`` with manual capture, tagged with the order id."""
        ...

    def retrieve_intent(self, intent_id: str) -> PaymentIntent: ...

    def cancel_intent(self, intent_id: str, reason: str, idempotency_key: str) -> PaymentIntent:
        """Cancel (void an authorisation); cancelling a cancelled intent answers it unchanged."""
        ...

    def charge_facts(self, charge_id: str) -> ChargeFacts: ...

    def capture_intent(self, intent_id: str, amount: int, final: bool, idempotency_key: str) -> PaymentIntent:
        """Capture ``amount`` (minor units) of the authorisation; ``final``: release the rest (without it,
        the rest stays capturable: multicapture). ``CaptureDeclined``, ``AuthorisationExpired``."""
        ...

    def list_intents(self, created_since: datetime) -> Iterator[PaymentIntent]:
        """Every PaymentIntent created at or after ``created_since``, newest first (the reconciler)."""
        ...
