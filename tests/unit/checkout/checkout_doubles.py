"""In-memory stand-ins for checkout's ports: one cart, its SKU facts, stock and locations, the pricing
fakes of ``tests/unit/pricing`` for promotions, codes and certificates, a Stripe double, and the one
in-memory ``UnitOfWork`` both ``CheckoutService`` and ``PaymentEvents`` are tested with.

``UnitOfWorkInMemory`` records every write as the port call the service made (``calls``) and as the items
the DynamoDB adapter would send for it (the owners' contract parts; ``OrderBook.transactions``). Its
``commit`` asks the book's next answer (``OrderBook.answers``: a function of the items sent that returns
the entries DynamoDB would refuse, or None) and, on a refusal, raises what the parts themselves make of
their reasons, as in the cloud; otherwise it writes the orders in memory (an update only on the version
read).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from loyalty.domain.rules import DEFAULT_RULES, RedemptionRules

from cart.domain.models import CartOwner, CartStatus, Line, OwnerKind, SkuFacts, SkuStatus, StoredCart
from checkout.adapters.dynamo import DynamoUnitOfWork
from checkout.domain.body import CheckoutBody
from checkout.domain.fraud import VelocityKey
from checkout.domain.points import MemberPoints
from checkout.domain.ports import ChargeFacts, CheckoutInputs, PaymentIntent
from checkout.domain.service import CheckoutService, PlaceOrder
from checkout.domain.throttle import too_many_checkouts
from inventory.domain.allocation import ReservationPlan
from inventory.domain.models import Location, StockLevel
from inventory.domain.reservations import Reservation, ReservedLine
from orders.domain.errors import OrderChanged
from orders.domain.models import Address, Buyer, Order, PointsTender
from pricing.domain import CodeRedemption, Customer, GiftCertificateRedemption, ListPrice
from shop_kernel.clock import FixedClock
from shop_kernel.limits import AttemptKey
from shop_kernel.money import Money
from shop_kernel.transact import Reason, TransactPart, refusal
from tests.unit.inventory.conftest import level, location
from tests.unit.pricing.conftest import FakeShop

NOW = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
GUEST_KEY = "g" * 64
OWNER = CartOwner(kind=OwnerKind.GUEST, key=GUEST_KEY)
BUYER = Buyer(kind="guest", key=GUEST_KEY)
BODY = CheckoutBody(
    email="anna@example.com",
    shipping_address=Address(name="Anna", line1="Unter den Linden 1", city="Berlin", country="DE"),
)


def eur(amount: int) -> Money:
    return Money.of(amount, "EUR")


def sku_facts(sku: str, price: int = 1000, **changes: Any) -> SkuFacts:
    retail = ListPrice(price_list="retail", amount=eur(price), includes_tax=True)
    facts = SkuFacts(
        sku=sku,
        product_id=f"prd_{sku}",
        product_version=1,
        status=SkuStatus.PUBLISHED,
        name={"en": sku},
        prices=(retail,),
    )
    return facts.model_copy(update=changes)


def open_cart(**changes: Any) -> StoredCart:
    cart = StoredCart(
        id="cart_01JDZZZZZZZZZZZZZZZZZZZZZZ",
        owner_kind=OwnerKind.GUEST,
        version=3,
        currency="EUR",
        destination_country="DE",
        lines=(Line(sku="A", quantity=2, added_at="2026-03-16T08:00:00.000Z"),),
        created_at="2026-03-16T08:00:00.000Z",
        updated_at="2026-03-16T08:30:00.000Z",
        expires_at=2_000_000_000,
    )
    return cart.model_copy(update=changes)


@dataclass(frozen=True)
class Refusal:
    """What DynamoDB answers for one entry of a cancelled transaction: its index, code and old item."""

    index: int
    code: str = "ConditionalCheckFailed"
    item: dict[str, Any] | None = None


Answer = Callable[[Sequence[dict[str, Any]]], list[Refusal] | None]


class UnitOfWorkInMemory:
    """``UnitOfWork`` over an ``OrderBook`` (see the module docstring)."""

    def __init__(self, book: OrderBook) -> None:
        self._book = book
        self._wire = DynamoUnitOfWork(client=None, table=lambda role: role)  # never sends: items only
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def _record(self, name: str, **args: Any) -> None:
        self.calls.append((name, args))
        getattr(self._wire, name)(**args)

    def close_cart(
        self, owner: CartOwner, cart: StoredCart, order_id: str, checkout_ref: str, at: str
    ) -> None:
        self._record(
            "close_cart", owner=owner, cart=cart, order_id=order_id, checkout_ref=checkout_ref, at=at
        )

    def add_order(self, order: Order) -> None:
        self._record("add_order", order=order)

    def update_order(self, order: Order, expected_version: int) -> None:
        self._record("update_order", order=order, expected_version=expected_version)

    def reserve(self, plan: ReservationPlan, reservation_id: str, order_id: str, hold: timedelta) -> None:
        self._record("reserve", plan=plan, reservation_id=reservation_id, order_id=order_id, hold=hold)

    def extend_hold(self, reservation_id: str, expires_at: int) -> None:
        self._record("extend_hold", reservation_id=reservation_id, expires_at=expires_at)

    def redeem_code(self, redemption: CodeRedemption) -> None:
        self._record("redeem_code", redemption=redemption)

    def debit_certificate(self, redemption: GiftCertificateRedemption, order_id: str, at: str) -> None:
        self._record("debit_certificate", redemption=redemption, order_id=order_id, at=at)

    def record_answer(self, part: TransactPart) -> None:
        self._record("record_answer", part=part)

    def debit_points(self, points: PointsTender, order_id: str, at: str) -> None:
        self._record("debit_points", points=points, order_id=order_id, at=at)

    def restore_points(self, points: PointsTender, order_id: str, at: str) -> None:
        self._record("restore_points", points=points, order_id=order_id, at=at)

    def restore_code(self, redemption: CodeRedemption) -> None:
        self._record("restore_code", redemption=redemption)

    def restore_certificate(self, code: str, amount: Money, order_id: str, at: str) -> None:
        self._record("restore_certificate", code=code, amount=amount, order_id=order_id, at=at)

    def count_velocity(self, keys: Sequence[VelocityKey], now: datetime) -> None:
        self._record("count_velocity", keys=list(keys), now=now)

    def commit_stock(self, reservation: Reservation, lines: Sequence[ReservedLine], now: datetime) -> None:
        self._record("commit_stock", reservation=reservation, lines=list(lines), now=now)

    def release_stock(self, reservation: Reservation, lines: Sequence[ReservedLine], now: datetime) -> None:
        self._record("release_stock", reservation=reservation, lines=list(lines), now=now)

    def __len__(self) -> int:
        return len(self._wire)

    def called(self, name: str) -> list[dict[str, Any]]:
        return [args for call, args in self.calls if call == name]

    def commit(self) -> None:
        entries = [entry for part in self._wire.parts for entry in part.entries]
        self._book.transactions.append(entries)
        self._book.works.append(self)
        refusals = self._book.answers.pop(0)(entries) if self._book.answers else None
        if refusals:
            reasons = [Reason() for _ in entries]
            for refused in refusals:
                reasons[refused.index] = Reason(refused.code, refused.item)
            raise refusal(self._wire.parts, reasons)
        for name, args in self.calls:
            if name == "add_order":
                self._book.orders[args["order"].id] = args["order"]
            elif name == "update_order":
                self._book.write(args["order"], args["expected_version"])


@dataclass
class OrderBook:
    """Orders in memory, and every transaction a unit of work sent (items and port calls)."""

    orders: dict[str, Order] = field(default_factory=dict)
    answers: list[Answer] = field(default_factory=list)
    transactions: list[list[dict[str, Any]]] = field(default_factory=list)
    works: list[UnitOfWorkInMemory] = field(default_factory=list)
    reservations: dict[str, Reservation] = field(default_factory=dict)

    def unit_of_work(self) -> UnitOfWorkInMemory:
        return UnitOfWorkInMemory(self)

    def reservation(self, reservation_id: str) -> Reservation | None:
        return self.reservations.get(reservation_id)

    def order(self, order_id: str) -> Order | None:
        return self.orders.get(order_id)

    def write(self, order: Order, expected_version: int) -> None:
        """The order's next version, only on the version read (as the conditional put)."""
        current = self.orders.get(order.id)
        if current is None or current.version != expected_version:
            raise OrderChanged
        self.orders[order.id] = order


