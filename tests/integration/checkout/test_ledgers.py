"""Ledgers that always add up: random interleavings of checkouts (card, gift certificate, mixed, with a
promo code), declines, payments, agents cancelling payments in Stripe, time passing, both sweepers (also a
slow one that acts on what it listed earlier), Stripe events and order-stream batches delivered late and
again, run through the real adapters on one moto server and the Stripe stand-in. Each function's part
runs as that function (``tests.harness``): only its spec's environment, its grants enforced, its own
warm clients between its invocations.

After every step:

* stock: each level's ``reserved`` equals the sum of its active reservations, never negative, and
  ``available = on_hand - reserved`` (``inventory.domain.reconciliation.compare_holds``, the
  reconciler's own comparison).

At the end of each interleaving, once every event and stream record has been delivered and both sweepers
have run after the payment windows (what the system converges to):

* a certificate's balance equals what was issued minus what the orders that stand took from it;
* a code's uses equal the orders that stand which used it;
* every authorisation Stripe holds belongs to a placed order (``checkout.domain.reconciliation``: no
  ``payable_after_cancel``, ``orphan_intent`` or ``missed_authorisation`` with money held), nothing is
  left waiting for payment, and every placed order still has its stock hold.

Each interleaving starts from freshly seeded tables (every item of the stage's tables deleted: a few
dozen calls) with a clock of its own that the machine moves. ``LEDGER_EXAMPLES`` (default 100, derandomized:
the same interleavings every run) sets how many run; ``make test-deep`` runs 1,000. 200 cost the suite 154 s of
its 10 minutes.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
import requests
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from infra.local.moto_server import MotoServer, aws_environment, free_port
from infra.local.stripe_standin import StandinConfig, StripeStandin
from shop_kernel.clock import FixedClock
from tests.certificates import certificate_pk, gift_item
from tests.harness import Functions, forget_function_state
from tests.support import order_json, wire_default

pytestmark = pytest.mark.xdist_group("checkout-ledgers")

STAGE = "ledgers"
API_KEY = "sk_test_ledgers"
EXAMPLES = int(os.environ.get("LEDGER_EXAMPLES", "100"))
# The functions whose parts the machine runs, each as itself.
FUNCTIONS = (
    "checkout-api",
    "stripe-webhooks",
    "checkout-events",
    "checkout-sweeper",
    "inventory-sweeper",
    "inventory-reconciler",
)
TABLES = ("orders", "carts", "inventory", "promotions", "loyalty")
LOCATION = "kyiv-dc"
PRICES = {"LED-A": 4_000_000, "LED-B": 1_500_000}
ON_HAND = {"LED-A": 3, "LED-B": 4}
CODE, CODE_LIMIT = "LEDGER10", 2
CERTIFICATES = {"GC-FULL": 10_000_000, "GC-PART": 700_000}
ADDRESS = {
    "name": "Olena Shevchenko",
    "line1": "Khreshchatyk 1",
    "city": "Kyiv",
    "postal_code": "01001",
    "country": "UA",
}
WAREHOUSE = {
    "kind": "warehouse",
    "name": {"en": "Kyiv DC"},
    "address": {"line1": "Promyslova 5", "city": "Kyiv", "country": "UA"},
    "timezone": "Europe/Kyiv",
    "carrier_cutoff": "15:00",
}


class Context:
    function_name = "ledgers"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:ledgers"
    aws_request_id = "22222222-2222-2222-2222-222222222222"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 60_000


SCHEDULED = {
    "version": "0",
    "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2026-12-02T21:30:00Z",
    "region": "eu-west-1",
    "resources": ["arn:aws:events:eu-west-1:123456789012:rule/shop-ledgers-sweeper-schedule"],
    "detail": {},
}


@dataclass
class LedgerStack:
    moto: MotoServer
    standin: StripeStandin
    client: Any
    names: dict[str, str]
    functions: Functions
    clock: FixedClock = field(default_factory=lambda: FixedClock(datetime.now(UTC)))
    stream: Any = None
    agent: Any = None  # an agent's own Stripe client (the Dashboard), not any function's


class OrdersStream:
    """The orders table's stream on the moto server, filtered like the checkout-events trigger."""

    def __init__(self, stack: LedgerStack) -> None:
        from infra.local.pollers import to_lambda_record

        self._to_record = to_lambda_record
        self._client = boto3.client("dynamodbstreams", endpoint_url=stack.moto.url, region_name="eu-west-1")
        self.arn = stack.client.describe_table(TableName=stack.names["orders"])["Table"]["LatestStreamArn"]
        shard = self._client.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"][0]["ShardId"]
        self._iterator = self._client.get_shard_iterator(
            StreamArn=self.arn, ShardId=shard, ShardIteratorType="LATEST"
        )["ShardIterator"]

    def batch(self) -> dict[str, Any]:
        response = self._client.get_records(ShardIterator=self._iterator)
        self._iterator = response["NextShardIterator"]
        records = [
            self._to_record(r, self.arn)
            for r in response["Records"]
            if any(
                (r["dynamodb"].get(k) or {}).get("type", {}).get("S") == "order"
                for k in ("NewImage", "OldImage")
            )
        ]
        return {"Records": json.loads(json.dumps(records, default=wire_default))}


