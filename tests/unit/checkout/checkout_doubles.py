"""In-memory stand-ins for ``CheckoutService``'s ports: one cart, its SKU facts, stock and locations,
the pricing fakes of ``tests/unit/pricing`` for promotions, codes and certificates, and a Stripe double.

``CheckoutStoreInMemory.refuse`` queues what the next transactions answer: a function of the entries
sent that returns the refusals (or None to let the transaction land, which stores the order).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cart.domain.models import CartOwner, CartStatus, Line, OwnerKind, SkuFacts, SkuStatus, StoredCart
from checkout.adapters.records import order_from_item
from checkout.domain.models import Address, Buyer, CheckoutBody, Order
from checkout.domain.ports import ChargeFacts, CheckoutInputs, PaymentIntent, Refusal, TransactionRefused
from checkout.domain.service import CheckoutService, PlaceOrder, Tables
from checkout.domain.throttle import too_many_checkouts
from inventory.domain.models import Location, StockLevel
from pricing.domain import Customer, ListPrice
from shop_kernel.clock import FixedClock
from shop_kernel.limits import AttemptKey
from shop_kernel.money import Money
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
TABLES = Tables(orders="orders", carts="carts", inventory="inventory", promotions="promotions")
Answer = Callable[[Sequence[dict[str, Any]]], list[Refusal] | None]


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


@dataclass
class CheckoutStoreInMemory:
    cart_: StoredCart | None
    facts: dict[str, SkuFacts]
    stock: dict[str, dict[str, StockLevel]]
    locations: dict[str, Location]
    shop: FakeShop
    answers: list[Answer] = field(default_factory=list)
    transactions: list[list[dict[str, Any]]] = field(default_factory=list)
    orders: dict[str, Order] = field(default_factory=dict)
    customers: list[Customer] = field(default_factory=list)
    candidates: list[list[str]] = field(default_factory=list)  # the location ids each read asked for
    attempts: dict[tuple[str, str, str], int] = field(default_factory=dict)  # attempt counters by window

    def cart(self, owner: CartOwner) -> StoredCart | None:
        return self.cart_ if owner == OWNER or (self.cart_ and owner.kind is OwnerKind.CUSTOMER) else None

    def inputs(self, cart: StoredCart, customer: Customer, location_ids: Sequence[str]) -> CheckoutInputs:
        self.customers.append(customer)
        self.candidates.append(list(location_ids))
        return CheckoutInputs(
            facts=self.facts, stock=self.stock, locations=self.locations, promotions=self.shop
        )

    def transact(self, entries: Sequence[dict[str, Any]]) -> None:
        self.transactions.append(list(entries))
        refusals = self.answers.pop(0)(entries) if self.answers else None
        if refusals:
            raise TransactionRefused(refusals)
        order = order_from_item(entries[1]["Put"]["Item"])
        self.orders[order.id] = order

    def order(self, order_id: str) -> Order | None:
        return self.orders.get(order_id)

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
        tables=TABLES,
        tax_rates=pricing,
        carrier_quotes=pricing,
    )
    return Shop(store=store, stripe=stripe, service=service)


def refuse(kind: str, code: str = "ConditionalCheckFailed", item: dict[str, Any] | None = None) -> Answer:
    """Refuse the first entry of ``kind`` (cart, order, stock, code, gift) with ``code``."""

    def answer(entries: Sequence[dict[str, Any]]) -> list[Refusal]:
        return [Refusal(index=index_of(entries, kind), code=code, item=item)]

    return answer


def index_of(entries: Sequence[dict[str, Any]], kind: str) -> int:
    tables = {
        "cart": "carts",
        "order": "orders",
        "stock": "inventory",
        "code": "promotions",
        "gift": "promotions",
    }
    for index, entry in enumerate(entries):
        body = next(iter(entry.values()))
        if body["TableName"] != tables[kind]:
            continue
        if kind == "stock" and "available" not in body.get("ConditionExpression", ""):
            continue
        if kind in {"code", "gift"} and not body["Key"]["pk"]["S"].startswith(
            "CODE" if kind == "code" else "GIFT"
        ):
            continue
        return index
    raise AssertionError(f"no {kind} entry in the transaction")


def checked_out_cart_item(order_id: str) -> dict[str, Any]:
    return {"status": {"S": CartStatus.CHECKED_OUT.value}, "order_id": {"S": order_id}}
