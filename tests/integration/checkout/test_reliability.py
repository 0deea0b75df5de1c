"""Checkout under contention, duplicates and crashes: fast versions of the reliability checks
(``bench/checkout.py`` runs the full oversell: 400 buyers, 40 units, 20 trials).

* **Replay with timeouts injected** (moto in-process; sequential, so the in-process mock is exact): one
  checkout sent again and again while it dies at the worst moments (the Stripe SDK's response lost,
  the Lambda stopped after the PaymentIntent and before the transaction, then after the transaction and
  before Powertools saved the answer), every webhook event of its payment delivered three times (once
  dying after the order changed), and the orders stream batch processed three times. One order, one
  PaymentIntent, one reservation, one ``OrderPlaced`` event id, one workflow execution.
* **Oversell** (moto SERVER: moto's in-process mock is not atomic under threads; the local stack's
  ``moto_patches`` serialise DynamoDB writes as DynamoDB does): N buyers with their own guest carts race
  for the last K units. The race runs one level below the handler: each buyer thread has its own
  ``CheckoutService`` on its own botocore client and Stripe client, as N Lambda execution environments
  would; the handler itself keeps process-wide clients and the Powertools resolver keeps the current
  event on a module-level ``app``, so two invocations never share a process in Lambda and must not here.
  One call through the real handler on the server shows the wiring.
* **Parallel duplicates** (moto SERVER): the same guest checkout (token, Idempotency-Key, body) sent
  three times at once from three subprocesses, each importing the real handler: three Lambda execution
  environments. Threads cannot model that (the module-level ``app`` and caches are shared), so
  Powertools' idempotency is exercised exactly as deployed.

The server is module-scoped (one per xdist worker that runs these tests). moto's server shares its
backends with the in-process mock, which resets them when it starts, so the server tests check that
their stage is still there and build it again if an in-process test ran in between.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
import requests
from botocore.config import Config

from infra.local.moto_server import MotoServer, aws_environment, free_port
from infra.local.stripe_standin import StandinConfig, StripeStandin
from shop_kernel import aws
from tests.conftest import LambdaContext
from tests.harness import Functions, forget_function_state
from tests.integration.checkout.conftest import (
    ADDRESS,
    API_KEY,
    FUNCTIONS,
    WAREHOUSE,
    ExpiringContext,
    LambdaTimeout,
    OrdersStream,
    checkout_event,
    count_items,
    fresh_wiring,
    guest_cart,
    item,
    new_key,
    pay,
    read_queue,
    sign,
    stock,
    webhook_event,
)
from tests.support import Reply, order_json, reply_from

pytestmark = pytest.mark.xdist_group("checkout-reliability")

ROOT = Path(__file__).resolve().parents[3]
BODY = {"email": "olena@example.com", "shipping_address": ADDRESS}
REPLAYS = 3
AUTHORISED = "payment_intent.amount_capturable_updated"


@pytest.fixture(autouse=True)
def fresh_checkout_wiring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Nothing built for another environment leaks into these tests, or out of them."""
    fresh_wiring(monkeypatch)
    yield
    aws.reset_clients()


# --- injected failures ----------------------------------------------------------------------------


@contextmanager
def dies(target: object, name: str, *, after: bool) -> Iterator[None]:
    """``target.name`` is stopped by a Lambda timeout before (or right after) doing its work."""
    original = getattr(target, name)

    def dying(*args: Any, **kwargs: Any) -> Any:
        if after:
            original(*args, **kwargs)
        raise LambdaTimeout(f"{name} {'after' if after else 'before'} its work")

    setattr(target, name, dying)
    try:
        yield
    finally:
        delattr(target, name)  # the instance attribute goes; the method is the class's again


@contextmanager
def commits_die(store: Any, *, after: bool) -> Iterator[None]:
    """Every transaction ``store`` commits (its units of work) is stopped by a Lambda timeout before (or
    right after) it is sent."""
    original = store.unit_of_work

    def unit_of_work() -> Any:
        work = original()
        send = work.commit

        def dying() -> None:
            if after:
                send()
            raise LambdaTimeout(f"commit {'after' if after else 'before'} its work")

        work.commit = dying
        return work

    store.unit_of_work = unit_of_work
    try:
        yield
    finally:
        del store.unit_of_work  # the instance attribute goes; the method is the class's again