@dataclass
class CheckoutStoreInMemory(OrderBook):
    cart_: StoredCart | None = None
    facts: dict[str, SkuFacts] = field(default_factory=dict)
    stock: dict[str, dict[str, StockLevel]] = field(default_factory=dict)
    locations: dict[str, Location] = field(default_factory=dict)
    shop: FakeShop = field(default_factory=FakeShop)
    customers: list[Customer] = field(default_factory=list)
    candidates: list[list[str]] = field(default_factory=list)  # the location ids each read asked for
    attempts: dict[tuple[str, str, str], int] = field(default_factory=dict)  # attempt counters by window
    points: dict[str, int] = field(default_factory=dict)  # loyalty members' available points
    redemption: RedemptionRules = field(default_factory=lambda: DEFAULT_RULES.redemption)
    members: list[str | None] = field(default_factory=list)  # the member each read asked for

    def cart(self, owner: CartOwner) -> StoredCart | None:
        return self.cart_ if owner == OWNER or (self.cart_ and owner.kind is OwnerKind.CUSTOMER) else None

    def inputs(
        self, cart: StoredCart, customer: Customer, location_ids: Sequence[str], member_id: str | None = None
    ) -> CheckoutInputs:
        """As the adapter: the facts and stock of the SKUs in the cart it is given, nothing else; the
        member's points and the redemption rules only when asked for a member."""
        self.customers.append(customer)
        self.candidates.append(list(location_ids))
        self.members.append(member_id)
        skus = {line.sku for line in cart.lines}
        member = None
        if member_id is not None:
            member = MemberPoints(member_id, self.points.get(member_id, 0), self.redemption)
        return CheckoutInputs(
            facts={sku: fact for sku, fact in self.facts.items() if sku in skus},
            stock={sku: levels for sku, levels in self.stock.items() if sku in skus},
            locations=self.locations,
            promotions=self.shop,
            member=member,
        )

    def velocity(self, keys: Sequence[Any]) -> dict[Any, int]:
        return {}

    def count_attempt(self, keys: Sequence[AttemptKey], now: datetime) -> None:
        """As the adapter: one more on each counter in order, a 429 at the first one at its limit."""
        for key in keys:
            counter = (key.source, key.value, key.sort_key)
            if self.attempts.get(counter, 0) >= key.limit:
                raise too_many_checkouts(key, now)
            self.attempts[counter] = self.attempts.get(counter, 0) + 1