@pytest.fixture(scope="module")
def ledger_stack() -> Iterator[LedgerStack]:
    """The moto server and Stripe stand-in; the process's environment holds what the runtime gives every
    function (endpoint, credentials, Powertools switches), each function's own comes from the harness."""
    from checkout.adapters.stripe_gateway import StripeGateway
    from infra.local.provision import provision
    from infra.resources import physical_name

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto server's request log
    port = free_port()
    standin = StripeStandin(StandinConfig(api_key=API_KEY), port=0)
    env = dict(aws_environment(port))
    env.update(
        STRIPE_API_BASE="",
        POWERTOOLS_TRACE_DISABLED="true",
        POWERTOOLS_METRICS_DISABLED="true",
        POWERTOOLS_METRICS_NAMESPACE="shop",
        POWERTOOLS_LOG_LEVEL="ERROR",
    )
    saved = {name: os.environ.get(name) for name in [*env, "AWS_PROFILE"]}
    os.environ.pop("AWS_PROFILE", None)
    os.environ.update(env)
    moto = MotoServer(port)
    moto.start()
    standin.start()
    os.environ["STRIPE_API_BASE"] = standin.url
    try:
        provision(STAGE)
        secrets = boto3.client("secretsmanager", region_name="eu-west-1")
        secrets.put_secret_value(SecretId=physical_name(STAGE, "stripe-api-key"), SecretString=API_KEY)
        client = boto3.client("dynamodb", endpoint_url=moto.url, region_name="eu-west-1")
        names = {t: physical_name(STAGE, t) for t in TABLES}
        stack = LedgerStack(moto, standin, client, names, Functions(STAGE))
        for name in FUNCTIONS:  # as an operator may set a function's log level: errors only
            stack.functions.override(name, POWERTOOLS_LOG_LEVEL="ERROR")
        stack.stream = OrdersStream(stack)
        stack.agent = StripeGateway(lambda: API_KEY.encode(), standin.url)
        _seed(stack)
        yield stack
    finally:
        standin.stop()
        moto.stop()
        forget_function_state()
        for name, value in [*saved.items(), ("STRIPE_API_BASE", saved.get("STRIPE_API_BASE"))]:
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _reset(stack: LedgerStack) -> None:
    """Back to the seeded shop: orders, reservations, movements, debits and uses deleted, stock levels,
    certificates and the code put back (a test-only Scan of four small tables; carts and the catalog's
    SKU facts are left, no interleaving reads another's cart)."""
    writes: dict[str, list[dict[str, Any]]] = {}
    for table in ("orders", "inventory", "promotions", "loyalty"):
        page = stack.client.scan(TableName=stack.names[table], ProjectionExpression="pk, sk")
        assert "LastEvaluatedKey" not in page, "an interleaving never writes 1 MB"
        writes[table] = [
            {"DeleteRequest": {"Key": key}}
            for key in page["Items"]
            if table == "orders"
            or key["pk"]["S"].startswith("RES#")
            or key["sk"]["S"].startswith(("MOVE#", "TXN#", "USE#"))
        ]
    writes["inventory"] += [{"PutRequest": {"Item": item}} for item in _stock_items(stack)]
    writes["promotions"] += [{"PutRequest": {"Item": item}} for item in _ledger_items()]
    writes["loyalty"] += [
        {"PutRequest": {"Item": gift_item(code, balance, "UAH")}} for code, balance in CERTIFICATES.items()
    ]
    for table, requests_ in writes.items():
        for i in range(0, len(requests_), 25):
            stack.client.batch_write_item(RequestItems={stack.names[table]: requests_[i : i + 25]})
    stack.stream.batch()  # the deletions are not the shop's doing: skip them