def lose_first_response(monkeypatch: pytest.MonkeyPatch, method: str, path: str) -> list[str]:
    """The first Stripe response to ``method path`` is lost after Stripe processed the request; the
    SDK retries it with the same idempotency key (as on a dropped connection). Returns what was lost."""
    import stripe

    original = stripe.RequestsClient.request
    lost: list[str] = []

    def request(self: Any, verb: str, url: str, headers: Any, post_data: Any = None, **kwargs: Any) -> Any:
        response = original(self, verb, url, headers, post_data, **kwargs)
        if not lost and verb.upper() == method and urlsplit(url).path == path:
            lost.append(f"{verb.upper()} {path}")
            raise stripe.APIConnectionError("the response was lost on its way back", should_retry=True)
        return response

    monkeypatch.setattr(stripe.RequestsClient, "request", request)
    # The SDK's backoff (0.5 s and up) only slows the test down; the retry itself is what matters.
    monkeypatch.setattr(stripe.RequestsClient, "_sleep_time_seconds", lambda self, retries: 0.01)
    return lost


def recorded_events(standin: StripeStandin, intent_id: str) -> list[dict[str, Any]]:
    """The events the stand-in recorded about ``intent_id`` (and its charges), oldest first."""
    listed = requests.get(
        f"{standin.url}/v1/events?limit=100", headers={"Authorization": f"Bearer {API_KEY}"}, timeout=5
    ).json()["data"]
    about = [
        e
        for e in listed
        if intent_id in (e["data"]["object"].get("id"), e["data"]["object"].get("payment_intent"))
    ]
    return list(reversed(about))


# --- replay with timeouts injected (moto in-process) ----------------------------------------------


