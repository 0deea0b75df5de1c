"""Fulfilment: state transitions per order and the cost of 1,000 orders from cart to delivered.

Runs the same world as ``tests/workflows/test_order_fulfilment.py`` (``tests.workflows.fulfilment_world``):
real orders through cart and checkout, the Stripe and carrier stand-ins, the ``order-fulfilment`` workflow
executed by moto's interpreter with every task run as its function, the warehouse, carriers and agents
through their entry points. Per scenario (single shipment, split shipment, short pick, review approved,
store pickup collected by its shopper, transfer from a warehouse to the pickup store collected there,
cancelled by request while the warehouse picks, an order of one e-certificate (electronic: charged and
confirmed, no shipment), a laptop with an e-certificate):

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
import math
import os
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
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
# Per carried shipment, not run by the bench (see the module docstring): the carrier's three tracking
# webhooks, and the shipment stream's four records that publish (the booking and the three changes); per
# order the stock stream's reservation and stock changes.
MODELLED_CARRIER_INVOCATIONS = {"carrier-webhooks": 3, "carrier-events": 4}
MODELLED_STOCK_INVOCATIONS = {"inventory-events": 2}
# ShipmentStatusChanged x4 (booked, dispatched, in transit, delivered) and the milestones carriers announce
# beside two of them (ShipmentDispatched, ShipmentDelivered).
MODELLED_CARRIER_EVENTS = 6
MODELLED_STOCK_EVENTS = 2  # StockLevelChanged/Reservation* x2
# Each webhook, sized like the booking the bench measures (shipment item ~0.9 KB, growing past 1 KB with its
# history): the shipment Put (2) and its gsi1 copy (2), the delivery record (1); 3 consistent GetItems
# (delivery seen, tracking lookup, shipment).
MODELLED_CARRIER_WRITE_UNITS = 3 * 5
MODELLED_CARRIER_READ_UNITS = 3 * 3
# Shipments a carrier delivers (tracked), and queue deliveries besides tracking, per scenario.
CARRIED = {"split shipment": 2, "store pickup": 0, "cancelled while picking": 0, "electronic only": 0}
# + FulfilmentCancelled, the request; the agent's OrderReviewDecided -> fulfilment-cancellations; the
# pickup store's ShipmentReadyForCollection (warehouse queue). An order of electronic lines only asks the
# warehouse for nothing.
QUEUED = {
    "split shipment": 2,
    "cancelled while picking": 3,
    "review approved": 2,
    "store pickup": 2,
    "transfer to store": 2,
    "electronic only": 0,
}
# The orders projection's queue, and the carrier's tracking changes that reach it per carried shipment (the
# rule takes every ShipmentStatusChanged); sequence 1 is the carrier's booking claim, never published.
ORDER_NEWS_QUEUE = "orders-events"
TRACKING_QUEUE = "fulfilment-carrier-events"  # fulfilment's wait for delivery
PROJECTED_TRACKING = ("booked", "dispatched", "in_transit", "delivered")
# The shipments a carrier carries: to the buyer, or to the pickup store.
CARRIED_KINDS = ("delivery", "transfer")


ITEM_KB = 1024  # a write unit covers 1 KB of item
READ_KB = 4096  # a read unit covers 4 KB
TYPE_DESCRIPTORS = {"S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"}


def _value_size(value: dict[str, Any]) -> int:
    """Bytes of one typed attribute value, as DynamoDB sizes items (strings and binaries by length,
    numbers about one byte per two digits plus one, containers 3 bytes plus one per element)."""
    ((kind, raw),) = value.items()
    if kind in ("S", "B"):
        return len(raw.encode("utf-8") if isinstance(raw, str) else raw)
    if kind == "N":
        return (len(str(raw).lstrip("-").replace(".", "").lstrip("0")) + 1) // 2 + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "BS"):
        return sum(len(v.encode("utf-8") if isinstance(v, str) else v) for v in raw)
    if kind == "NS":
        return sum((len(v.lstrip("-").replace(".", "")) + 1) // 2 + 1 for v in raw)
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in raw)
    if kind == "M":
        return 3 + sum(len(k.encode("utf-8")) + 1 + _value_size(v) for k, v in raw.items())
    return 0


def item_size(item: dict[str, Any] | None) -> int:
    """An item's size in bytes (attribute names plus values), 0 for no item."""
    if not item:
        return 0
    return sum(len(name.encode("utf-8")) + _value_size(value) for name, value in item.items())