def _stock_items(stack: LedgerStack) -> list[dict[str, Any]]:
    from shop_kernel.clock import isoformat
    from shop_kernel.dynamo import serialize

    at = isoformat(stack.clock.now())
    return [
        serialize(
            {
                "pk": f"SKU#{sku}",
                "sk": f"LOC#{LOCATION}",
                "type": "stock",
                "sku": sku,
                "location_id": LOCATION,
                "on_hand": on_hand,
                "reserved": 0,
                "available": on_hand,
                "version": 1,
                "updated_at": at,
            }
        )
        for sku, on_hand in ON_HAND.items()
    ]


def _ledger_items() -> list[dict[str, Any]]:
    """The promo code (no uses yet)."""
    doc = {"code": CODE, "promotion_id": "promo_ten", "usage_limit": CODE_LIMIT, "per_customer_limit": None}
    items = [
        {
            "pk": {"S": f"CODE#{CODE}"},
            "sk": {"S": "CODE"},
            "type": {"S": "code"},
            "doc": {"S": json.dumps(doc)},
            "uses": {"N": "0"},
        }
    ]
    return items


def _seed(stack: LedgerStack) -> None:
    from cart.adapters.dynamo_projection import DynamoSkuProjection
    from cart.domain.projection import parse
    from inventory.adapters.dynamo import InventoryStore
    from inventory.domain.models import LocationBody
    from pricing.adapters.records import promotion_write_items
    from pricing.domain import Promotion

    client, names, now = stack.client, stack.names, datetime.now(UTC)
    variants = [
        {"sku": sku, "attributes": [], "prices": [{"amount": price, "currency": "UAH"}]}
        for sku, price in PRICES.items()
    ]
    product = {
        "id": "prod_ledger",
        "version": 1,
        "name": {"en": "Ledger laptop"},
        "category": {"id": "laptops", "path": ["electronics", "computers", "laptops"]},
        "brand": {"id": "acme", "name": "Acme"},
        "attributes": [],
        "variants": variants,
    }
    DynamoSkuProjection(client, names["carts"]).apply(
        parse("ProductPublished", {"product": product}), "ledgers"
    )
    inventory = InventoryStore(client, names["inventory"])
    inventory.put_location(LOCATION, LocationBody.model_validate(WAREHOUSE), None, now)
    promotion = Promotion.model_validate(
        {"id": "promo_ten", "name": "10 % off", "benefit": {"kind": "percent_off", "basis_points": 1000}}
    )
    client.transact_write_items(TransactItems=promotion_write_items(names["promotions"], [promotion], None))


def _all(stack: LedgerStack, table: str) -> list[dict[str, Any]]:
    from shop_kernel.dynamo import deserialize

    items, start = [], None
    while True:
        page = stack.client.scan(
            TableName=stack.names[table],
            ConsistentRead=True,
            **({"ExclusiveStartKey": start} if start else {}),
        )
        items += [deserialize(i) for i in page["Items"]]
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