@dataclass
class StripeDouble:
    created: list[tuple[str, int, str, str]] = field(default_factory=list)  # order id, amount, currency, key
    cancelled: list[tuple[str, str, str]] = field(default_factory=list)

    def create_intent(self, order: Order, idempotency_key: str) -> PaymentIntent:
        amount = order.payment.amount
        self.created.append((order.id, amount.amount, amount.currency, idempotency_key))
        return PaymentIntent(
            id=f"pi_{len(self.created)}",
            status="requires_payment_method",
            amount=amount.amount,
            currency=amount.currency,
            client_secret=f"pi_{len(self.created)}_secret",
            metadata={"order_id": order.id},
        )

    def retrieve_intent(self, intent_id: str) -> PaymentIntent:
        return PaymentIntent(
            id=intent_id,
            status="requires_payment_method",
            amount=0,
            currency="EUR",
            client_secret=f"{intent_id}_secret_again",
        )

    def cancel_intent(self, intent_id: str, reason: str, idempotency_key: str) -> PaymentIntent:
        self.cancelled.append((intent_id, reason, idempotency_key))
        return PaymentIntent(id=intent_id, status="canceled", amount=0, currency="EUR")

    def charge_facts(self, charge_id: str) -> ChargeFacts:  # pragma: no cover - payments only
        raise AssertionError("checkout never reads a charge")


@dataclass
class Shop:
    store: CheckoutStoreInMemory
    stripe: StripeDouble
    service: CheckoutService

    def place(self, **changes: Any) -> Any:
        request = PlaceOrder(owner=OWNER, buyer=BUYER, body=BODY, idempotency_key="key-1")
        return self.service.place(PlaceOrder(**{**request.__dict__, **changes}))

    def answer(self, *answers: Answer) -> None:
        self.store.answers.extend(answers)


def shop(cart: StoredCart | None = None, available: int = 5, **facts: SkuFacts) -> Shop:
    warehouse = location("berlin-dc", kind="warehouse")
    pricing = FakeShop()
    store = CheckoutStoreInMemory(
        cart_=open_cart() if cart is None else cart,
        facts=facts or {"A": sku_facts("A")},
        stock={sku: {"berlin-dc": level(sku, "berlin-dc", available)} for sku in facts or {"A": None}},
        locations={"berlin-dc": warehouse},
        shop=pricing,
    )
    stripe = StripeDouble()
    service = CheckoutService(
        store=store,
        payments=stripe,
        clock=FixedClock(NOW),
        tax_rates=pricing,
        carrier_quotes=pricing,
    )
    return Shop(store=store, stripe=stripe, service=service)


def refuse_entries(*indexes: int) -> Answer:
    """Refuse the entries at ``indexes`` (their conditions failed)."""

    def answer(entries: Sequence[dict[str, Any]]) -> list[Refusal]:
        return [Refusal(index=i) for i in sorted(indexes)]

    return answer


def refuse(kind: str, code: str = "ConditionalCheckFailed", item: dict[str, Any] | None = None) -> Answer:
    """Refuse the first entry of ``kind`` (cart, order, stock, code, gift, points) with ``code``."""

    def answer(entries: Sequence[dict[str, Any]]) -> list[Refusal]:
        return [Refusal(index=index_of(entries, kind), code=code, item=item)]

    return answer


def index_of(entries: Sequence[dict[str, Any]], kind: str) -> int:
    tables = {
        "cart": "carts",
        "order": "orders",
        "stock": "inventory",
        "code": "promotions",
        "gift": "loyalty",
        "points": "loyalty",
    }
    for index, entry in enumerate(entries):
        body = next(iter(entry.values()))
        if body["TableName"] != tables[kind]:
            continue
        if kind == "points" and "Update" not in entry:  # the member's balance, not the guard or entry
            continue
        if kind == "stock" and "available" not in body.get("ConditionExpression", ""):
            continue
        if kind in {"code", "gift"} and not body["Key"]["pk"]["S"].startswith(
            "CODE" if kind == "code" else "CERT#"
        ):
            continue
        return index
    raise AssertionError(f"no {kind} entry in the transaction")


def checked_out_cart_item(order_id: str) -> dict[str, Any]:
    return {"status": {"S": CartStatus.CHECKED_OUT.value}, "order_id": {"S": order_id}}