def _units(size: int, per: int) -> int:
    return max(1, -(-size // per))


def _kind(item: dict[str, Any] | None, key: dict[str, Any]) -> str:
    """What an item is, for the breakdown: its ``type`` attribute, else its sort key's prefix."""
    if item and "type" in item and "S" in item["type"]:
        return str(item["type"]["S"])
    sort = next((v.get("S") for k, v in key.items() if k in ("sk", "SK")), None)
    if isinstance(sort, str):
        return sort.split("#", 1)[0].lower() or "item"
    first: dict[str, Any] = next(iter(key.values()), {})
    return str(first.get("S", "")).split("#", 1)[0].lower() or "item"


@dataclass(frozen=True)
class _Target:
    """One item a write request touches: its table, key, the item written (a Put) and how it is billed."""

    table: str
    key: dict[str, Any]
    item: dict[str, Any] | None
    transactional: bool
    check: bool = False


@dataclass
class _Row:
    calls: int = 0
    items: int = 0
    write_units: float = 0.0
    index_write_units: float = 0.0
    read_units: float = 0.0
    largest_item_bytes: int = 0

    def add(self, other: _Row) -> None:
        self.calls += other.calls
        self.items += other.items
        self.write_units += other.write_units
        self.index_write_units += other.index_write_units
        self.read_units += other.read_units
        self.largest_item_bytes = max(self.largest_item_bytes, other.largest_item_bytes)


class Meter:
    """Counts, for every function's botocore session, DynamoDB capacity and EventBridge entries, each
    attributed to its function, table, operation and kind of item; and the wall time of every handler
    invocation.

    Capacity is billed as DynamoDB bills it, from the items' sizes (moto answers a fixed ConsumedCapacity
    per call, transactions none): a write is 1 unit per started KB of the larger of the item before and
    after (a failed condition too), twice that in a transaction (a ConditionCheck as well); every global
    secondary index whose projection the write changes costs 1 unit per KB of the projected item (2 when
    the index key moves: a delete and a put); a read is 1 unit per started 4 KB (a Query: of all items it
    returns together, a BatchGetItem: of each item), half of it eventually consistent, twice in a
    transaction. Sizes are taken from the items themselves, read beside the call from moto (unmetered)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.read_units = 0.0
        self.write_units = 0.0
        self.events = 0
        self.invocations: list[tuple[str, float]] = []
        # The same invocations' CPU time (this thread's): unlike wall time, it does not grow with the
        # machine's load, so figures from a busy machine compare.
        self.cpu_seconds: list[float] = []
        self.rows: dict[tuple[str, str, str, str], _Row] = {}
        self.events_by_function: Counter[str] = Counter()
        self._schemas: dict[str, dict[str, Any]] = {}
        self._peeker: Any = None

    def install(self, session: Any, function: str) -> None:
        # Before the parameters are serialised: ``before-call`` sees the wire request (url, headers, body),
        # where TransactItems, RequestItems, ConsistentRead and Entries are not keys.
        session.register("before-parameter-build.dynamodb", partial(self._before, function))
        session.register("after-call.dynamodb", self._after)
        session.register(
            "before-parameter-build.eventbridge.PutEvents", partial(self._count_events, function)
        )

    # --- moto, read beside the metered call ----------------------------------------------------

    def _client(self) -> Any:
        if self._peeker is None:
            import boto3

            self._peeker = boto3.client("dynamodb", region_name=os.environ.get("AWS_DEFAULT_REGION"))
        return self._peeker

    def _schema(self, table: str) -> dict[str, Any]:
        if table not in self._schemas:
            described = self._client().describe_table(TableName=table)["Table"]
            keys = tuple(k["AttributeName"] for k in described["KeySchema"])
            indexes = {
                index["IndexName"]: (
                    tuple(k["AttributeName"] for k in index["KeySchema"]),
                    index["Projection"].get("ProjectionType", "ALL"),
                    tuple(index["Projection"].get("NonKeyAttributes") or ()),
                )
                for index in described.get("GlobalSecondaryIndexes") or []
            }
            self._schemas[table] = {"keys": keys, "indexes": indexes}
        return self._schemas[table]

    def _peek(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        found = self._client().get_item(TableName=table, Key=key, ConsistentRead=True)
        return found.get("Item")

    def _key(self, table: str, item: dict[str, Any]) -> dict[str, Any]:
        return {name: item[name] for name in self._schema(table)["keys"] if name in item}

    # --- hooks -----------------------------------------------------------------------------------

    def _targets(self, name: str, params: dict[str, Any]) -> list[_Target]:
        if name == "PutItem":
            table, item = params["TableName"], params["Item"]
            return [_Target(table, self._key(table, item), item, False)]
        if name in ("UpdateItem", "DeleteItem"):
            return [_Target(params["TableName"], params["Key"], None, False)]
        if name == "BatchWriteItem":
            targets = []
            for table, requests in (params.get("RequestItems") or {}).items():
                for request in requests:
                    if "PutRequest" in request:
                        item = request["PutRequest"]["Item"]
                        targets.append(_Target(table, self._key(table, item), item, False))
                    else:
                        targets.append(_Target(table, request["DeleteRequest"]["Key"], None, False))
            return targets
        if name == "TransactWriteItems":
            targets = []
            for entry in params.get("TransactItems") or []:
                ((kind, part),) = entry.items()
                table = part["TableName"]
                key = self._key(table, part["Item"]) if kind == "Put" else part["Key"]
                targets.append(_Target(table, key, part.get("Item"), True, check=kind == "ConditionCheck"))
            return targets
        return []

    def _before(
        self, function: str, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any
    ) -> None:
        targets = self._targets(model.name, params) if model.name in WRITES else []
        before = [self._peek(t.table, t.key) for t in targets]
        context["bench_meter"] = (function, params, targets, before)

    def _after(self, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if "bench_meter" not in context:
            return
        function, params, targets, before = context.pop("bench_meter")
        name = model.name
        failed = "Error" in parsed
        rows: list[tuple[str, str, _Row]] = []
        if name in WRITES:
            rows = [self._write(t, old, failed) for t, old in zip(targets, before, strict=True)]
        elif name in READS and not failed:
            rows = self._reads(name, params, parsed)
        with self.lock:
            for table, kind, row in rows:
                key = (function, table, name, kind)
                self.rows.setdefault(key, _Row()).add(row)
                self.read_units += row.read_units
                self.write_units += row.write_units + row.index_write_units
            if rows:  # one call, however many items
                self.rows[(function, rows[0][0], name, rows[0][1])].calls += 1

    def _write(self, target: _Target, old: dict[str, Any] | None, failed: bool) -> tuple[str, str, _Row]:
        new = old if failed or target.check else self._peek(target.table, target.key)
        size = max(item_size(old), item_size(new), item_size(target.item) if failed else 0)
        units = _units(size, ITEM_KB) * (2 if target.transactional else 1)
        index_units = 0 if failed or target.check or old == new else self._index_units(target.table, old, new)
        kind = _kind(new or target.item or old, target.key)
        row = _Row(items=1, write_units=units, index_write_units=index_units, largest_item_bytes=size)
        return _table_name(target.table), kind, row

    def _index_units(self, table: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> int:
        schema = self._schema(table)
        units = 0
        for index in schema["indexes"].values():
            was, now = _projected(old, schema["keys"], index), _projected(new, schema["keys"], index)
            if was == now:
                continue
            moved = was is not None and now is not None and any(was[k] != now[k] for k in index[0])
            if was is not None and (now is None or moved):
                units += _units(item_size(was), ITEM_KB)
            if now is not None:
                units += _units(item_size(now), ITEM_KB)
        return units

    def _reads(
        self, name: str, params: dict[str, Any], parsed: dict[str, Any]
    ) -> list[tuple[str, str, _Row]]:
        half = 1.0 if params.get("ConsistentRead") else 0.5
        if name == "GetItem":
            item = parsed.get("Item")
            size = item_size(item)
            kind = _kind(item, params["Key"])
            return [
                (
                    _table_name(params["TableName"]),
                    kind,
                    _Row(items=1, read_units=half * _units(size, READ_KB), largest_item_bytes=size),
                )
            ]
        if name in ("Query", "Scan"):
            items = parsed.get("Items") or []
            sizes = [item_size(i) for i in items]
            kind = params.get("IndexName") or "+".join(sorted({_kind(i, {}) for i in items})) or "none"
            row = _Row(
                items=len(items),
                read_units=half * _units(sum(sizes), READ_KB),
                largest_item_bytes=max(sizes, default=0),
            )
            return [(_table_name(params["TableName"]), kind, row)]
        if name == "BatchGetItem":
            rows = []
            for table, request in (params.get("RequestItems") or {}).items():
                share = 1.0 if request.get("ConsistentRead") else 0.5
                found = (parsed.get("Responses") or {}).get(table) or []
                sizes = [item_size(i) for i in found] + [0] * max(
                    0, len(request.get("Keys") or []) - len(found)
                )
                units = share * sum(_units(s, READ_KB) for s in sizes)
                kind = "+".join(sorted({_kind(i, {}) for i in found})) or "none"
                rows.append(
                    (
                        _table_name(table),
                        kind,
                        _Row(items=len(sizes), read_units=units, largest_item_bytes=max(sizes, default=0)),
                    )
                )
            return rows
        if name == "TransactGetItems":
            rows = []
            for entry, answer in zip(
                params.get("TransactItems") or [], parsed.get("Responses") or [], strict=False
            ):
                get = entry["Get"]
                size = item_size(answer.get("Item"))
                rows.append(
                    (
                        _table_name(get["TableName"]),
                        _kind(answer.get("Item"), get["Key"]),
                        _Row(items=1, read_units=2.0 * _units(size, READ_KB), largest_item_bytes=size),
                    )
                )
            return rows
        return []

    def _count_events(self, function: str, params: dict[str, Any], **_: Any) -> None:
        with self.lock:
            count = len(params.get("Entries") or [])
            self.events += count
            self.events_by_function[function] += count

    def snapshot(self) -> tuple[float, float, int, int]:
        with self.lock:
            return self.read_units, self.write_units, self.events, len(self.invocations)

    def attribution(self) -> dict[tuple[str, str, str, str], _Row]:
        with self.lock:
            copied = {}
            for key, row in self.rows.items():
                copied[key] = _Row()
                copied[key].add(row)
            return copied


def _projected(
    item: dict[str, Any] | None, table_keys: tuple[str, ...], index: tuple[Any, str, tuple[str, ...]]
) -> dict[str, Any] | None:
    """What of ``item`` a global secondary index holds (None: the item is not on the index)."""
    keys, projection, extra = index
    if not item or any(k not in item for k in keys):
        return None
    if projection == "ALL":
        return item
    names = set(table_keys) | set(keys) | (set(extra) if projection == "INCLUDE" else set())
    return {n: v for n, v in item.items() if n in names}


def _table_name(physical: str) -> str:
    """The table's logical name (``shop-test-orders`` -> ``orders``)."""
    prefix = f"shop-{STAGE}-"
    return physical[len(prefix) :] if physical.startswith(prefix) else physical


def attributed(
    before: dict[tuple[str, str, str, str], _Row], after: dict[tuple[str, str, str, str], _Row]
) -> list[dict[str, Any]]:
    """What each function did to each table between two attributions, largest write units first.

    ``calls`` counts API calls on the row of a call's first item (a transaction's other rows show 0 calls
    and their items); ``write_units`` include the transaction's doubling, ``index_write_units`` are gsi
    copies; ``largest_item_bytes`` is the largest item the row ever billed (over the whole run)."""
    rows = []
    for key, row in after.items():
        was = before.get(key, _Row())
        change = {
            "calls": row.calls - was.calls,
            "items": row.items - was.items,
            "write_units": row.write_units - was.write_units,
            "index_write_units": row.index_write_units - was.index_write_units,
            "read_units": row.read_units - was.read_units,
        }
        if any(change.values()):
            function, table, operation, item = key
            rows.append(
                {
                    "function": function,
                    "table": table,
                    "operation": operation,
                    "item": item,
                    **change,
                    "largest_item_bytes": row.largest_item_bytes,
                }
            )
    return sorted(rows, key=lambda r: (-(r["write_units"] + r["index_write_units"]), -r["read_units"]))


@contextmanager
def metered_world() -> Iterator[tuple[Any, Meter]]:
    """The fulfilment world of the tests, set up without pytest (what its fixtures do, in order)."""
    import boto3
    from moto import mock_aws
    from moto.core.config import default_user_config

    from infra.local import ENDPOINT_VARIABLES, child_workflows, moto_patches
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
    from tests.workflows.test_electronic_lines import ecertificate_published

    meter = Meter()
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION, "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "shop", "POWERTOOLS_METRICS_DISABLED": "true",
    }.items():  # fmt: skip
        os.environ[name] = value
    for variable in ENDPOINT_VARIABLES:
        os.environ.pop(variable, None)
    default_user_config["stepfunctions"] = {"execute_state_machine": True}
    moto_patches.install()
    child_workflows.install()  # the shipment's dispatch runs as an Express child, as in the local stack
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
                ecertificate_published(),  # electronic: no stock
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
        harness.forget_function_state()
        moto_patches.uninstall()
        child_workflows.uninstall()
        stripe.stop()
        carrier.stop()


def _timed_functions_class() -> type:
    from tests.harness import Functions

    class Timed(Functions):  # type: ignore[misc, valid-type]
        def __init__(self, stage: str, meter: Meter) -> None:
            super().__init__(stage)
            self.meter = meter

        def _world(self, name: str) -> Any:
            fresh = name not in self._worlds
            world = super()._world(name)
            if fresh:  # each function's own session, so every call is put down to its function
                self.meter.install(world.session, name)
            return world

        def invoke(self, name: str, event: Any, context: Any = None) -> Any:
            started, cpu = time.perf_counter(), time.thread_time()
            try:
                return super().invoke(name, event, context)
            finally:
                with self.meter.lock:
                    self.meter.invocations.append((name, time.perf_counter() - started))
                    self.meter.cpu_seconds.append(time.thread_time() - cpu)

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


@scenario("electronic only")
def _electronic(world: Any, n: int) -> Any:
    return _place(world, n, [("ECERT-25", 1)])  # charged and confirmed; no shipment, nothing to wait for


@scenario("mixed with electronic")
def _mixed(world: Any, n: int) -> Any:
    placed = _place(world, n, [("LAP-A-BLK", 1), ("ECERT-25", 1)])
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
    routed = _rule(ORDER_NEWS_QUEUE)
    for order_id, shipment_id in carried_shipments:
        for sequence, status in enumerate(PROJECTED_TRACKING, start=2):
            (record,) = tracking_batch(order_id, shipment_id, status, sequence)["Records"]
            if routed.matches_event(json.loads(record["body"])):  # what the rule puts on the queue
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


def _rule(target: str) -> Any:
    """The pattern of the rule feeding queue ``target``, as EventBridge (moto) matches it."""
    from moto.events.models import EventPattern

    from infra.resources import RULES

    (rule,) = (r for r in RULES if r.target == target)
    return EventPattern.load(json.dumps(rule.pattern))


def tracking_routed(target: str) -> int:
    """How many of a parcel's tracking changes the rule feeding ``target`` routes (one queue delivery each)."""
    from tests.workflows.fulfilment_world import tracking_batch

    pattern = _rule(target)
    return sum(
        pattern.matches_event(json.loads(tracking_batch("ord_1", "shp_1", status, n)["Records"][0]["body"]))
        for n, status in enumerate(PROJECTED_TRACKING, start=2)
    )


def _sqs() -> Any:
    import boto3

    from tests.conftest import REGION

    return boto3.client("sqs", region_name=REGION)


def modelled_invocations(carried: int) -> dict[str, int]:
    counts = {name: count * carried for name, count in MODELLED_CARRIER_INVOCATIONS.items()}
    # Fulfilment's queue: the bench hands it the delivery; any other change its rule routes is one more
    # invocation that only ignores it.
    ignored = (tracking_routed(TRACKING_QUEUE) - 1) * carried
    return {**counts, **MODELLED_STOCK_INVOCATIONS, TRACKING_QUEUE: ignored}


# The Express child a shipment's dispatch runs (``shipment_dispatch.asl.json``): one request each, and its
# duration at Express's 64 MB billing floor. Its two Lambda tasks are metered as invocations like any other;
# the child is billed for the whole second it is given here, a generous bound (they take ~0.2 s in AWS).
EXPRESS_CHILD_STATE = "Book carrier and capture shipped lines"
EXPRESS_CHILD_SECONDS = 1.0
EXPRESS_CHILD_GB = 64 / 1024


def _express_cost(children: int) -> float:
    return children * (
        PRICES["step_functions_express_per_request"]
        + EXPRESS_CHILD_SECONDS * EXPRESS_CHILD_GB * PRICES["step_functions_express_per_gb_second"]
    )


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
        "dynamodb_reads": (usage["read_units"] + MODELLED_CARRIER_READ_UNITS * carried)
        * PRICES["dynamodb_on_demand_per_read_unit"],
        "step_functions": usage["transitions"] * PRICES["step_functions_standard_per_transition"],
        "step_functions_express": _express_cost(usage["express_children"]),
        "eventbridge": events * PRICES["eventbridge_custom_event"],
        "sqs": usage["queue_deliveries"] * 3 * PRICES["sqs_standard_per_request"],
    }