class LedgerMachine(RuleBasedStateMachine):
    """One shop, one clock; each rule is something that happens to it in production."""

    stack: LedgerStack  # set by the test before the machine runs

    def __init__(self) -> None:
        super().__init__()
        self.stack.clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
        self.functions = self.stack.functions
        _reset(self.stack)
        self.orders: list[tuple[str, str | None]] = []  # (order id, PaymentIntent id)
        self.intents: set[str] = set()
        self.first_event = len(self.stack.standin.api.ledger.events)
        self.delivered: list[dict[str, Any]] = []
        self.last_batch: dict[str, Any] = {"Records": []}
        self.listed_overdue: list[str] = []

    # --- shoppers ---------------------------------------------------------------------------------

    @rule(
        sku=st.sampled_from(sorted(PRICES)),
        quantity=st.integers(1, 2),
        code=st.booleans(),
        certificate=st.sampled_from([None, "GC-FULL", "GC-PART"]),
    )
    def check_out(self, sku: str, quantity: int, code: bool, certificate: str | None) -> None:
        from cart.adapters.dynamo_carts import DynamoCartStore, InventoryStock
        from cart.domain.models import AddLine, CartOwner, NewCart, OwnerKind
        from cart.domain.service import CartService
        from cart.domain.tokens import new_token, token_hash
        from checkout import wiring
        from checkout.domain.body import CheckoutBody
        from checkout.domain.service import PlaceOrder
        from orders.domain.models import Buyer
        from shop_kernel.errors import DomainError

        names = self.stack.names
        carts = CartService(
            store=DynamoCartStore(
                self.stack.client, names["carts"], InventoryStock(self.stack.client, names["inventory"])
            ),
            clock=self.stack.clock,
        )
        key = token_hash(new_token())
        owner = CartOwner(OwnerKind.GUEST, key)
        request = PlaceOrder(
            owner=owner,
            buyer=Buyer(kind="guest", key=key),
            body=CheckoutBody.model_validate({"email": "olena@example.com", "shipping_address": ADDRESS}),
            idempotency_key=str(uuid.uuid4()),
        )
        try:
            carts.create(owner, NewCart(currency="UAH", destination_country="UA"))
            carts.add_line(owner, AddLine(sku=sku, quantity=quantity))
            if code:
                carts.add_code(owner, "promo_codes", CODE, lambda _: None)
            if certificate:
                carts.add_code(owner, "gift_certificates", certificate, lambda _: None)
            placed = self.functions.run("checkout-api", lambda: wiring.container.service().place(request))
        except DomainError:
            return  # out of stock, code used up, certificate spent: refused, nothing written
        self.orders.append((placed.order.id, placed.order.payment.intent_id))
        if placed.order.payment.intent_id:
            self.intents.add(placed.order.payment.intent_id)

    @precondition(lambda self: any(intent for _, intent in self.orders))
    @rule(
        pick=st.integers(0, 50),
        card=st.sampled_from(["pm_card_visa", "pm_card_visa", "pm_card_chargeDeclined"]),
    )
    def pay(self, pick: int, card: str) -> None:
        paying = [intent for _, intent in self.orders if intent]
        intent = paying[pick % len(paying)]
        requests.post(
            f"{self.stack.standin.url}/_standin/payment_intents/{intent}/simulate",
            json={"payment_method": card},
            timeout=10,
        )  # an intent no longer payable answers 400: the shopper was too late

    @precondition(lambda self: any(intent for _, intent in self.orders))
    @rule(pick=st.integers(0, 50))
    def agent_cancels_payment_in_stripe(self, pick: int) -> None:
        paying = [intent for _, intent in self.orders if intent]
        intent = paying[pick % len(paying)]
        self.stack.agent.cancel_intent(intent, "requested_by_customer", f"{intent}-agent")

    # --- Stripe's webhooks, time, sweepers, the orders stream ---------------------------------------

    def _webhook_handles(self, event: dict[str, Any]) -> None:
        """What stripe-webhooks does with a verified event, as that function."""
        from checkout import wiring
        from checkout.adapters.stripe_gateway import intent_from

        obj = event["data"]["object"]
        if obj.get("id") in self.intents or obj.get("payment_intent") in self.intents:
            intent = intent_from(obj) if obj.get("object") == "payment_intent" else None
            self.functions.run(
                "stripe-webhooks",
                lambda: wiring.container.payment_events().handle(event["type"], obj, intent),
            )

    @rule()
    def stripe_delivers_events(self) -> None:
        events = self.stack.standin.api.ledger.events[self.first_event :]
        for event in events[len(self.delivered) :]:
            self.delivered.append(event)
            self._webhook_handles(event)

    @precondition(lambda self: self.delivered)
    @rule(pick=st.integers(0, 50))
    def stripe_delivers_an_event_again(self, pick: int) -> None:
        self._webhook_handles(self.delivered[pick % len(self.delivered)])

    @rule(minutes=st.sampled_from([10, 40, 90]))
    def time_passes(self, minutes: int) -> None:
        self.stack.clock.advance(minutes=minutes)

    @rule()
    def checkout_sweeper_runs(self) -> None:
        self.functions.invoke("checkout-sweeper", SCHEDULED, Context())

    @rule()
    def inventory_sweeper_runs(self) -> None:
        self.functions.invoke("inventory-sweeper", SCHEDULED, Context())

    @rule()
    def slow_inventory_sweeper_lists_overdue_holds(self) -> None:
        from inventory import wiring

        now = self.stack.clock.now()
        self.listed_overdue = self.functions.run(
            "inventory-sweeper", lambda: wiring.container.store().overdue_reservations(now)
        )

    @precondition(lambda self: self.listed_overdue)
    @rule()
    def slow_inventory_sweeper_expires_what_it_listed(self) -> None:
        from inventory import wiring

        listed, self.listed_overdue = self.listed_overdue, []

        def expire() -> None:
            for reservation_id in listed:
                wiring.container.reservations().expire_reservation(reservation_id)

        self.functions.run("inventory-sweeper", expire)

    @rule()
    def orders_stream_delivers(self) -> None:
        batch = self.stack.stream.batch()
        if batch["Records"]:
            result = self.functions.invoke("checkout-events", batch, Context())
            assert result == {"batchItemFailures": []}, result
            self.last_batch = batch

    @precondition(lambda self: self.last_batch["Records"])
    @rule()
    def orders_stream_delivers_the_last_batch_again(self) -> None:
        replayed = self.functions.invoke("checkout-events", self.last_batch, Context())
        assert replayed == {"batchItemFailures": []}

    # --- what must always hold ----------------------------------------------------------------------

    @invariant()
    def stock_reserved_is_the_sum_of_active_holds(self) -> None:
        from inventory import wiring
        from inventory.domain.reconciliation import compare_holds

        # The inventory reconciler's own reading (its Scan is granted to it alone)
        levels, holds = self.functions.run(
            "inventory-reconciler", lambda: wiring.container.store().holds_snapshot()
        )
        drifts = compare_holds(
            levels, holds, self.stack.clock.now() + timedelta(days=365), settle=timedelta(0)
        )
        broken = [d for d in drifts if d.kind.value != "overdue_hold"]
        assert not broken, broken
        assert all(level.reserved >= 0 for level in levels), levels

    def teardown(self) -> None:
        """Everything delivered, the payment windows over, both sweepers run: the ledgers add up."""
        self.settle()
        orders = [order_json(i) for i in _all(self.stack, "orders") if i.get("type") == "order"]
        standing = [o for o in orders if o["status"] != "CANCELLED"]
        promotions = {(i["pk"], i["sk"]): i for i in _all(self.stack, "promotions")}
        certificates = {(i["pk"], i["sk"]): i for i in _all(self.stack, "loyalty")}
        for code, issued in CERTIFICATES.items():
            taken = sum(
                t["amount"]["amount"] for o in standing for t in o["gift_certificates"] if t["code"] == code
            )
            balance = int(certificates[(certificate_pk(code), "CERT")]["balance"])
            assert balance == issued - taken, (code, balance, issued, taken, self._story(orders))
            # ... and the certificate's own ledger says the same: issued - debits + restores
            debits = [
                i
                for (pk, sk), i in certificates.items()
                if pk == certificate_pk(code) and sk.startswith("TXN#")
            ]
            restored = sum(int(d["amount"]) for d in debits if d.get("restored_at"))
            assert balance == issued - sum(int(d["amount"]) for d in debits) + restored, (code, debits)
            cancelled = {o["id"] for o in orders if o["status"] == "CANCELLED"}
            assert {d["order_id"] for d in debits if d.get("restored_at")} == {
                d["order_id"] for d in debits if d["order_id"] in cancelled
            }, (code, debits)
        uses = int(promotions[(f"CODE#{CODE}", "CODE")].get("uses", 0))
        assert uses == sum(CODE in o["promo_codes"] for o in standing), (uses, self._story(orders))
        self._payments_settled(orders)
        self._placed_orders_keep_their_stock(standing)

    def settle(self) -> None:
        self.stripe_delivers_events()
        self.orders_stream_delivers()
        self.stack.clock.advance(hours=2)
        self.checkout_sweeper_runs()
        self.stripe_delivers_events()
        self.orders_stream_delivers()
        self.inventory_sweeper_runs()
        self.stock_reserved_is_the_sum_of_active_holds()

    def _payments_settled(self, orders: list[dict[str, Any]]) -> None:
        from checkout.adapters.stripe_gateway import intent_from
        from checkout.domain.reconciliation import PaymentDriftKind, compare_payment
        from orders.domain.models import Order

        by_id = {o["id"]: Order.model_validate(o) for o in orders}
        assert all(o["status"] != "PENDING_PAYMENT" for o in orders), self._story(orders)
        ledger = self.stack.standin.api.ledger.payment_intents
        for intent_id in self.intents:
            intent = intent_from(ledger[intent_id])
            drift = compare_payment(intent, by_id.get(intent.metadata.get("order_id", "")))
            held = intent.status == "requires_capture"
            bad = drift is not None and (
                drift.kind is PaymentDriftKind.MISSED_AUTHORISATION
                or (
                    held
                    and drift.kind in (PaymentDriftKind.PAYABLE_AFTER_CANCEL, PaymentDriftKind.ORPHAN_INTENT)
                )
            )
            assert not bad, (drift, self._story(orders))

    def _placed_orders_keep_their_stock(self, standing: list[dict[str, Any]]) -> None:
        reservations = {
            i["reservation_id"]: i for i in _all(self.stack, "inventory") if i.get("type") == "reservation"
        }
        for order in standing:
            hold = reservations.get(order["reservation_id"]) or {}
            assert hold.get("status") == "active", (
                order["id"],
                order["payment"]["provider"],
                hold.get("status"),
            )

    @staticmethod
    def _story(orders: list[dict[str, Any]]) -> list[tuple[str, str, str, list[str]]]:
        return [
            (
                o["id"],
                o["status"],
                o["payment"]["provider"],
                [f"{h['status']}:{h.get('note') or ''}" for h in o["history"]],
            )
            for o in orders
        ]


# 200 interleavings took 949 s on 2 cores shared by eight busy sessions (load ~18); never cut short by the
# suite's 300 s default: a slow machine is not a broken ledger.
@pytest.mark.timeout(1800)
def test_stock_certificates_codes_and_authorisations_add_up_over_random_interleavings(
    ledger_stack: LedgerStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from checkout import wiring as checkout_wiring
    from inventory import wiring as inventory_wiring

    # GIVEN one moto server and Stripe stand-in, and every function's clock the machine's own (whichever
    # interleaving's clock is current: warm functions keep the clock they were built with)
    machine_clock = SimpleNamespace(now=lambda: ledger_stack.clock.now())
    monkeypatch.setattr(checkout_wiring, "container", checkout_wiring.CheckoutContainer(clock=machine_clock))
    monkeypatch.setattr(
        inventory_wiring, "container", inventory_wiring.InventoryContainer(clock=machine_clock)
    )
    LedgerMachine.stack = ledger_stack
    # WHEN EXAMPLES random interleavings run THEN every invariant holds in each
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=10,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