def test_replayed_checkout_webhooks_and_stream_make_one_order_one_payment_one_event(
    cart: Callable[..., Reply], shop: SimpleNamespace, monkeypatch: pytest.MonkeyPatch, functions: Any
) -> None:
    from checkout import wiring
    from infra.local.provision import state_machine_arn
    from infra.resources import physical_name

    # GIVEN a guest cart with one laptop, and the first Stripe response to creating a PaymentIntent lost
    token = guest_cart(cart, [("LAP-A-BLK", 1)])
    event = checkout_event("POST", "/checkout", BODY, token=token, key=new_key())
    lost = lose_first_response(monkeypatch, "POST", "/v1/payment_intents")

    def send(context: Any) -> Reply:
        return reply_from(functions.invoke("checkout-api", copy.deepcopy(event), context))

    # WHEN the checkout dies after its PaymentIntent was created, before the transaction (i, iv) ...
    # (the store the function itself uses: built while it runs, kept warm between its invocations)
    store = functions.run("checkout-api", lambda: wiring.container.store())
    with commits_die(store, after=False), pytest.raises(LambdaTimeout):
        send(ExpiringContext())
    intents_after_first = dict(shop.standin.api.ledger.payment_intents)
    orders_after_first = count_items(shop, shop.orders, "ORDER#")
    # ... is retried and dies after the transaction, before Powertools saved the answer (ii) ...
    with commits_die(store, after=True), pytest.raises(LambdaTimeout):
        send(ExpiringContext())
    orders_after_second = count_items(shop, shop.orders, "ORDER#")
    # ... and is replayed three more times
    answers = [send(LambdaContext()) for _ in range(REPLAYS)]

    # THEN the lost response was retried by the SDK onto the same PaymentIntent; the first death left no
    # order, the second left the order the replays then answer
    assert lost == ["POST /v1/payment_intents"]
    assert (len(intents_after_first), orders_after_first, orders_after_second) == (1, 0, 1)
    # AND every replay answers the same order
    assert all(a.status == 201 for a in answers), [a.body for a in answers]
    assert all(a.body == answers[0].body for a in answers)
    order_id = answers[0].body["order"]["id"]
    intent_id = answers[0].body["payment"]["payment_intent_id"]
    assert list(intents_after_first) == [intent_id]

    # WHEN the shopper pays, and every event of the payment is delivered three times, the one that
    # places the order dying once after it changed the order, before its idempotency record completed
    pay(shop.standin, intent_id)
    stripe_events = recorded_events(shop.standin, intent_id)
    secret = shop.standin.webhook_secret
    deliveries: list[tuple[str, int, str]] = []
    payment_events = functions.run("stripe-webhooks", lambda: wiring.container.payment_events())
    for stripe_event in stripe_events:
        payload = json.dumps(stripe_event)
        if stripe_event["type"] == AUTHORISED:
            with dies(payment_events, "handle", after=True), pytest.raises(LambdaTimeout):
                functions.invoke(
                    "stripe-webhooks", webhook_event(payload, sign(payload, secret)), ExpiringContext()
                )
        for _ in range(REPLAYS):
            reply = reply_from(
                functions.invoke(
                    "stripe-webhooks", webhook_event(payload, sign(payload, secret)), LambdaContext()
                )
            )
            deliveries.append((stripe_event["type"], reply.status, reply.body.get("outcome", "")))

    # THEN each delivery is acknowledged; the authorisation was applied by the delivery that died, so
    # its redeliveries find the order authorised already; the order changed exactly once (version 2)
    assert {status for _, status, _ in deliveries} == {200}, deliveries
    assert [o for t, _, o in deliveries if t == AUTHORISED] == ["already authorised"] * REPLAYS
    order = item(shop, shop.orders, f"ORDER#{order_id}", "ORDER")
    assert order is not None
    assert (order["status"], order["version"]) == ("PAYMENT_AUTHORIZED", 2)

    # WHEN the orders stream's batch is processed three times (a replayed batch)
    batch = OrdersStream(shop).batch()
    results = [
        functions.invoke("checkout-events", copy.deepcopy(batch), LambdaContext()) for _ in range(REPLAYS)
    ]

    # THEN one order, one PaymentIntent (the order's), one reservation, stock held once
    assert all(r == {"batchItemFailures": []} for r in results)
    assert count_items(shop, shop.orders, "ORDER#") == 1
    assert list(shop.standin.api.ledger.payment_intents) == [intent_id]
    assert order_json(order)["payment"]["intent_id"] == intent_id
    assert count_items(shop, shop.inventory, "RES#") == 1
    assert stock(shop, "LAP-A-BLK", "kyiv-dc") == (10, 1, 9)
    # AND exactly one OrderPlaced event id reached the bus (a replayed batch publishes the same id again)
    sqs = boto3.client("sqs", region_name="eu-west-1")
    log_url = sqs.get_queue_url(QueueName=physical_name("test", "event-log"))["QueueUrl"]
    placed = [e for e in read_queue(sqs, log_url) if e["detail-type"] == "OrderPlaced"]
    assert {e["detail"]["metadata"]["eventId"] for e in placed} == {
        placed[0]["detail"]["metadata"]["eventId"]
    }
    assert 1 <= len(placed) <= REPLAYS
    assert placed[0]["detail"]["data"]["order_id"] == order_id
    # AND one fulfilment workflow execution, named after the order
    sfn = boto3.client("stepfunctions", region_name="eu-west-1")
    executions = sfn.list_executions(stateMachineArn=state_machine_arn("test", "order-fulfilment"))[
        "executions"
    ]
    assert [e["name"] for e in executions] == [order_id]


