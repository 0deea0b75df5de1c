"""A paid order's whole fulfilment in moto: checkout, the Stripe and carrier stand-ins, and the
``order-fulfilment`` workflow executed by moto's interpreter with its Lambda tasks run as their functions.

``FulfilmentWorld`` places real orders through the cart and checkout handlers, pays them in the Stripe
stand-in, lets ``checkout-events`` start the workflow, and then plays the outside world the workflow waits
for: the warehouse (``packed``, through ``fulfilment-api``), carriers' tracking (``tracked``, through
``fulfilment-carrier-events`` with the event carriers publish) and agents (``review``: orders-api's route, then
the ``OrderReviewDecided`` it published, read off the ``fulfilment-cancellations`` queue the rule fills, handed
to that function). The ledgers the tests
check are the Stripe stand-in's settlement of the PaymentIntent and inventory's stock and reservation.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
import requests

from infra.local.lambda_tasks import FunctionFailed, HarnessInvoker
from tests.conftest import REGION, build_api_event
from tests.integration.checkout.conftest import (
    ADDRESS,
    API_KEY,
    OrdersStream,
    deliver,
    guest_cart,
    new_key,
    pay,
)
from tests.support import Reply, reply_from
from tests.support import wait_until as support_wait_until

# A deadline, not a pace (``wait_until`` returns as soon as the condition holds): it bounds only a failing
# test, so it is long enough for a loaded machine (8 workers on 2 cores).
WAIT_S = 120.0
OPS_SUB = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
AGENT_SUB = "1a2b3c4d-5e6f-4a0b-9c8d-7e6f5a4b3c2d"
SECOND_WAREHOUSE = {
    "kind": "warehouse",
    "name": {"en": "Odesa DC"},
    "address": {"line1": "Portova 2", "city": "Odesa", "country": "UA"},
    "timezone": "Europe/Kyiv",
    "carrier_cutoff": "12:00",
    "priority": 200,
}


def wait_until(check: Callable[[], Any], what: str, timeout_s: float = WAIT_S) -> Any:
    return support_wait_until(check, what, timeout_s)


def api_event(method: str, path: str, body: Any, groups: str, sub: str) -> dict[str, Any]:
    event = build_api_event(method, path, body, groups=groups, sub=sub)
    event["resource"] = "/admin/fulfilment/{proxy+}"
    event["requestContext"]["resourcePath"] = event["resource"]
    event["pathParameters"] = {"proxy": path.lstrip("/").removeprefix("admin/fulfilment/")}
    return event


def orders_api_event(method: str, path: str, body: Any, groups: str, sub: str) -> dict[str, Any]:
    event = build_api_event(method, path, body, groups=groups, sub=sub)
    event["resource"] = "/admin/orders/{proxy+}"
    event["requestContext"]["resourcePath"] = event["resource"]
    event["pathParameters"] = {"proxy": path.lstrip("/").removeprefix("admin/orders/")}
    return event


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The batch Lambda's event source mapping hands a function for messages received off its queue."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1763900000000"},
                "messageAttributes": {},
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": REGION,
            }
            for message in messages
        ]
    }


def tracking_batch(order_id: str, shipment_id: str, status: str, sequence: int = 3) -> dict[str, Any]:
    """The ``fulfilment-carrier-events`` queue's batch with carriers' ``ShipmentStatusChanged``, made by
    carriers' own event model, as the rule delivers it."""
    from carriers.domain.events import SCHEMA_VERSION, SOURCE, ShipmentStatusChanged, event_id

    from shop_kernel.events import make_event

    data = ShipmentStatusChanged(
        order_id=order_id,
        shipment_id=shipment_id,
        carrier="standin",
        tracking_number="SI000001",
        status=status,  # type: ignore[arg-type]
        occurred_at="2026-03-03T10:00:00.000Z",
        sequence=sequence,
    )
    event = make_event(
        SOURCE,
        "ShipmentStatusChanged",
        data,
        version=SCHEMA_VERSION,
        occurred_at=data.occurred_at,
        event_id=event_id(shipment_id, sequence),
    )
    envelope = {
        "version": "0",
        "id": f"eb-{shipment_id}-{sequence}",
        "detail-type": event.detail_type,
        "source": event.source,
        "account": "123456789012",
        "time": data.occurred_at,
        "region": REGION,
        "resources": [],
        "detail": event.detail(),
    }
    return {
        "Records": [
            {
                "messageId": f"msg-{shipment_id}-{sequence}",
                "receiptHandle": f"handle-{shipment_id}-{sequence}",
                "body": json.dumps(envelope),
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1763900000000"},
                "messageAttributes": {},
                "md5OfBody": "0" * 32,
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:shop-test-fulfilment-carrier-events",
                "awsRegion": REGION,
            }
        ]
    }


