"""Checkout fixtures: the stage in moto from the specs (``tests.stage``), the real Stripe SDK against the local Stripe
stand-in, a catalog projected into the cart's SKU facts, locations and stock, and the cart, checkout
and webhook handlers driven by API Gateway REST proxy events."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from infra.local.stripe_standin import StandinConfig, StripeStandin
from pricing.adapters.records import promotion_write_items
from pricing.domain import Promotion
from shop_kernel import aws
from tests.certificates import put_certificate
from tests.conformance import DocumentedAnswers, answers_for, served_document
from tests.conftest import REGION, build_api_event
from tests.integration.cart.conftest import cart_event, catalog_events_batch, published
from tests.support import Reply, TableStream, reply_from

STAGE = "test"
API_KEY = "sk_test_checkout_tests"
EVENTS = Path(__file__).resolve().parents[2] / "events" / "checkout"
CUSTOMER_SUB = "5b0e8c1d-2f3a-4b5c-8d7e-9f0a1b2c3d4e"
FUNCTIONS = (
    "cart-api",
    "cart-catalog-projector",
    "checkout-api",
    "stripe-webhooks",
    "checkout-events",
    "checkout-sweeper",
)
WAREHOUSE = {
    "kind": "warehouse",
    "name": {"en": "Kyiv DC"},
    "address": {"line1": "Promyslova 5", "city": "Kyiv", "country": "UA"},
    "timezone": "Europe/Kyiv",
    "carrier_cutoff": "15:00",
}
STORE = {
    "kind": "store",
    "name": {"en": "Lviv store"},
    "address": {"line1": "Rynok 1", "city": "Lviv", "country": "UA"},
    "timezone": "Europe/Kyiv",
    "pickup": True,
}


@pytest.fixture
def standin() -> Iterator[StripeStandin]:
    server = StripeStandin(StandinConfig(api_key=API_KEY), port=0)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def checkout_stack(
    moto_stage: SimpleNamespace, monkeypatch: pytest.MonkeyPatch, standin: StripeStandin
) -> Iterator[SimpleNamespace]:
    """The stage as the local stack provisions it (provisioned once per worker, clean for each test), with
    the Stripe stand-in's keys in its secrets and the checkout functions' environment."""
    yield from stack_on(moto_stage, monkeypatch, standin)


def stack_on(
    moto_stage: SimpleNamespace, monkeypatch: pytest.MonkeyPatch, standin: StripeStandin
) -> Iterator[SimpleNamespace]:
    """Checkout's view of a provisioned stage (``moto_stage`` or ``executing_moto_stage``)."""
    from infra.local.provision import function_environment
    from infra.resources import function, physical_name

    for spec in FUNCTIONS:
        for name, value in function_environment(STAGE, function(spec)).items():
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("STRIPE_API_BASE", standin.url)
    secrets = boto3.client("secretsmanager", region_name=REGION)
    secrets.put_secret_value(SecretId=physical_name(STAGE, "stripe-api-key"), SecretString=API_KEY)
    secrets.put_secret_value(
        SecretId=physical_name(STAGE, "stripe-webhook-signing"), SecretString=standin.webhook_secret
    )
    fresh_wiring(monkeypatch)
    yield SimpleNamespace(
        provisioned=moto_stage.provisioned,
        orders=physical_name(STAGE, "orders"),
        carts=physical_name(STAGE, "carts"),
        inventory=physical_name(STAGE, "inventory"),
        promotions=physical_name(STAGE, "promotions"),
        loyalty=physical_name(STAGE, "loyalty"),
        idempotency=physical_name(STAGE, "idempotency"),
        dynamodb=moto_stage.dynamodb,
        standin=standin,
    )
    aws.reset_clients()