def test_a_new_environment_uses_no_idempotency_layer_built_for_the_previous_one(
    cart: Callable[..., Reply],
    checkout: Callable[..., Reply],
    shop: SimpleNamespace,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a checkout served while the function's environment named a region without the tables (503)
    token = guest_cart(cart, [("LAP-A-BLK", 1)])
    key = new_key()
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.setenv(name, "us-east-1")
    aws.reset_clients()
    refused = checkout("POST", "/checkout", BODY, token=token, key=key)
    # WHEN the environment is put right and the functions start again (new clients: every container fresh)
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.setenv(name, "eu-west-1")
    aws.reset_clients()
    retried = checkout("POST", "/checkout", BODY, token=token, key=key)
    # THEN the retry is placed: nothing built for the old environment is used any more
    assert refused.status == 503
    assert retried.status == 201, retried.body


# --- the local moto server ------------------------------------------------------------------------

SERVER_STAGE = "rely"
BUYERS = 30
UNITS = 4
RACE_SKU = "LAP-R-BLK"
SPARE_SKU = "LAP-R-SLV"
WRITES = ("TransactWriteItems", "UpdateItem", "PutItem", "DeleteItem", "BatchWriteItem")


@dataclass
class ServerStack:
    """moto in server mode, the Stripe stand-in, and the stage's tables, all on 127.0.0.1."""

    moto: MotoServer
    standin: StripeStandin
    tables: SimpleNamespace  # orders, carts, inventory, promotions: the tables' names
    functions: Any  # tests.harness.Functions of the server's stage
    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self) -> Any:
        """A botocore client of its own (the shop's settings), recording every write it sends."""
        client = boto3.client(
            "dynamodb",
            endpoint_url=self.moto.url,
            region_name="eu-west-1",
            config=Config(
                retries={"mode": "standard", "max_attempts": 3},
                # generous: this test is about the race, not timeouts (the replay tests inject those); with 5 s,
                # a 2-core machine running the suite with 8 workers timed out 27 of 30 buyers against moto
                connect_timeout=10,
                read_timeout=60,
                max_pool_connections=2,
            ),
        )
        for operation in WRITES:
            client.meta.events.register(f"before-call.dynamodb.{operation}", self._record)
        return client

    def _record(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        # ``params["body"]`` is the serialised request: what DynamoDB receives, not what the caller built.
        with self._lock:
            self.sent.append((model.name, json.loads(params["body"])))

    def service(self) -> Any:
        """One Lambda execution environment's checkout: its own store, client and Stripe client."""
        from checkout.adapters.dynamo import DynamoCheckoutStore
        from checkout.adapters.stripe_gateway import StripeGateway
        from checkout.domain.service import CheckoutService
        from pricing.domain.rates import ConfiguredTaxRates, carrier_quotes
        from shop_kernel.clock import SystemClock

        t = self.tables
        return CheckoutService(
            store=DynamoCheckoutStore(
                self.client(),
                orders=t.orders,
                carts=t.carts,
                inventory=t.inventory,
                promotions=t.promotions,
                loyalty=t.loyalty,
            ),
            payments=StripeGateway(lambda: API_KEY.encode(), self.standin.url),
            clock=SystemClock(),
            tax_rates=ConfiguredTaxRates(),
            carrier_quotes=carrier_quotes(),
        )

    def set_stock(self, sku: str, on_hand: int) -> None:
        from inventory.adapters.dynamo import InventoryStore

        InventoryStore(self.client(), self.tables.inventory).set_stock(
            sku, "kyiv-dc", on_hand, None, "tests", datetime.now(UTC)
        )

    def stock(self, sku: str) -> tuple[int, int, int]:
        from inventory.adapters.dynamo import InventoryStore

        level = InventoryStore(self.client(), self.tables.inventory).stock_level(sku, "kyiv-dc")
        assert level is not None
        return level.on_hand, level.reserved, level.available

    def guest_cart(self, sku: str) -> str:
        """A guest cart holding one ``sku``, made through the cart handler."""
        from tests.integration.cart.conftest import cart_event

        def call(method: str, path: str, body: Any = None, **kwargs: Any) -> Reply:
            event = cart_event(method, path, body, **kwargs)
            return reply_from(self.functions.invoke("cart-api", event, LambdaContext()))

        return guest_cart(call, [(sku, 1)])

    def scan(self, table: str) -> list[dict[str, Any]]:
        """Every item of ``table`` (test-only: no request path scans)."""
        from shop_kernel.dynamo import deserialize

        client, items, start = self.client(), [], None
        while True:
            page = client.scan(TableName=table, **({"ExclusiveStartKey": start} if start else {}))
            items += [deserialize(i) for i in page["Items"]]
            start = page.get("LastEvaluatedKey")
            if not start:
                return items

    def orders_of(self, sku: str) -> list[dict[str, Any]]:
        docs = [order_json(i) for i in self.scan(self.tables.orders) if i.get("type") == "order"]
        return [d for d in docs if any(line["sku"] == sku for line in d["lines"])]

    def intents(self) -> dict[str, dict[str, Any]]:
        return dict(self.standin.api.ledger.payment_intents)


def _server_environment(port: int, standin: StripeStandin) -> dict[str, str]:
    from infra.local.provision import function_environment
    from infra.resources import function

    env = dict(aws_environment(port))
    for spec in FUNCTIONS:
        env.update(function_environment(SERVER_STAGE, function(spec)))
    env.update(
        STRIPE_API_BASE=standin.url,
        POWERTOOLS_TRACE_DISABLED="true",
        POWERTOOLS_METRICS_DISABLED="true",
        POWERTOOLS_METRICS_NAMESPACE="shop",
    )
    return env


def _prepare(stack: ServerStack) -> None:
    """The stage's resources from the specs, Stripe's secrets, the laptops, a warehouse, spare stock."""
    from infra.local.provision import provision
    from infra.resources import physical_name
    from tests.integration.cart.conftest import catalog_events_batch, published
    from tests.integration.checkout.conftest import put_location

    provision(SERVER_STAGE)
    secrets = boto3.client("secretsmanager", region_name="eu-west-1")
    for name, value in (
        ("stripe-api-key", API_KEY),
        ("stripe-webhook-signing", stack.standin.webhook_secret),
    ):
        secrets.put_secret_value(SecretId=physical_name(SERVER_STAGE, name), SecretString=value)
    aws.reset_clients()  # the harness starts every function cold on this moto
    product = published("prod_r", 1, [(RACE_SKU, 100000, 4000000), (SPARE_SKU, 110000, 4400000)])
    stack.functions.invoke("cart-catalog-projector", catalog_events_batch([product]), LambdaContext())
    location = SimpleNamespace(dynamodb=stack.client(), inventory=stack.tables.inventory)
    put_location(location, "kyiv-dc", WAREHOUSE)
    stack.set_stock(SPARE_SKU, 100)


@pytest.fixture(scope="module")
def server() -> Iterator[ServerStack]:
    from infra.local import moto_patches
    from infra.resources import physical_name

    port = free_port()
    standin = StripeStandin(StandinConfig(api_key=API_KEY), port=0)
    env = _server_environment(port, standin)
    saved = {name: os.environ.get(name) for name in [*env, "AWS_PROFILE"]}
    os.environ.pop("AWS_PROFILE", None)
    os.environ.update(env)
    moto = MotoServer(port)
    moto.start()
    standin.start()
    try:
        tables = SimpleNamespace(
            orders=physical_name(SERVER_STAGE, "orders"),
            carts=physical_name(SERVER_STAGE, "carts"),
            inventory=physical_name(SERVER_STAGE, "inventory"),
            promotions=physical_name(SERVER_STAGE, "promotions"),
            loyalty=physical_name(SERVER_STAGE, "loyalty"),
        )
        stack = ServerStack(moto, standin, tables, Functions(SERVER_STAGE))
        _prepare(stack)
        yield stack
    finally:
        forget_function_state()
        standin.stop()
        moto.stop()
        moto_patches.uninstall()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture
def on_server(server: ServerStack) -> ServerStack:
    """The server, with DynamoDB writes serialised, and its tables there.

    moto's server shares its backends with the in-process mock, which resets them when it starts: if an
    in-process test ran in this process since (another module, or ``--ff`` reordering this one), the
    stage is built again; and that test's fixture may have undone the patch that serialises writes.
    """
    from infra.local import moto_patches

    moto_patches.install()
    if server.tables.orders not in server.client().list_tables()["TableNames"]:
        _prepare(server)
    server.sent.clear()
    return server


# --- oversell through the real checkout -----------------------------------------------------------


@dataclass
class Race:
    outcomes: list[Any]  # Placed, or the exception the buyer got
    seconds: float


def race_checkouts(stack: ServerStack, tokens: list[str]) -> Race:
    """Every buyer builds its environment, then all call ``CheckoutService.place`` at the same moment."""
    from cart.domain.models import CartOwner, OwnerKind
    from cart.domain.tokens import token_hash
    from checkout.domain.body import CheckoutBody
    from checkout.domain.service import PlaceOrder
    from orders.domain.models import Buyer

    start = threading.Barrier(len(tokens) + 1)
    outcomes: list[Any] = [None] * len(tokens)

    def buyer(n: int) -> None:
        service, key = stack.service(), token_hash(tokens[n])
        request = PlaceOrder(
            owner=CartOwner(OwnerKind.GUEST, key),
            buyer=Buyer(kind="guest", key=key),
            body=CheckoutBody.model_validate(BODY),
            idempotency_key=str(uuid.uuid4()),
        )
        start.wait()
        try:
            outcomes[n] = service.place(request)
        except Exception as exc:
            outcomes[n] = exc

    threads = [threading.Thread(target=buyer, args=(n,)) for n in range(len(tokens))]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join(timeout=120)
    return Race(outcomes, time.perf_counter() - began)


def stock_writes(sent: list[tuple[str, dict[str, Any]]], table: str) -> list[tuple[str, dict[str, Any]]]:
    """Every write of a stock level (``SKU#...``) that went over the wire, as (kind, request)."""
    found: list[tuple[str, dict[str, Any]]] = []
    for operation, body in sent:
        if operation == "TransactWriteItems":
            entries = [next(iter(e.items())) for e in body["TransactItems"]]
        elif operation == "BatchWriteItem":
            entries = [
                next(iter(r.items())) for r in body.get("RequestItems", {}).get(table, [])
            ]  # always unconditional
            entries = [(kind, {**spec, "TableName": table}) for kind, spec in entries]
        else:
            entries = [(operation, body)]
        for kind, spec in entries:
            key = spec.get("Key") or spec.get("Item") or {}
            if spec.get("TableName") == table and key.get("pk", {}).get("S", "").startswith("SKU#"):
                found.append((kind, spec))
    return found


def test_n_buyers_racing_for_the_last_k_units_get_exactly_k_orders(on_server: ServerStack) -> None:
    from checkout.domain.service import Placed
    from inventory.domain.allocation import InsufficientStock
    from shop_kernel.errors import Conflict

    # GIVEN the last UNITS units of a laptop, and BUYERS guest carts holding one each
    on_server.set_stock(RACE_SKU, UNITS)
    tokens = [on_server.guest_cart(RACE_SKU) for _ in range(BUYERS)]
    intents_before = set(on_server.intents())
    on_server.sent.clear()
    # WHEN every buyer checks out at the same moment, each from its own execution environment
    race = race_checkouts(on_server, tokens)
    # THEN exactly UNITS orders are placed; every other buyer is told the stock ran out (409)
    placed = [o for o in race.outcomes if isinstance(o, Placed)]
    refused = [o for o in race.outcomes if not isinstance(o, Placed)]
    assert len(placed) == UNITS, Counter(type(o).__name__ for o in race.outcomes)
    assert all(isinstance(o, Conflict) and o.status == 409 for o in refused), refused[:3]
    assert sum(isinstance(o, InsufficientStock) for o in refused) >= 1
    # AND stock is reserved exactly once per order, never negative
    assert on_server.stock(RACE_SKU) == (UNITS, UNITS, 0)
    orders = on_server.orders_of(RACE_SKU)
    assert sorted(o["id"] for o in orders) == sorted(p.order.id for p in placed)
    inventory = on_server.scan(on_server.tables.inventory)
    reservations = [i for i in inventory if i.get("order_id") in {o["id"] for o in orders}]
    assert len(reservations) == UNITS
    refs = [i for i in on_server.scan(on_server.tables.orders) if i.get("type") == "order_ref"]
    assert len({r["order_id"] for r in refs} & {o["id"] for o in orders}) == UNITS
    # AND each order has its own PaymentIntent; the losers' intents (created before their transaction,
    # by design) were never handed to anyone and hold no money
    intents = {k: v for k, v in on_server.intents().items() if k not in intents_before}
    used = {o["payment"]["intent_id"] for o in orders}
    assert len(used) == UNITS
    assert all(intents[i]["metadata"]["order_id"] in {o["id"] for o in orders} for i in used)
    unused = [v for k, v in intents.items() if k not in used]
    assert len(intents) <= BUYERS
    assert all(v["status"] == "requires_payment_method" and v["amount_capturable"] == 0 for v in unused)
    # AND every stock change on the wire was conditional on what is available
    # (a buyer whose first read already saw the level at 0 sent no transaction at all)
    writes = stock_writes(on_server.sent, on_server.tables.inventory)
    transactions = sum(1 for operation, _ in on_server.sent if operation == "TransactWriteItems")
    assert UNITS <= len(writes) == transactions
    assert all(kind == "Update" and spec["ConditionExpression"] == "available >= :q" for kind, spec in writes)


def test_the_checkout_handler_places_an_order_on_the_local_server(on_server: ServerStack) -> None:
    # GIVEN a guest cart on the server
    token = on_server.guest_cart(SPARE_SKU)
    reserved_before = on_server.stock(SPARE_SKU)[1]
    # WHEN it is checked out through the real handler (API Gateway event, Idempotency-Key)
    event = checkout_event("POST", "/checkout", BODY, token=token, key=new_key())
    reply = reply_from(on_server.functions.invoke("checkout-api", event, LambdaContext()))
    # THEN the order, its reservation and its PaymentIntent exist, on the server and the stand-in
    assert reply.status == 201, reply.body
    order_id = reply.body["order"]["id"]
    assert order_id in {o["id"] for o in on_server.orders_of(SPARE_SKU)}
    assert on_server.stock(SPARE_SKU)[1] == reserved_before + 1
    intent = on_server.intents()[reply.body["payment"]["payment_intent_id"]]
    assert intent["metadata"]["order_id"] == order_id


# --- the same checkout three times in parallel ----------------------------------------------------

DUPLICATES = 3
# One Lambda execution environment: import the real handler, serve a warm-up read (so the race is not
# decided by import times), then serve the checkout event once per line on stdin.
ENVIRONMENT = """
import json, sys
warm_up, event = json.loads(sys.argv[1]), json.loads(sys.argv[2])
import stripe  # noqa: F401 - an environment that served checkouts before has it loaded
import aws_lambda_powertools.utilities.idempotency  # noqa: F401
from checkout.handlers.api import handler

class Context:
    function_name = "checkout-api"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:checkout-api"
    aws_request_id = "duplicate"

    @staticmethod
    def get_remaining_time_in_millis():
        return 29_000

handler(warm_up, Context())
print("READY", flush=True)
for _ in sys.stdin:
    print("REPLY " + json.dumps(handler(json.loads(json.dumps(event)), Context())), flush=True)
"""


class ExecutionEnvironment:
    """A subprocess serving checkout events through the real handler, against the moto server."""

    def __init__(self, environment: dict[str, str], warm_up: dict[str, Any], event: dict[str, Any]) -> None:
        paths = [str(ROOT / "layers/kernel/python"), str(ROOT / "functions")]
        env = {**environment, "PYTHONPATH": os.pathsep.join(paths), "POWERTOOLS_LOG_LEVEL": "WARNING"}
        self._process = subprocess.Popen(
            [sys.executable, "-c", ENVIRONMENT, json.dumps(warm_up), json.dumps(event)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
            cwd=ROOT,
        )

    def _line(self, marker: str) -> str:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            if line.startswith(marker):
                return line[len(marker) :]
        raise RuntimeError(f"the environment exited ({self._process.wait()}) before {marker.strip()}")

    def ready(self) -> None:
        self._line("READY")

    def invoke(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.write("go\n")
        self._process.stdin.flush()

    def reply(self) -> Reply:
        return reply_from(json.loads(self._line("REPLY ")))

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()


def test_the_same_checkout_three_times_in_parallel_places_it_once(on_server: ServerStack) -> None:
    # GIVEN a guest cart, and three execution environments holding the same checkout request
    token = on_server.guest_cart(SPARE_SKU)
    reserved_before = on_server.stock(SPARE_SKU)[1]
    event = checkout_event("POST", "/checkout", BODY, token=token, key=new_key())
    warm_up = checkout_event("GET", "/checkout/orders/ord_00000000000000000000000000", token=token)
    # (the checkout function's own environment only)
    environment_of_checkout = on_server.functions.environment("checkout-api")
    environments = [ExecutionEnvironment(environment_of_checkout, warm_up, event) for _ in range(DUPLICATES)]
    try:
        for environment in environments:
            environment.ready()
        # WHEN all three are invoked at once
        for environment in environments:
            environment.invoke()
        first = [environment.reply() for environment in environments]
        # ... and those told to retry do so once the first has finished
        running = [n for n, reply in enumerate(first) if reply.status == 409]
        for n in running:
            environments[n].invoke()
        retried = {n: environments[n].reply() for n in running}
    finally:
        for environment in environments:
            environment.close()
    # THEN one placed it; the others got the same answer or a 409 "still running", then the same answer
    placed = [r for r in first if r.status == 201]
    assert placed, [r.body for r in first]
    assert all(r.status in (201, 409) for r in first), [r.body for r in first]
    assert all("still running" in first[n].body["detail"] for n in running)
    answers = placed + list(retried.values())
    assert all((r.status, r.body) == (201, placed[0].body) for r in answers)
    # AND there is one order, one PaymentIntent and one reservation for the cart
    order_id = placed[0].body["order"]["id"]
    cart_id = placed[0].body["order"]["cart_id"]
    assert [o["id"] for o in on_server.orders_of(SPARE_SKU) if o["cart_id"] == cart_id] == [order_id]
    intents = [k for k, v in on_server.intents().items() if v["metadata"].get("cart_id") == cart_id]
    assert intents == [placed[0].body["payment"]["payment_intent_id"]]
    inventory = on_server.scan(on_server.tables.inventory)
    assert len([i for i in inventory if i.get("order_id") == order_id]) == 1
    assert on_server.stock(SPARE_SKU)[1] == reserved_before + 1