def cancellation_batch(order_id: str, request_id: str, lines: list[dict[str, Any]] | None) -> dict[str, Any]:
    """The ``fulfilment-cancellations`` queue's batch with the orders context's request, as the rule
    delivers it (the contract's model builds the data)."""
    from fulfilment.inbound.orders import SCHEMA_VERSION, SOURCE, OrderCancellationRequested

    from shop_kernel.events import make_event

    data = OrderCancellationRequested.model_validate(
        {
            "order_id": order_id,
            "lines": lines,
            "requested_by": {"kind": "customer", "id": "c0ffee00-0000-4000-8000-000000000001"},
            "reason": "changed_my_mind",
        }
    )
    at = "2026-03-02T10:00:00.000Z"
    event = make_event(
        SOURCE,
        "OrderCancellationRequested",
        data,
        version=SCHEMA_VERSION,
        occurred_at=at,
        event_id=request_id,
    )
    envelope = {
        "version": "0",
        "id": f"eb-{request_id}",
        "detail-type": event.detail_type,
        "source": event.source,
        "account": "123456789012",
        "time": at,
        "region": REGION,
        "resources": [],
        "detail": event.detail(),
    }
    return {
        "Records": [
            {
                "messageId": f"msg-{request_id}",
                "receiptHandle": f"handle-{request_id}",
                "body": json.dumps(envelope),
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1763900000000"},
                "messageAttributes": {},
                "md5OfBody": "0" * 32,
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:shop-test-fulfilment-cancellations",
                "awsRegion": REGION,
            }
        ]
    }


@dataclass
class Placed:
    order_id: str
    intent_id: str
    execution_arn: str


