"""Fulfilment: state transitions per order and the cost of 1,000 orders from cart to delivered.

Runs the same world as ``tests/workflows/test_order_fulfilment.py`` (``tests.workflows.fulfilment_world``):
real orders through cart and checkout, the Stripe and carrier stand-ins, the ``order-fulfilment`` workflow
executed by moto's interpreter with every task run as its function, the warehouse, carriers and agents
through their entry points. Per scenario (single shipment, split shipment, short pick, review approved,
store pickup collected by its shopper, transfer from a warehouse to the pickup store collected there,
cancelled by request while the warehouse picks):

* **State transitions** counted from ``GetExecutionHistory`` (every state entered; Standard bills those).
* **What the order used**, measured while it ran: API requests (every API Gateway route the lifecycle
  calls, webhooks included), Lambda invocations and their durations (wall time of each handler in this
  process, billed as GB-s at the function's memory, arm64), DynamoDB consumed capacity (reads and writes
  apart, botocore hooks on every function's session), EventBridge entries put, SQS requests (a rule
  delivering to a queue: send, receive, delete).
* **The orders timeline projection** (``orders-events``, decision 60): every event the rule
  ``order-news-to-orders`` put on its queue while the order ran (placed, fulfilment requested, captured,
  cancelled...) and, per carried shipment, the carrier's four tracking changes (booked, dispatched, in
  transit, delivered, made with carriers' own event model), each projected by the function as its own
  delivery, as they arrive hours apart in the cloud: measured like every other function (duration,
  capacity, the ``OrderConfirmed``/``OrderDelivered`` it publishes) plus one queue delivery each.
* **Modelled, not run here**: the carrier's tracking between booking and delivery, which in the cloud is
  three signed webhooks (API + ``carrier-webhooks``), three shipment stream records (``carrier-events``,
  three ``ShipmentStatusChanged``) and the stock stream (``inventory-events``); the bench injects the final
  ``ShipmentStatusChanged`` directly. They are added from the same measured figures (the median handler
  duration of the run), so the total stays whole-lifecycle.

Cost per 1,000 orders at the list prices in ``bench/prices.json``, with a breakdown per service; the goal
is at most $0.30 per 1,000 single-shipment orders. Local handler durations run against moto in one
process and are slower than Lambda against DynamoDB: the Lambda line is an upper bound.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

PRICES = json.loads((Path(__file__).parent / "prices.json").read_text())
GOAL_PER_1000 = 0.30
STAGE = "test"
READS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
API_FUNCTIONS = {
    "cart-api",
    "checkout-api",
    "stripe-webhooks",
    "fulfilment-api",
    "orders-api",
    "carrier-webhooks",
}
# Per carried shipment, not run by the bench (see the module docstring): the carrier's three tracking
# webhooks and the shipment stream's three records; per order the stock stream's reservation and stock changes.
MODELLED_CARRIER_INVOCATIONS = {"carrier-webhooks": 3, "carrier-events": 3}
MODELLED_STOCK_INVOCATIONS = {"inventory-events": 2}
MODELLED_CARRIER_EVENTS = 3  # ShipmentStatusChanged x3
MODELLED_STOCK_EVENTS = 2  # StockLevelChanged/Reservation* x2
MODELLED_CARRIER_WRITE_UNITS = 3 * 2  # each webhook: the shipment and its delivery record
# Shipments a carrier delivers (tracked), and queue deliveries besides tracking, per scenario.
CARRIED = {"split shipment": 2, "store pickup": 0, "cancelled while picking": 0}
# + FulfilmentCancelled, the request; the agent's OrderReviewDecided -> fulfilment-cancellations; the
# pickup store's ShipmentReadyForCollection (warehouse queue).
QUEUED = {
    "split shipment": 2,
    "cancelled while picking": 3,
    "review approved": 2,
    "store pickup": 2,
    "transfer to store": 2,
}
# The orders projection's queue, and the carrier's tracking changes that reach it per carried shipment (the
# rule takes every ShipmentStatusChanged); sequence 1 is the carrier's booking claim, never published.
ORDER_NEWS_QUEUE = "orders-events"
PROJECTED_TRACKING = ("booked", "dispatched", "in_transit", "delivered")
# The shipments a carrier carries: to the buyer, or to the pickup store.
CARRIED_KINDS = ("delivery", "transfer")


class Meter:
    """Counts, for every function's botocore session, DynamoDB capacity and EventBridge entries; and
    the wall time of every handler invocation."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.read_units = 0.0
        self.write_units = 0.0
        self.events = 0
        self.invocations: list[tuple[str, float]] = []

    def install(self, session: Any) -> None:
        # Before the parameters are serialised: ``before-call`` sees the wire request (url, headers, body),
        # where TransactItems, RequestItems, ConsistentRead and Entries are not keys, so transactions and
        # batches counted nothing, every read half a unit and no event at all.
        session.register("before-parameter-build.dynamodb", self._add_units)
        session.register("before-parameter-build.eventbridge.PutEvents", self._count_events)

    def _add_units(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        """Capacity units from the request, as DynamoDB bills small items: a write of an item up to 1 KB
        is 1 WRU, a strongly consistent read up to 4 KB 1 RRU (eventually consistent 0.5), a transaction
        twice that per item. (moto answers a fixed ConsumedCapacity per call, transactions none.)"""
        name = model.name
        read = 1.0 if params.get("ConsistentRead") else 0.5
        if name == "TransactWriteItems":
            writes, reads = 2.0 * len(params.get("TransactItems") or []), 0.0
        elif name == "TransactGetItems":
            writes, reads = 0.0, 2.0 * len(params.get("TransactItems") or [])
        elif name == "BatchWriteItem":
            writes, reads = float(sum(len(v) for v in (params.get("RequestItems") or {}).values())), 0.0
        elif name == "BatchGetItem":
            requests = (params.get("RequestItems") or {}).values()
            writes = 0.0
            reads = sum(
                len(r.get("Keys") or []) * (1.0 if r.get("ConsistentRead") else 0.5) for r in requests
            )
        elif name in WRITES:
            writes, reads = 1.0, 0.0
        elif name in READS:
            writes, reads = 0.0, read
        else:
            return
        with self.lock:
            self.read_units += reads
            self.write_units += writes

    def _count_events(self, params: dict[str, Any], **_: Any) -> None:
        with self.lock:
            self.events += len(params.get("Entries") or [])

    def snapshot(self) -> tuple[float, float, int, int]:
        with self.lock:
            return self.read_units, self.write_units, self.events, len(self.invocations)


@contextmanager
def metered_world() -> Iterator[tuple[Any, Meter]]:
    """The fulfilment world of the tests, set up without pytest (what its fixtures do, in order)."""
    import boto3
    from moto import mock_aws
    from moto.core.config import default_user_config

    from infra.local import moto_patches
    from infra.local.carrier_standin import CarrierStandin, CarrierStandinConfig
    from infra.local.lambda_tasks import HarnessInvoker, routed_to
    from infra.local.provision import provision
    from infra.local.stripe_standin import StandinConfig, StripeStandin
    from infra.resources import physical_name
    from tests import harness
    from tests.conftest import REGION, LambdaContext
    from tests.integration.cart.conftest import cart_event, catalog_events_batch, published
    from tests.integration.checkout.conftest import (
        API_KEY,
        STORE,
        WAREHOUSE,
        checkout_event,
        put_location,
        set_stock,
        webhook_event,
    )
    from tests.support import reply_from
    from tests.workflows.fulfilment_world import SECOND_WAREHOUSE, FulfilmentWorld

    meter = Meter()
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION, "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "shop", "POWERTOOLS_METRICS_DISABLED": "true",
    }.items():  # fmt: skip
        os.environ[name] = value
    os.environ.pop("AWS_ENDPOINT_URL", None)
    default_user_config["stepfunctions"] = {"execute_state_machine": True}
    moto_patches.install()
    original_session = harness._session

    def metered_session() -> Any:
        session = original_session()
        meter.install(session)
        return session

    harness._session = metered_session
    stripe = StripeStandin(StandinConfig(api_key=API_KEY), port=0)
    carrier = CarrierStandin(
        CarrierStandinConfig(webhook_key="whk_bench", timeline=(3600.0, 7200.0, 10800.0))
    )
    stripe.start()
    carrier.start()
    os.environ["STRIPE_API_BASE"], os.environ["CARRIER_STANDIN_URL"] = stripe.url, carrier.url
    try:
        with mock_aws():
            provisioned = provision(STAGE)
            secrets = boto3.client("secretsmanager", region_name=REGION)
            secrets.put_secret_value(SecretId=physical_name(STAGE, "stripe-api-key"), SecretString=API_KEY)
            secrets.put_secret_value(
                SecretId=physical_name(STAGE, "stripe-webhook-signing"), SecretString=stripe.webhook_secret
            )
            shop = SimpleNamespace(
                provisioned=provisioned,
                orders=physical_name(STAGE, "orders"),
                carts=physical_name(STAGE, "carts"),
                inventory=physical_name(STAGE, "inventory"),
                promotions=physical_name(STAGE, "promotions"),
                dynamodb=boto3.client("dynamodb", region_name=REGION),
                standin=stripe,
            )
            functions = TimedFunctions(STAGE, meter)
            context = LambdaContext()
            for product in (
                published("prod_a", 1, [("LAP-A-BLK", 100000, 4000000)]),
                published("prod_b", 1, [("PHN-B-BLK", 50000, 2000000)]),
            ):
                functions.invoke("cart-catalog-projector", catalog_events_batch([product]), context)
            put_location(shop, "kyiv-dc", WAREHOUSE)
            put_location(shop, "lviv-store", STORE)
            put_location(shop, "odesa-dc", SECOND_WAREHOUSE)
            set_stock(shop, "LAP-A-BLK", "kyiv-dc", 1000)
            set_stock(shop, "PHN-B-BLK", "odesa-dc", 1000)
            set_stock(shop, "PHN-B-BLK", "lviv-store", 1000)
            invoker = HarnessInvoker(functions)

            def cart(method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
                return reply_from(
                    functions.invoke("cart-api", cart_event(method, path, body, **kwargs), context)
                )

            def checkout(method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
                event = checkout_event(method, path, body, **kwargs)
                return reply_from(functions.invoke("checkout-api", event, context))

            def webhook(payload: str, signature: str | None) -> Any:
                return reply_from(
                    functions.invoke("stripe-webhooks", webhook_event(payload, signature), context)
                )

            with routed_to(invoker):
                yield FulfilmentWorld(shop, functions, context, invoker, cart, checkout, webhook), meter
    finally:
        harness._session = original_session
        harness.forget_function_state()
        moto_patches.uninstall()
        stripe.stop()
        carrier.stop()


def _timed_functions_class() -> type:
    from tests.harness import Functions

    class Timed(Functions):  # type: ignore[misc, valid-type]
        def __init__(self, stage: str, meter: Meter) -> None:
            super().__init__(stage)
            self.meter = meter

        def invoke(self, name: str, event: Any, context: Any = None) -> Any:
            started = time.perf_counter()
            try:
                return super().invoke(name, event, context)
            finally:
                with self.meter.lock:
                    self.meter.invocations.append((name, time.perf_counter() - started))

    return Timed


def TimedFunctions(stage: str, meter: Meter) -> Any:  # noqa: N802 - a class made late (tests import order)
    return _timed_functions_class()(stage, meter)


def _ship_all(world: Any, placed: Any, count: int, short: int = 0) -> None:
    shipments = world.picks_requested(placed.order_id, count=count)
    for shipment in shipments:
        lines = [{"sku": line["sku"], "quantity": line["quantity"]} for line in shipment["lines"]]
        lines[0]["quantity"] -= short
        assert world.packed(shipment["shipment_id"], lines).status == 200
    world.waiting_for(placed, "await_delivery", count=count)
    for shipment in shipments:
        world.tracked(placed.order_id, shipment["shipment_id"], "delivered")


SCENARIOS: dict[str, Callable[[Any, int], Any]] = {}


def scenario(name: str) -> Callable[[Callable[[Any, int], Any]], Callable[[Any, int], Any]]:
    def register(run: Callable[[Any, int], Any]) -> Callable[[Any, int], Any]:
        SCENARIOS[name] = run
        return run

    return register


def _forget_velocity(world: Any) -> None:
    """Every bench order pays with the same test card: its hourly count would send the fourth order to
    fraud review. Each order is measured as if it were the card's first this hour (a bench-only Scan)."""
    dynamodb, table = world.shop.dynamodb, world.shop.orders
    for item in dynamodb.scan(TableName=table)["Items"]:
        if item["pk"]["S"].startswith("VELOCITY#"):
            dynamodb.delete_item(TableName=table, Key={"pk": item["pk"], "sk": item["sk"]})


def _place(world: Any, n: int, lines: list[tuple[str, int]], **kwargs: Any) -> Any:
    # Each order from its own buyer and address, so velocity screening holds none but the review scenario.
    _forget_velocity(world)
    return world.place(lines, email=f"buyer{n}@example.com", ip=f"198.51.100.{n}", **kwargs)


@scenario("single shipment")
def _single(world: Any, n: int) -> Any:
    placed = _place(world, n, [("LAP-A-BLK", 1)])
    _ship_all(world, placed, 1)
    return placed


@scenario("split shipment")
def _split(world: Any, n: int) -> Any:
    placed = _place(world, n, [("LAP-A-BLK", 1), ("PHN-B-BLK", 1)])
    _ship_all(world, placed, 2)
    return placed


@scenario("short pick")
def _short(world: Any, n: int) -> Any:
    placed = _place(world, n, [("LAP-A-BLK", 2)])
    _ship_all(world, placed, 1, short=1)
    return placed


@scenario("store pickup")
def _pickup(world: Any, n: int) -> Any:
    placed = _place(world, n, [("PHN-B-BLK", 1)], pickup="lviv-store")
    (shipment,) = world.picks_requested(placed.order_id)
    lines = [{"sku": line["sku"], "quantity": line["quantity"]} for line in shipment["lines"]]
    assert world.packed(shipment["shipment_id"], lines).status == 200
    world.waiting_for(placed, "await_collection")
    assert world.collected(shipment["shipment_id"]).status == 200
    return placed


@scenario("transfer to store")
def _transfer(world: Any, n: int) -> Any:
    # The Lviv store has no laptops: the Kyiv warehouse ships one there, where the shopper collects it.
    placed = _place(world, n, [("LAP-A-BLK", 1)], pickup="lviv-store")
    _ship_all(world, placed, 1)
    world.waiting_for(placed, "await_collection")
    (shipment,) = world.picks_requested(placed.order_id)
    assert world.collected(shipment["shipment_id"]).status == 200
    return placed


@scenario("cancelled while picking")
def _cancelled(world: Any, n: int) -> Any:
    placed = _place(world, n, [("LAP-A-BLK", 1)])
    world.picks_requested(placed.order_id)
    assert world.cancel(placed.order_id, f"bench-cancel-{n}") == {"batchItemFailures": []}
    world.ended(placed)
    world.process_orders()  # checkout-events: OrderCancelled, the stock released
    return placed


@scenario("review approved")
def _review(world: Any, n: int) -> Any:
    placed = _place(world, n, [("LAP-A-BLK", 1)], review=True)
    world.waiting_for(placed, "hold_for_review")
    assert world.review(placed.order_id, "approve").status == 202
    _ship_all(world, placed, 1)
    return placed


def project_order_news(world: Any, carried: int) -> int:
    """The orders projection's share of the order just played: its stream changes published first
    (checkout-events: the capture's ``PaymentCaptured``), then every event on the ``orders-events`` queue
    and the carried shipments' tracking changes, each handed to ``orders-events`` as its own delivery.
    Answers how many deliveries that was (the queue's requests)."""
    from tests.workflows.fulfilment_world import sqs_event, tracking_batch

    if world.orders is not None and (changes := world.orders.batch())["Records"]:
        assert world.invoke("checkout-events", changes) == {"batchItemFailures": []}
    queue = world.shop.provisioned["queues"][ORDER_NEWS_QUEUE]
    sqs = _sqs()
    bodies: list[str] = []
    while messages := sqs.receive_message(QueueUrl=queue["url"], MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=queue["url"], ReceiptHandle=message["ReceiptHandle"])
    requested = [json.loads(body) for body in bodies]
    carried_shipments = [
        (e["detail"]["data"]["order_id"], e["detail"]["data"]["shipment_id"])
        for e in requested
        if e["detail-type"] == "FulfilmentRequested" and e["detail"]["data"]["kind"] in CARRIED_KINDS
    ][:carried]
    for order_id, shipment_id in carried_shipments:
        for sequence, status in enumerate(PROJECTED_TRACKING, start=2):
            (record,) = tracking_batch(order_id, shipment_id, status, sequence)["Records"]
            bodies.append(record["body"])
    for n, body in enumerate(bodies):
        message = {
            "MessageId": f"news-{n}",
            "ReceiptHandle": f"news-{n}",
            "Body": body,
            "MD5OfBody": "0" * 32,
        }
        answer = world.invoke(ORDER_NEWS_QUEUE, sqs_event([message], queue["arn"]))
        assert answer == {"batchItemFailures": []}, answer
    return len(bodies)


def _sqs() -> Any:
    import boto3

    from tests.conftest import REGION

    return boto3.client("sqs", region_name=REGION)


def modelled_invocations(carried: int) -> dict[str, int]:
    counts = {name: count * carried for name, count in MODELLED_CARRIER_INVOCATIONS.items()}
    return {**counts, **MODELLED_STOCK_INVOCATIONS}


def _cost(usage: dict[str, Any], median_s: float, memory: dict[str, int]) -> dict[str, float]:
    """USD per order, by service."""
    carried = usage["carried"]
    modelled = modelled_invocations(carried)
    lambda_gb_s = sum(seconds * memory[name] / 1024 for name, seconds in usage["invocations"])
    lambda_gb_s += sum(count * median_s * memory[name] / 1024 for name, count in modelled.items())
    invocations = len(usage["invocations"]) + sum(modelled.values())
    api_requests = sum(1 for name, _ in usage["invocations"] if name in API_FUNCTIONS) + 3 * carried
    events = usage["events"] + MODELLED_CARRIER_EVENTS * carried + MODELLED_STOCK_EVENTS
    return {
        "api_gateway": api_requests * PRICES["api_gateway_rest_per_request"],
        "lambda_requests": invocations * PRICES["lambda_per_request"],
        "lambda_compute": lambda_gb_s * PRICES["lambda_arm64_per_gb_second"],
        "dynamodb_writes": (usage["write_units"] + MODELLED_CARRIER_WRITE_UNITS * carried)
        * PRICES["dynamodb_on_demand_per_write_unit"],
        "dynamodb_reads": usage["read_units"] * PRICES["dynamodb_on_demand_per_read_unit"],
        "step_functions": usage["transitions"] * PRICES["step_functions_standard_per_transition"],
        "eventbridge": events * PRICES["eventbridge_custom_event"],
        "sqs": usage["queue_deliveries"] * 3 * PRICES["sqs_standard_per_request"],
    }


def run() -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    from infra.resources import FUNCTIONS

    memory = {spec.name: spec.memory_mb for spec in FUNCTIONS}
    figures: dict[str, Any] = {"scenarios": {}, "prices": PRICES}
    with metered_world() as (world, meter):
        # A warm-up order: every function's cold start happens here, not in the figures.
        world.ended(SCENARIOS["single shipment"](world, 1))
        project_order_news(world, 1)
        for index, (name, play) in enumerate(SCENARIOS.items(), start=2):
            before = meter.snapshot()
            placed = play(world, index)
            status = world.ended(placed)["status"]
            projected = project_order_news(world, CARRIED.get(name, 1))
            reads, writes, events, invocations = meter.snapshot()
            transitions = len(world.visited(placed))
            used = meter.invocations[before[3] : invocations]
            figures["scenarios"][name] = {
                "status": status,
                "transitions": transitions,
                "states": world.visited(placed),
                "invocations": Counter(n for n, _ in used),
                "invocation_seconds": {n: round(sum(s for m, s in used if m == n), 3) for n, _ in used},
                "read_units": reads - before[0],
                "write_units": writes - before[1],
                "events": events - before[2],
                "order_news_projected": projected,
                "_used": used,
            }
    all_durations = [s for data in figures["scenarios"].values() for _, s in data["_used"]]
    median_s = statistics.median(all_durations)
    summary: list[tuple[str, str, str]] = []
    for name, data in figures["scenarios"].items():
        carried = CARRIED.get(name, 1)
        usage = {
            "invocations": data.pop("_used"),
            "read_units": data["read_units"],
            "write_units": data["write_units"],
            "events": data["events"],
            "transitions": data["transitions"],
            "carried": carried,
            # FulfilmentRequested -> warehouse queue per shipment (QUEUED), ShipmentStatusChanged x3 ->
            # fulfilment queue per carried shipment, and every delivery to the orders projection
            "queue_deliveries": QUEUED.get(name, 1) + 3 * carried + data["order_news_projected"],
        }
        cost = _cost(usage, median_s, memory)
        per_1000 = {service: round(value * 1000, 4) for service, value in cost.items()}
        data["cost_per_1000_orders_usd"] = {**per_1000, "total": round(sum(cost.values()) * 1000, 4)}
        summary.append(
            (
                f"{name}: state transitions",
                str(data["transitions"]),
                "goal <= 8 (single shipment)" if name == "single shipment" else "measured",
            )
        )
        summary.append(
            (
                f"{name}: cost per 1,000 orders",
                f"${data['cost_per_1000_orders_usd']['total']:.3f}",
                f"goal <= ${GOAL_PER_1000:.2f}" if name == "single shipment" else "measured",
            )
        )
    figures["median_handler_seconds"] = round(median_s, 4)
    single = figures["scenarios"]["single shipment"]["cost_per_1000_orders_usd"]
    figures["goal_met"] = single["total"] <= GOAL_PER_1000
    figures["what_it_would_take"] = _what_it_would_take(single)
    figures["assumptions"] = {
        "modelled_invocations_per_carried_shipment": MODELLED_CARRIER_INVOCATIONS,
        "modelled_invocations_per_order": MODELLED_STOCK_INVOCATIONS,
        "modelled_events_per_carried_shipment": MODELLED_CARRIER_EVENTS,
        "modelled_events_per_order": MODELLED_STOCK_EVENTS,
        "modelled_write_units_per_carried_shipment": MODELLED_CARRIER_WRITE_UNITS,
        "sqs_requests_per_queue_delivery": 3,
        "orders_projection": "orders-events measured: one delivery per event on its queue, plus "
        f"{len(PROJECTED_TRACKING)} tracking changes per carried shipment ({', '.join(PROJECTED_TRACKING)})",
        "lambda_durations": "wall time of each handler in one process against moto (an upper bound)",
    }
    return json.loads(json.dumps(figures, default=dict)), summary


def _what_it_would_take(cost: dict[str, float]) -> str:
    total = cost["total"]
    if total <= GOAL_PER_1000:
        return f"met: ${total:.3f} per 1,000 single-shipment orders"
    biggest = max((k for k in cost if k != "total"), key=lambda k: cost[k])
    over = total - GOAL_PER_1000
    return (
        f"${total:.3f} per 1,000: ${over:.3f} over; the largest line is {biggest} (${cost[biggest]:.3f}); "
        f"cutting it by {min(100, round(100 * over / cost[biggest]))}% alone would meet the goal"
    )


if __name__ == "__main__":
    figures, summary = run()
    json.dump(figures, sys.stdout, indent=2)
