"""``CheckoutService.place``: a priced, reserved order with its PaymentIntent, exactly once.

1. Read the cart (consistent). A cart this very request already checked out is answered again (a retry
   after a crash); checked out by another request: 409 naming that order. Then count the attempt against
   the cart (or customer) and the client address: over a limit is a 429 (``checkout.domain.throttle``),
   unless the caller counted it already (the route does, in its idempotency record's write).
2. Read what pricing and planning need in one round trip; price strictly (server prices only) and plan
   which location each line comes from.
3. Create the PaymentIntent (manual capture) with an idempotency key made from the order id, which is
   deterministic per (cart version, request): a retry gets the same PaymentIntent back from Stripe.
4. ONE ``TransactWriteItems``, through the ``UnitOfWork`` port: the cart closed on the version priced,
   the order (must not exist), the stock decrements (``available >= :q``) with the reservation, the
   promo code counts, gift certificate debits, the loyalty points the customer pays with (at most
   what loyalty's redemption rules allow, read in step 2: ``checkout.domain.points``), and the request's
   answer when it brings one (its idempotency record completed). The adapter builds the other contexts'
   items from their contract modules, and a refusal comes back as the owner's domain error. An order gift
   certificates and/or points pay in full is placed at once: it is screened for fraud here (one more read:
   this hour's velocity counters, counted in the same transaction) and its stock is held as long as an
   authorised card payment's. Either the order exists with everything it needs, or nothing was written.
   When a stock condition fails (another buyer was faster) the order
   is planned again from fresh stock, a few times at most; an unsatisfiable line is a 409 naming it.

The shopper's client confirms the payment with the client secret; the webhook moves the order on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from loyalty.domain.errors import InsufficientPoints, PointsAlreadySpent

from cart.domain.models import CartChanged, CartClosed, CartOwner, CartStatus, OwnerKind, SkuFacts, StoredCart
from cart.domain.pricing import PricingPorts, customer_for, preview
from checkout.domain.body import CheckoutBody
from checkout.domain.fraud import DEFAULT_POLICY, RiskPolicy, VelocityKey
from checkout.domain.orders import (
    OrderTerms,
    checkout_ref,
    contact_for,
    fulfilment_of,
    intent_key,
    new_order,
    order_id_for,
    screened,
    with_intent,
)
from checkout.domain.points import FIELD, check_card_charge, points_tender
from checkout.domain.ports import CheckoutInputs, CheckoutStore, PaymentGateway, PaymentIntent
from checkout.domain.screening import screen
from checkout.domain.throttle import AttemptLimits, attempt_keys
from inventory.domain.allocation import InsufficientStock, ReservationLine, ReservationPlan, plan_reservation
from inventory.domain.models import LocationKind
from inventory.domain.reservations import HoldExists
from orders.domain.errors import OrderExists
from orders.domain.models import Buyer, Order
from pricing.domain import (
    CarrierQuotes,
    Customer,
    PricedCart,
    TaxRates,
)
from shop_kernel.clock import Clock, isoformat
from shop_kernel.errors import Conflict, FieldError, NotFound, PreconditionFailed, ValidationFailed
from shop_kernel.transact import TransactPart, WriteContended

MAX_ATTEMPTS = 3
MAX_TRANSACTION_ITEMS = 100


@dataclass(frozen=True)
class PlaceOrder:
    owner: CartOwner
    buyer: Buyer
    body: CheckoutBody
    idempotency_key: str
    if_match: int | None = None
    client_ip: str | None = None
    # The request's answer as one more write of the order's transaction (its idempotency record completed).
    answer: Callable[[Placed], TransactPart] | None = None
    # Counted against its sources already (the route counts it with its idempotency record).
    attempt_counted: bool = False
    # Loyalty points to pay with (customers only): a number, "max" (as many as allowed), or None.
    points: int | Literal["max"] | None = None


@dataclass(frozen=True)
class Placed:
    order: Order
    client_secret: str | None
    resumed: bool = False
    recorded: bool = False  # the request's ``answer`` was written with the order

    def view(self) -> dict[str, Any]:
        payment = self.order.payment
        return {
            "order": self.order.view(),
            "payment": {
                "provider": payment.provider,
                "payment_intent_id": payment.intent_id,
                "client_secret": self.client_secret,
                "amount": payment.amount.model_dump(),
                "pay_by": self.order.payment_due_by,
            },
        }


def cart_checked_out(order_id: str | None) -> Conflict:
    return Conflict("this cart has already been checked out", order_id=order_id)


@dataclass(frozen=True)
class _Attempt:
    """One pricing and planning of the cart."""

    order: Order
    plan: ReservationPlan
    priced: PricedCart


@dataclass(frozen=True)
class _Counted:
    """The fraud velocity counters an order counts when it is placed, as of ``at``."""

    keys: list[VelocityKey]
    at: datetime | None = None


@dataclass
class CheckoutService:
    store: CheckoutStore
    payments: PaymentGateway
    clock: Clock
    tax_rates: TaxRates
    carrier_quotes: CarrierQuotes
    terms: OrderTerms = field(default_factory=OrderTerms)
    policy: RiskPolicy = field(default_factory=lambda: DEFAULT_POLICY)
    attempt_limits: AttemptLimits = field(default_factory=AttemptLimits)

    def place(self, request: PlaceOrder) -> Placed:
        ref = checkout_ref(request.buyer, request.idempotency_key)
        cart = self.store.cart(request.owner)
        if cart is None or cart.status is CartStatus.MERGED:
            raise NotFound("no such cart")
        if cart.status is CartStatus.CHECKED_OUT:
            return self._resume(cart, ref)
        if request.if_match is not None and request.if_match != cart.version:
            raise PreconditionFailed("the cart changed since you read it", version=cart.version)
        if not cart.lines:
            raise ValidationFailed.on("cart.lines", "the cart is empty", "empty")
        now = self.clock.now()
        if not request.attempt_counted:
            self.store.count_attempt(
                attempt_keys(request.owner, request.client_ip, now, self.attempt_limits), now
            )
        customer = self._customer(request)
        for _ in range(MAX_ATTEMPTS):
            attempt = self._attempt(request, cart, customer, ref)
            intent = self._intent(attempt.order)
            order = with_intent(attempt.order, intent.id) if intent else attempt.order
            order, counted = self._screen_uncarded(order)
            placed = Placed(
                order, intent.client_secret if intent else None, recorded=request.answer is not None
            )
            answer = request.answer(placed) if request.answer is not None else None
            try:
                self._write(attempt, request.owner, cart, order, ref, counted, answer)
            except WriteContended:
                continue  # another buyer took the stock (or held an item): plan again from fresh stock
            except CartClosed as closed:
                self._cart_closed(closed, order, intent)
                return replace(placed, recorded=False)  # written by an earlier try, without this answer
            except CartChanged:
                self._cancel_unusable(intent, order)
                raise Conflict("the cart changed while you were checking out: review it and retry") from None
            except (OrderExists, HoldExists, PointsAlreadySpent):
                raise Conflict("the order could not be written, please retry") from None
            except InsufficientPoints as short:
                raise InsufficientPoints(
                    "your points balance changed while you were checking out: review it and retry",
                    available=short.extra.get("available"),
                ) from None
            return placed
        raise Conflict("the last units of an item in your cart are being bought right now: please retry")

    # --- steps ----------------------------------------------------------------------------------

    def _member_id(self, request: PlaceOrder) -> str | None:
        """The loyalty member whose points pay (read only when points are asked for; guests have none)."""
        if request.points is None:
            return None
        if request.owner.kind is not OwnerKind.CUSTOMER:
            raise ValidationFailed.on(FIELD, "only signed-in customers can pay with points", "not_a_member")
        return request.buyer.key

    def _customer(self, request: PlaceOrder) -> Customer:
        buyer = request.buyer
        email = request.body.email or buyer.email
        if request.owner.kind is OwnerKind.GUEST:
            return customer_for(None, email, None)
        return customer_for(buyer.key, email, buyer.price_group)

    def _resume(self, cart: StoredCart, ref: str) -> Placed:
        """The cart is an order already: this request's own (answer it again) or another one's (409)."""
        if cart.checkout_ref != ref or cart.order_id is None:
            raise cart_checked_out(cart.order_id)
        order = self.store.order(cart.order_id)
        if order is None:  # pragma: no cover - the cart and the order are written in one transaction
            raise cart_checked_out(cart.order_id)
        secret = None
        if order.payment.intent_id is not None:
            secret = self.payments.retrieve_intent(order.payment.intent_id).client_secret
        return Placed(order, secret, resumed=True)

    def _attempt(self, request: PlaceOrder, cart: StoredCart, customer: Customer, ref: str) -> _Attempt:
        fulfilment = fulfilment_of(cart)
        # Every warehouse is a candidate (the store adds them); the pickup store is one too.
        pickup = [fulfilment.location_id] if fulfilment.location_id else []
        inputs = self.store.inputs(cart, customer, pickup, member_id=self._member_id(request))
        facts = _sellable_facts(cart, inputs.facts)
        now = self.clock.now()
        store_country = self._store_country(inputs, fulfilment.location_id)
        contact = contact_for(request.body, request.buyer, cart, store_country)
        priced = preview(cart, facts, customer, now, self._ports(inputs), field_prefix="cart")
        lines = [ReservationLine(sku=line.sku, quantity=line.quantity) for line in cart.lines]
        try:
            plan = plan_reservation(lines, fulfilment, now, stock=inputs.stock, locations=inputs.locations)
        except InsufficientStock as short:
            raise _on_cart(short) from None
        points = points_tender(request.points, inputs.member, priced, facts)
        check_card_charge(priced, points)
        order = new_order(
            order_id_for(cart, ref),
            cart,
            request.buyer,
            contact,
            priced,
            plan,
            dict(facts),
            ref,
            now,
            self.terms,
            request.client_ip,
            points,
        )
        return _Attempt(order=order, plan=plan, priced=priced)

    def _store_country(self, inputs: CheckoutInputs, store_id: str | None) -> str | None:
        if store_id is None:
            return None
        store = inputs.locations.get(store_id)
        if store is None or store.kind != LocationKind.STORE or not store.pickup:
            message = f"{store_id} is not a store where orders can be collected"
            raise ValidationFailed.on("cart.pickup_location_id", message, "not_a_pickup_store")
        return store.address.country

    def _ports(self, inputs: CheckoutInputs) -> PricingPorts:
        return PricingPorts(
            tax_rates=self.tax_rates,
            carrier_quotes=self.carrier_quotes,
            promotions=inputs.promotions,
            code_redemptions=inputs.promotions,
            gift_certificates=inputs.promotions,
        )

    def _intent(self, order: Order) -> PaymentIntent | None:
        if order.payment.provider != "stripe":
            return None
        return self.payments.create_intent(order, intent_key(order))

    def _screen_uncarded(self, order: Order) -> tuple[Order, _Counted]:
        """An order gift certificates pay in full is placed now, so it is screened now (a card order is
        screened when Stripe authorises it); the velocity counters count it in the same transaction."""
        if order.payment.provider == "stripe":
            return order, _Counted([])
        now = self.clock.now()
        assessment, keys = screen(order, None, self.store, self.policy, now)
        order = screened(order, assessment.model_dump(mode="json"), assessment.needs_review)
        return order, _Counted(keys, now)

    def _write(
        self,
        attempt: _Attempt,
        owner: CartOwner,
        cart: StoredCart,
        order: Order,
        ref: str,
        counted: _Counted,
        answer: TransactPart | None = None,
    ) -> None:
        """ONE transaction: the cart closed, the order, the stock held, the codes counted, the
        certificates and points debited, the velocity counted and the request's answer recorded; refused
        before sending when it is too large."""
        at = isoformat(self.clock.now())
        work = self.store.unit_of_work()
        work.close_cart(owner, cart, order.id, ref, at)
        work.add_order(order)
        hold = self.terms.hold(paid_by_card=order.payment.provider == "stripe")
        work.reserve(attempt.plan, order.reservation_id, order.id, hold)
        for code in attempt.priced.redemptions.promo_codes:
            work.redeem_code(code)
        for gift in attempt.priced.redemptions.gift_certificates:
            work.debit_certificate(gift, order.id, at)
        if order.points is not None:
            work.debit_points(order.points, order.id, at)
        if counted.keys and counted.at is not None:
            work.count_velocity(counted.keys, counted.at)
        if answer is not None:
            work.record_answer(answer)
        if len(work) > MAX_TRANSACTION_ITEMS:
            raise ValidationFailed.on(
                "cart.lines", "too many lines, locations and codes for one order: split it", "too_large"
            )
        work.commit()

    def _cart_closed(self, closed: CartClosed, order: Order, intent: PaymentIntent | None) -> None:
        """The cart is an order already: ours (a retried call whose first try was written after all, its
        answer lost) lands as placed; another one's is a 409 naming it, our PaymentIntent cancelled."""
        if closed.order_id == order.id:
            return
        self._cancel_unusable(intent, order)
        raise cart_checked_out(closed.order_id) from None

    def _cancel_unusable(self, intent: PaymentIntent | None, order: Order) -> None:
        """The cart version this order was made for is gone, so its PaymentIntent can never be paid."""
        if intent is not None:
            self.payments.cancel_intent(intent.id, "abandoned", f"{order.id}-abandon")


def _sellable_facts(cart: StoredCart, facts: Mapping[str, SkuFacts]) -> Mapping[str, SkuFacts]:
    """Every line must still be sellable in the cart currency: an order never silently drops a line."""
    errors = []
    for index, line in enumerate(cart.lines):
        fact = facts.get(line.sku)
        if fact is None or not fact.sellable:
            message = f"{line.sku} is no longer sold: remove it from the cart"
            errors.append(FieldError(field=f"cart.lines.{index}.sku", message=message, code="not_sellable"))
        elif not fact.has_price_in(cart.currency):
            message = f"{line.sku} has no price in {cart.currency}"
            errors.append(
                FieldError(field=f"cart.lines.{index}.sku", message=message, code="currency_mismatch")
            )
    if errors:
        raise ValidationFailed("some lines of the cart cannot be ordered", errors=errors)
    return facts


def _on_cart(short: InsufficientStock) -> InsufficientStock:
    """The planner names ``lines.<i>``; for the shopper those are the cart's lines."""
    errors = [e.model_copy(update={"field": f"cart.{e.field}"}) for e in short.errors]
    return InsufficientStock(short.detail, errors=errors, **short.extra)


__all__ = ["CheckoutService", "PlaceOrder", "Placed"]