def run() -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    from infra.resources import FUNCTIONS

    memory = {spec.name: spec.memory_mb for spec in FUNCTIONS}
    figures: dict[str, Any] = {"scenarios": {}, "prices": PRICES}
    load_before = os.getloadavg()[0]
    with metered_world() as (world, meter):
        # A warm-up order: every function's cold start happens here, not in the figures.
        world.ended(SCENARIOS["single shipment"](world, 1))
        project_order_news(world, 1)
        for index, (name, play) in enumerate(SCENARIOS.items(), start=2):
            before, attribution, events_before = (
                meter.snapshot(),
                meter.attribution(),
                meter.events_by_function.copy(),
            )
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
                "dynamodb_by_source": attributed(attribution, meter.attribution()),
                "events_by_function": dict(meter.events_by_function - events_before),
                "_used": used,
                "_cpu": meter.cpu_seconds[before[3] : invocations],
            }
    all_durations = [s for data in figures["scenarios"].values() for _, s in data["_used"]]
    median_s = statistics.median(all_durations)
    median_cpu_s = statistics.median(s for data in figures["scenarios"].values() for s in data["_cpu"])
    summary: list[tuple[str, str, str]] = []
    for name, data in figures["scenarios"].items():
        carried = CARRIED.get(name, 1)
        usage = {
            "invocations": data.pop("_used"),
            "read_units": data["read_units"],
            "write_units": data["write_units"],
            "events": data["events"],
            "transitions": data["transitions"],
            "express_children": data["states"].count(EXPRESS_CHILD_STATE),
            "carried": carried,
            # FulfilmentRequested -> warehouse queue per shipment (QUEUED), the tracking changes fulfilment's
            # rule routes per carried shipment, and every delivery to the orders projection
            "queue_deliveries": QUEUED.get(name, 1)
            + tracking_routed(TRACKING_QUEUE) * carried
            + data["order_news_projected"],
        }
        cost = _cost(usage, median_s, memory)
        per_1000 = {service: round(value * 1000, 4) for service, value in cost.items()}
        data["cost_per_1000_orders_usd"] = {**per_1000, "total": round(sum(cost.values()) * 1000, 4)}
        cpu_usage = {
            **usage,
            "invocations": [(n, c) for (n, _), c in zip(usage["invocations"], data.pop("_cpu"), strict=True)],
        }
        at_cpu = _cost(cpu_usage, median_cpu_s, memory)["lambda_compute"]
        data["load_independent_per_1000_orders_usd"] = {
            "lambda_compute_at_cpu_time": round(at_cpu * 1000, 4),
            "total_with_lambda_at_cpu_time": round(
                (sum(cost.values()) - cost["lambda_compute"] + at_cpu) * 1000, 4
            ),
            "total_without_lambda_compute": round((sum(cost.values()) - cost["lambda_compute"]) * 1000, 4),
        }
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
    single_cpu = figures["scenarios"]["single shipment"]["load_independent_per_1000_orders_usd"]
    summary.append(
        (
            "single shipment: cost per 1,000 orders, Lambda at CPU time",
            f"${single_cpu['total_with_lambda_at_cpu_time']:.3f}",
            "the handlers' CPU time instead of their wall time: comparable across machine load",
        )
    )
    load = (round(load_before, 1), round(os.getloadavg()[0], 1))
    summary.append(
        (
            "machine load while measured",
            f"{load[0]} -> {load[1]} on {os.cpu_count()} CPUs",
            "1-minute load average before and after; wall-time Lambda figures grow with it",
        )
    )
    figures["machine_load_1min"] = load
    figures["median_handler_seconds"] = round(median_s, 4)
    figures["median_handler_cpu_seconds"] = round(median_cpu_s, 4)
    single = figures["scenarios"]["single shipment"]["cost_per_1000_orders_usd"]
    figures["goal_met"] = single["total"] <= GOAL_PER_1000
    steady = {
        **single,
        "lambda_compute": single_cpu["lambda_compute_at_cpu_time"],
        "total": single_cpu["total_with_lambda_at_cpu_time"],
    }
    figures["what_it_would_take"] = _what_it_would_take(steady)
    figures["assumptions"] = {
        "modelled_invocations_per_carried_shipment": MODELLED_CARRIER_INVOCATIONS,
        "modelled_invocations_per_order": MODELLED_STOCK_INVOCATIONS,
        "modelled_events_per_carried_shipment": MODELLED_CARRIER_EVENTS,
        "modelled_events_per_order": MODELLED_STOCK_EVENTS,
        "modelled_write_units_per_carried_shipment": MODELLED_CARRIER_WRITE_UNITS,
        "modelled_read_units_per_carried_shipment": MODELLED_CARRIER_READ_UNITS,
        "sqs_requests_per_queue_delivery": 3,
        "orders_projection": "orders-events measured: one delivery per event on its queue, plus "
        f"the carrier's tracking changes per carried shipment ({', '.join(PROJECTED_TRACKING)}) its rule routes",
        "lambda_durations": "wall time of each handler in one process against moto (an upper bound); "
        "load_independent_per_1000_orders_usd prices the same invocations at their CPU time (this "
        "thread's), which a busy machine does not inflate but which leaves out waiting on the network",
    }
    return json.loads(json.dumps(figures, default=dict)), summary


def _what_it_would_take(cost: dict[str, float]) -> str:
    total = cost["total"]
    if total <= GOAL_PER_1000:
        return f"met: ${total:.3f} per 1,000 single-shipment orders"
    over = total - GOAL_PER_1000
    fixed = cost["step_functions"] + cost["api_gateway"]
    rest = total - fixed
    transitions = math.ceil(over / (PRICES["step_functions_standard_per_transition"] * 1000))
    return (
        f"${total:.3f} per 1,000 (Lambda at CPU time): ${over:.3f} over. Step Functions and API Gateway are "
        f"${fixed:.3f}; the rest (${rest:.3f}: DynamoDB, Lambda, EventBridge, SQS) would have to fall by "
        f"{min(100, round(100 * over / rest))}%, or the happy path lose {transitions} Standard "
        "transition(s) at $0.025 each (the review gate's Choice went in decision 80, booking and capture "
        "became one Express child in 78; decision 73 lists the rest)"
    )


if __name__ == "__main__":
    figures, summary = run()
    json.dump(figures, sys.stdout, indent=2)