def fresh_wiring(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh container for each context the checkout tests run (nothing built for another test's moto)
    and the kernel's clients forgotten: the one place these tests decide what the functions are built from."""
    from cart import wiring as cart_wiring
    from checkout import wiring as checkout_wiring
    from inventory import wiring as inventory_wiring

    aws.reset_clients()
    monkeypatch.setattr(cart_wiring, "container", cart_wiring.CartContainer())
    monkeypatch.setattr(checkout_wiring, "container", checkout_wiring.CheckoutContainer())
    monkeypatch.setattr(inventory_wiring, "container", inventory_wiring.InventoryContainer())


def checkout_event(
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = None,
    sub: str | None = None,
    key: str | None = None,
    headers: dict[str, str] | None = None,
    ip: str = "203.0.113.7",
    groups: str = "customers",
) -> dict[str, Any]:
    """A proxy event for ``/checkout...`` (guest) or ``/me/...`` and ``/admin/...`` (claims of ``groups``
    when ``sub`` is given)."""
    all_headers = dict(headers or {})
    if key is not None:
        all_headers["Idempotency-Key"] = key
    event = cart_event(method, path, body, token=token, sub=sub, headers=all_headers, groups=groups)
    prefixes = ("me/checkout", "me/orders", "admin/orders", "checkout")
    prefix = next(p for p in prefixes if path.lstrip("/").startswith(p))
    event["resource"] = f"/{prefix}/{{proxy+}}"
    event["requestContext"]["resourcePath"] = event["resource"]
    event["requestContext"]["identity"] = {**event["requestContext"].get("identity", {}), "sourceIp": ip}
    event["pathParameters"] = {"proxy": path.lstrip("/").removeprefix(prefix).lstrip("/")}
    return event


CART_DOCUMENT = ("cart.handlers.api", "/cart/openapi.json")
CHECKOUT_DOCUMENT = ("checkout.handlers.api", "/checkout/openapi.json")
ORDERS_DOCUMENT = ("orders.handlers.api", "/orders/openapi.json")
WEBHOOK_DOCUMENT = ("checkout.handlers.webhooks", "/webhooks/stripe/openapi.json")


def documented_answers(name: str, source: tuple[str, str]) -> DocumentedAnswers:
    """What the function's served OpenAPI document says of each operation (read once a session)."""
    return answers_for(name, lambda: served_document(*source))


@pytest.fixture
def cart(checkout_stack: SimpleNamespace, lambda_context: Any, functions: Any) -> Callable[..., Reply]:
    """Calls the cart API; every answer must match what its OpenAPI document says of it."""
    answers = documented_answers("cart", CART_DOCUMENT)

    def _call(method: str, path: str, body: Any = None, **kwargs: Any) -> Reply:
        reply = reply_from(
            functions.invoke("cart-api", cart_event(method, path, body, **kwargs), lambda_context)
        )
        answers.check(method, path, reply)
        return reply

    return _call


@pytest.fixture
def checkout(checkout_stack: SimpleNamespace, lambda_context: Any, functions: Any) -> Callable[..., Reply]:
    """Calls the checkout API; every answer must match what its OpenAPI document says of it."""
    answers = documented_answers("checkout", CHECKOUT_DOCUMENT)

    def _call(method: str, path: str, body: Any = None, **kwargs: Any) -> Reply:
        event = checkout_event(method, path, body, **kwargs)
        reply = reply_from(functions.invoke("checkout-api", event, lambda_context))
        answers.check(method, path, reply)
        return reply

    return _call


@pytest.fixture
def orders(checkout_stack: SimpleNamespace, lambda_context: Any, functions: Any) -> Callable[..., Reply]:
    """Calls the orders API (customers' and staff's orders); answers must match its OpenAPI document."""
    answers = documented_answers("orders", ORDERS_DOCUMENT)

    def _call(method: str, path: str, body: Any = None, **kwargs: Any) -> Reply:
        event = checkout_event(method, path, body, **kwargs)
        reply = reply_from(functions.invoke("orders-api", event, lambda_context))
        answers.check(method, path, reply)
        return reply

    return _call


def webhook_event(payload: str, signature: str | None) -> dict[str, Any]:
    event = build_api_event("POST", "/webhooks/stripe", payload, groups=None)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
    }
    if signature is not None:
        headers["Stripe-Signature"] = signature
    event.update(
        resource="/webhooks/stripe/{proxy+}",
        headers=headers,
        multiValueHeaders={k: [v] for k, v in headers.items()},
        pathParameters=None,
        queryStringParameters=None,
        multiValueQueryStringParameters=None,
    )
    event["requestContext"]["resourcePath"] = "/webhooks/stripe"
    event["requestContext"].pop("authorizer", None)
    return event


@pytest.fixture
def webhook(
    checkout_stack: SimpleNamespace, lambda_context: Any, functions: Any
) -> Callable[[str, str | None], Reply]:
    answers = documented_answers("stripe-webhooks", WEBHOOK_DOCUMENT)

    def _call(payload: str, signature: str | None) -> Reply:
        reply = reply_from(
            functions.invoke("stripe-webhooks", webhook_event(payload, signature), lambda_context)
        )
        answers.check("POST", "/webhooks/stripe", reply)
        return reply

    return _call


def sign(payload: str, secret: str, at: int | None = None) -> str:
    """A ``Stripe-Signature`` header as Stripe computes it (HMAC-SHA256 of ``t.payload``)."""
    import hashlib
    import hmac
    import time

    timestamp = at if at is not None else int(time.time())
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def deliver(
    standin: StripeStandin,
    webhook: Callable[[str, str | None], Reply],
    event_types: tuple[str, ...] | None = None,
    intent_id: str | None = None,
) -> list[Reply]:
    """Every event the stand-in recorded for ``intent_id`` (optionally of ``event_types``), signed, in order."""
    import requests

    events = requests.get(
        f"{standin.url}/v1/events?limit=100", headers={"Authorization": f"Bearer {API_KEY}"}, timeout=5
    ).json()["data"]
    replies = []
    for stripe_event in reversed(events):
        obj = stripe_event["data"]["object"]
        if intent_id is not None and intent_id not in (obj.get("id"), obj.get("payment_intent")):
            continue
        if event_types is not None and stripe_event["type"] not in event_types:
            continue
        payload = json.dumps(stripe_event)
        replies.append(webhook(payload, sign(payload, standin.webhook_secret)))
    return replies


def pay(standin: StripeStandin, intent_id: str, card: str = "pm_card_visa", **extra: Any) -> dict[str, Any]:
    """The shopper confirms the payment in the browser (Stripe.js), as the stand-in simulates it."""
    import requests

    response = requests.post(
        f"{standin.url}/_standin/payment_intents/{intent_id}/simulate",
        json={"payment_method": card, **extra},
        timeout=5,
    )
    return response.json()  # type: ignore[no-any-return]


def put_location(stack: SimpleNamespace, location_id: str, body: dict[str, Any]) -> None:
    from inventory.adapters.dynamo import InventoryStore
    from inventory.domain.models import LocationBody

    InventoryStore(stack.dynamodb, stack.inventory).put_location(
        location_id, LocationBody.model_validate(body), None, datetime.now(UTC)
    )


def set_stock(stack: SimpleNamespace, sku: str, location_id: str, on_hand: int) -> None:
    from inventory.adapters.dynamo import InventoryStore

    store = InventoryStore(stack.dynamodb, stack.inventory)
    store.set_stock(sku, location_id, on_hand, None, "tests", datetime.now(UTC))


def stock(stack: SimpleNamespace, sku: str, location_id: str) -> tuple[int, int, int]:
    from inventory.adapters.dynamo import InventoryStore

    level = InventoryStore(stack.dynamodb, stack.inventory).stock_level(sku, location_id)
    assert level is not None
    return level.on_hand, level.reserved, level.available


@pytest.fixture
def shop(checkout_stack: SimpleNamespace, lambda_context: Any, functions: Any) -> SimpleNamespace:
    """Laptops (two SKUs) and a phone, published; a warehouse and a pickup store with stock."""
    for product in (
        published("prod_a", 1, [("LAP-A-BLK", 100000, 4000000), ("LAP-A-SLV", 110000, 4400000)]),
        published("prod_b", 1, [("PHN-B-BLK", 50000, 2000000)]),
    ):
        functions.invoke("cart-catalog-projector", catalog_events_batch([product]), lambda_context)
    put_location(checkout_stack, "kyiv-dc", WAREHOUSE)
    put_location(checkout_stack, "lviv-store", STORE)
    set_stock(checkout_stack, "LAP-A-BLK", "kyiv-dc", 10)
    set_stock(checkout_stack, "LAP-A-SLV", "kyiv-dc", 2)
    set_stock(checkout_stack, "PHN-B-BLK", "lviv-store", 5)
    return checkout_stack


ADDRESS = {
    "name": "Olena Shevchenko",
    "line1": "Khreshchatyk 1",
    "city": "Kyiv",
    "postal_code": "01001",
    "country": "UA",
    "phone": "+380441234567",
}


def guest_cart(
    cart: Callable[..., Reply],
    lines: list[tuple[str, int]],
    currency: str = "UAH",
    country: str = "UA",
    pickup: str | None = None,
) -> str:
    token = cart("POST", "/cart", {"currency": currency, "destination_country": country}).body["token"]
    if pickup is not None:
        assert cart("PATCH", "/cart", {"pickup_location_id": pickup}, token=token).status == 200
    for sku, quantity in lines:
        added = cart("POST", "/cart/lines", {"sku": sku, "quantity": quantity}, token=token)
        assert added.status == 200, added.body
    return str(token)


def new_key() -> str:
    return str(uuid.uuid4())


class OrdersStream(TableStream):
    """The orders table's stream, filtered like the checkout-events trigger (``order`` items)."""

    def __init__(self, stack: SimpleNamespace) -> None:
        super().__init__(stack.dynamodb, stack.orders, ("order",))


@pytest.fixture
def orders_stream(checkout_stack: SimpleNamespace) -> OrdersStream:
    return OrdersStream(checkout_stack)


def put_promotions(stack: SimpleNamespace) -> None:
    """10 % off (codes ONCE: once per customer, LAST: one use left); gift certificates in UAH (loyalty's)."""
    promotion = {
        "id": "promo_ten",
        "name": "10 % off",
        "benefit": {"kind": "percent_off", "basis_points": 1000},
    }
    # As pricing writes promotions: the item and the versioned config item checkout reads.
    stack.dynamodb.transact_write_items(
        TransactItems=promotion_write_items(stack.promotions, [Promotion.model_validate(promotion)], None)
    )
    items: list[dict[str, Any]] = []
    for code, per_customer, limit, uses in (("ONCE", 1, None, 0), ("LAST", None, 1, 0)):
        doc = {
            "code": code,
            "promotion_id": "promo_ten",
            "usage_limit": limit,
            "per_customer_limit": per_customer,
        }
        items.append(
            {
                "pk": {"S": f"CODE#{code}"},
                "sk": {"S": "CODE"},
                "type": {"S": "code"},
                "doc": {"S": json.dumps(doc)},
                "uses": {"N": str(uses)},
            }
        )
    for item in items:
        stack.dynamodb.put_item(TableName=stack.promotions, Item=item)
    for code, balance in (("GC-500", 50000), ("GC-BIG", 100_000_000)):
        put_certificate(stack.dynamodb, stack.loyalty, code, balance, "UAH")


def item(stack: SimpleNamespace, table: str, pk: str, sk: str) -> dict[str, Any] | None:
    from shop_kernel.dynamo import deserialize

    found = stack.dynamodb.get_item(
        TableName=table, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True
    )
    return deserialize(found["Item"]) if "Item" in found else None


def count_items(stack: SimpleNamespace, table: str, prefix: str) -> int:
    """Items whose pk starts with ``prefix`` (a test-only Scan: no request path scans)."""
    items = stack.dynamodb.scan(TableName=table)["Items"]
    return sum(1 for i in items if i["pk"]["S"].startswith(prefix))


# --- the unpaid-order sweeper --------------------------------------------------------------------


@pytest.fixture
def sweep(
    checkout_stack: SimpleNamespace, lambda_context: Any, functions: Any
) -> Callable[[], dict[str, int]]:
    """One run of the unpaid-order sweeper, as its own function (its spec's environment and grants)."""
    event = json.loads((EVENTS / "scheduled_event.json").read_text())

    def _sweep() -> dict[str, int]:
        return functions.invoke("checkout-sweeper", event, lambda_context)  # type: ignore[no-any-return]

    return _sweep


@pytest.fixture
def due_at_once(checkout_stack: SimpleNamespace, functions: Any) -> None:
    """Orders placed from now on must be paid at once (their deadline is their creation)."""
    functions.override("checkout-api", PAYMENT_WINDOW_MINUTES="0")


# --- reliability helpers (tests/integration/checkout/test_reliability.py) ----------------------------


class LambdaTimeout(BaseException):
    """Lambda stopping an invocation (timeout, out of memory): nothing in the code catches it, so
    Powertools neither deletes nor completes its INPROGRESS record."""


class ExpiringContext:
    """A Lambda context whose invocation is about to time out: Powertools' INPROGRESS record expires at
    once (``in_progress_expiration`` = now + remaining time), so the next delivery may run again."""

    function_name = "test-function"
    memory_limit_in_mb = 512
    invoked_function_arn = f"arn:aws:lambda:{REGION}:123456789012:function:test-function"
    aws_request_id = "11111111-1111-1111-1111-111111111111"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 1


def read_queue(sqs: Any, url: str) -> list[dict[str, Any]]:
    """Every message on the queue now (bodies as JSON), deleting what was read."""
    bodies: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
            "Messages", []
        )
        if not messages:
            return bodies
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