@dataclass
class FulfilmentWorld:
    shop: SimpleNamespace
    functions: Any
    context: Any
    invoker: HarnessInvoker
    cart: Callable[..., Reply]
    checkout: Callable[..., Reply]
    webhook: Callable[[str, str | None], Reply]
    sfn: Any = field(default_factory=lambda: boto3.client("stepfunctions", region_name=REGION))
    # Made with the world, before any execution runs: making a client reads os.environ, which the harness
    # swaps while an execution's task runs a function on the interpreter's thread (a KeyError under -n 8).
    sqs: Any = field(default_factory=lambda: boto3.client("sqs", region_name=REGION))
    orders: OrdersStream | None = None

    # --- the order ------------------------------------------------------------------------------

    def place(
        self,
        lines: list[tuple[str, int]],
        *,
        review: bool = False,
        pickup: str | None = None,
        email: str = "olena@example.com",
        ip: str = "203.0.113.7",
    ) -> Placed:
        """A guest order, paid (authorised), its orders-stream change processed: the workflow runs."""
        with self.invoker.lock:
            if review:
                self._make_risky(email, ip)
            return self._place(lines, pickup, email, ip)

    def _place(self, lines: list[tuple[str, int]], pickup: str | None, email: str, ip: str) -> Placed:
        token = guest_cart(self.cart, lines, pickup=pickup)
        body: dict[str, Any] = {"email": email}
        if pickup is None:
            body["shipping_address"] = ADDRESS
        placed = self.checkout("POST", "/checkout", body, token=token, key=new_key(), ip=ip)
        assert placed.status == 201, placed.body
        order_id, intent_id = placed.body["order"]["id"], placed.body["payment"]["payment_intent_id"]
        pay(self.shop.standin, intent_id)
        deliver(self.shop.standin, self.webhook, ("payment_intent.amount_capturable_updated",), intent_id)
        self.process_orders()
        arn = f"{self.state_machine_arn().replace(':stateMachine:', ':execution:')}:{order_id}"
        return Placed(order_id, intent_id, arn)

    def invoke(self, name: str, event: Any) -> Any:
        """Function ``name`` invoked by the test, taking turns with the workflow's tasks: the harness
        gives the process one function's environment at a time."""
        with self.invoker.lock:
            return self.functions.invoke(name, event, self.context)

    def process_orders(self) -> None:
        """The orders table's new stream records reach checkout-events (it starts the workflow, releases
        a cancelled order's stock)."""
        if self.orders is None:
            self.orders = OrdersStream(self.shop)
        answer = self.invoke("checkout-events", self.orders.batch())
        assert answer == {"batchItemFailures": []}

    def _make_risky(self, email: str, ip: str) -> None:
        """The buyer (by e-mail) and their IP placed many orders this hour: checkout's fraud screening
        holds the next order for review when its authorisation arrives."""
        from datetime import UTC, datetime

        from checkout.domain.fraud import velocity_bucket

        bucket = velocity_bucket(datetime.now(UTC))
        for pk, count in ((f"VELOCITY#customer#{email}", 6), (f"VELOCITY#ip#{ip}", 10)):
            self.shop.dynamodb.put_item(
                TableName=self.shop.orders,
                Item={
                    "pk": {"S": pk},
                    "sk": {"S": bucket},
                    "type": {"S": "velocity"},
                    "count": {"N": str(count)},
                },
            )

    def state_machine_arn(self) -> str:
        return str(self.shop.provisioned["workflows"]["order-fulfilment"]["arn"])

    # --- the outside world ----------------------------------------------------------------------

    def picks_requested(self, order_id: str, count: int = 1) -> list[dict[str, Any]]:
        """The shipments whose pick the workflow asked for (their tokens stored), once ``count`` are."""

        def requested() -> list[dict[str, Any]]:
            allocation = next(
                (
                    p
                    for n, p in self.invoker.calls
                    if n == "fulfilment-tasks"
                    and p.get("action") == "allocate"
                    and p["order"]["order_id"] == order_id
                ),
                None,
            )
            if allocation is None:
                return []
            picks = [p["shipment_id"] for n, p in self.invoker.calls if p.get("action") == "request_pick"]
            shipments = self._shipments(order_id)
            picked = [s for s in shipments if s["shipment_id"] in picks]
            return picked if len(picked) >= count else []

        return list(wait_until(requested, f"{count} pick request(s) of {order_id}"))

    def _shipments(self, order_id: str) -> list[dict[str, Any]]:
        from shop_kernel.dynamo import deserialize

        table = self.shop.provisioned["tables"]["fulfilment"]["name"]
        key = {"pk": {"S": f"ORDER#{order_id}"}, "sk": {"S": "ALLOCATION"}}
        item = self.shop.dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
        if item is None:
            return []
        return [
            {"shipment_id": s["id"], "lines": s["lines"], "location_id": s["location_id"], "kind": s["kind"]}
            for s in json.loads(deserialize(item)["doc"])
        ]

    def packed(self, shipment_id: str, lines: list[dict[str, Any]]) -> Reply:
        path = f"/admin/fulfilment/shipments/{shipment_id}/packed"
        event = api_event("POST", path, {"lines": lines}, "ops", OPS_SUB)
        return reply_from(self.invoke("fulfilment-api", event))

    def collected(self, shipment_id: str) -> Reply:
        path = f"/admin/fulfilment/shipments/{shipment_id}/collected"
        return reply_from(self.invoke("fulfilment-api", api_event("POST", path, None, "ops", OPS_SUB)))

    def review(self, order_id: str, decision: str, note: str = "called the buyer") -> Reply:
        """An agent's decision through orders-api; an accepted one's ``OrderReviewDecided`` then reaches
        ``fulfilment-cancellations`` as the rule and the queue deliver it."""
        path = f"/admin/orders/{order_id}/review"
        event = orders_api_event("POST", path, {"decision": decision, "note": note}, "agents", AGENT_SUB)
        answer = reply_from(self.invoke("orders-api", event))
        if answer.status == 202:
            assert self.deliver_decisions() >= 1
        return answer

    def deliver_decisions(self) -> int:
        """What the orders context published to fulfilment (on the ``fulfilment-cancellations`` queue), handed
        to that function batch by batch; how many messages."""
        queue = self.shop.provisioned["queues"]["fulfilment-cancellations"]
        sqs = self.sqs
        delivered = 0
        while True:
            messages = sqs.receive_message(QueueUrl=queue["url"], MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return delivered
            answer = self.invoke("fulfilment-cancellations", sqs_event(messages, queue["arn"]))
            assert answer == {"batchItemFailures": []}
            for message in messages:
                sqs.delete_message(QueueUrl=queue["url"], ReceiptHandle=message["ReceiptHandle"])
            delivered += len(messages)

    def waiting_for(self, placed: Placed, action: str, count: int = 1) -> None:
        """Until ``count`` tasks of ``action`` for this order (by its id, or its shipments' ids) answered."""

        def answered() -> bool:
            shipments = {s["shipment_id"] for s in self._shipments(placed.order_id)}
            mine = [
                p
                for _, p in self.invoker.calls
                if p.get("action") == action
                and (p.get("order_id") == placed.order_id or p.get("shipment_id") in shipments)
            ]
            return len(mine) >= count

        wait_until(answered, f"{action} of {placed.order_id}")

    def tracked(self, order_id: str, shipment_id: str, status: str) -> dict[str, Any]:
        batch = tracking_batch(order_id, shipment_id, status)
        return dict(self.invoke("fulfilment-carrier-events", batch))

    def cancel(
        self, order_id: str, request_id: str, lines: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """The orders context's ``OrderCancellationRequested`` reaches ``fulfilment-cancellations``."""
        return dict(self.invoke("fulfilment-cancellations", cancellation_batch(order_id, request_id, lines)))

    def cancellation(self, order_id: str, request_id: str) -> dict[str, Any] | None:
        from shop_kernel.dynamo import deserialize

        table = self.shop.provisioned["tables"]["fulfilment"]["name"]
        key = {"pk": {"S": f"ORDER#{order_id}"}, "sk": {"S": f"CANCELLATION#{request_id}"}}
        item = self.shop.dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
        return None if item is None else dict(json.loads(deserialize(item)["doc"]))

    # --- how it ended ---------------------------------------------------------------------------

    def ended(self, placed: Placed) -> dict[str, Any]:
        def done() -> dict[str, Any] | None:
            described: dict[str, Any] = self.sfn.describe_execution(executionArn=placed.execution_arn)
            return described if described["status"] != "RUNNING" else None

        return dict(wait_until(done, f"the end of {placed.order_id}'s execution"))

    def history(self, placed: Placed) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = self.sfn.get_execution_history(
            executionArn=placed.execution_arn, maxResults=1000
        )["events"]
        return events

    def visited(self, placed: Placed) -> list[str]:
        return [
            e["stateEnteredEventDetails"]["name"]
            for e in self.history(placed)
            if "stateEnteredEventDetails" in e
        ]

    def settlement(self, placed: Placed) -> dict[str, int]:
        url = f"{self.shop.standin.url}/_standin/payment_intents/{placed.intent_id}/settlement"
        answer: dict[str, int] = requests.get(
            url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=5
        ).json()
        return answer

    def stock(self, sku: str, location_id: str) -> tuple[int, int, int]:
        from tests.integration.checkout.conftest import stock

        return stock(self.shop, sku, location_id)

    def active_reservations(self, sku: str, location_id: str) -> int:
        """Units of ``sku`` at ``location_id`` held by active reservations (a test-only Scan)."""
        from shop_kernel.dynamo import deserialize

        held = 0
        for raw in self.shop.dynamodb.scan(TableName=self.shop.inventory)["Items"]:
            item = deserialize(raw)
            if item.get("type") != "reservation" or item.get("status") != "active":
                continue
            for line in item.get("lines", []):
                if line["sku"] == sku and line["location_id"] == location_id:
                    held += int(line["quantity"])
        return held

    def fail(self, function: str, action: str, error: str = "InjectedFailure", passing: int = 0) -> None:
        """Every invocation of ``function`` with ``action`` after the first ``passing`` fails with ``error``
        (not retried)."""
        seen: list[Any] = []

        def inject(name: str, payload: Any) -> None:
            if name == function and isinstance(payload, dict) and payload.get("action") == action:
                seen.append(payload)
                if len(seen) > passing:
                    raise FunctionFailed(error, f"injected into {function} {action}")

        self.invoker.before.append(inject)

    def fail_after(self, function: str, action: str, error: str, times: int = 1) -> list[Any]:
        """The first ``times`` invocations of ``function`` with ``action`` run, then fail with ``error`` (as
        Lambda's transient errors do, after the work); the answers of the failed ones, in order."""
        answers: list[Any] = []

        def inject(name: str, payload: Any, answer: Any) -> None:
            mine = name == function and isinstance(payload, dict) and payload.get("action") == action
            if mine and len(answers) < times:
                answers.append(answer)
                raise FunctionFailed(error, f"injected into {function} {action} after it ran")

        self.invoker.after.append(inject)
        return answers


@pytest.fixture
def executing_workflows(executing_moto_stage: SimpleNamespace) -> None:
    """moto's Step Functions runs the states (off by default): the stage is the executing one."""


@pytest.fixture
def carrier_standin(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from infra.local.carrier_standin import CarrierStandin, CarrierStandinConfig

    standin = CarrierStandin(CarrierStandinConfig(webhook_key="whk_test", timeline=(3600.0, 7200.0, 10800.0)))
    standin.start()
    monkeypatch.setenv("CARRIER_STANDIN_URL", standin.url)
    yield standin
    standin.stop()
