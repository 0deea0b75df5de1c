"""Customers fixtures: the stage in moto from the specs, the customers API driven by API Gateway REST proxy
events (customer, staff, anonymous), checkout's order events through SQS, and the customers table's stream
read as the event source mapping delivers it, with what reached the bus."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from tests.conformance import DocumentedAnswers, answers_for, served_document
from tests.conftest import REGION, build_api_event
from tests.support import Reply, TableStream, reply_from

CUSTOMER_SUB = "5b7c9d1e-2f3a-4b5c-8d6e-7f8091a2b3c4"
OTHER_SUB = "0a1b2c3d-4e5f-4071-8293-a4b5c6d7e8f9"
AGENT_SUB = "c0ffee00-1234-4abc-9def-0123456789ab"
PREFIXES = ("admin/customers", "customers", "me")


def customers_event(
    method: str,
    path: str,
    body: Any = None,
    *,
    sub: str | None = None,
    groups: str = "customers",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A proxy event for the customers API's resource serving ``path``, with claims when ``sub`` is given."""
    event = build_api_event(method, path, body, headers=headers, groups=None)
    prefix = next(p for p in PREFIXES if path == f"/{p}" or path.startswith(f"/{p}/"))
    bare = path == f"/{prefix}"
    event["resource"] = f"/{prefix}" if bare else f"/{prefix}/{{proxy+}}"
    event["requestContext"]["resourcePath"] = event["resource"]
    event["pathParameters"] = None if bare else {"proxy": path.removeprefix(f"/{prefix}/")}
    if sub is not None:
        event["requestContext"]["authorizer"] = {
            "claims": {"sub": sub, "cognito:username": sub, "cognito:groups": groups, "token_use": "id"}
        }
    return event


@pytest.fixture
def customers_stack(moto_stage: SimpleNamespace) -> SimpleNamespace:
    """The stage as the local stack provisions it (provisioned once per worker, clean for each test)."""
    from infra.resources import physical_name

    return SimpleNamespace(
        table=physical_name("test", "customers"),
        event_log=physical_name("test", "event-log"),
        dynamodb=moto_stage.dynamodb,
    )


@pytest.fixture
def customers_answers(customers_stack: SimpleNamespace) -> DocumentedAnswers:
    """What the customers API's served OpenAPI document says of each operation (read once a session)."""
    return answers_for(
        "customers", lambda: served_document("customers.handlers.api", "/customers/openapi.json")
    )


@pytest.fixture
def call(
    customers_stack: SimpleNamespace,
    lambda_context: Any,
    customers_answers: DocumentedAnswers,
    functions: Any,
) -> Callable[..., Reply]:
    """Calls the customers API; every answer must match what its OpenAPI document says of it."""

    def _call(method: str, path: str, body: Any = None, **kwargs: Any) -> Reply:
        event = customers_event(method, path, body, **kwargs)
        reply = reply_from(functions.invoke("customers-api", event, lambda_context))
        customers_answers.check(method, path, reply)
        return reply

    return _call


@pytest.fixture
def me(call: Callable[..., Reply]) -> Callable[..., Reply]:
    """Calls as the signed-in customer ``CUSTOMER_SUB``."""

    def _me(method: str, path: str, body: Any = None, **kwargs: Any) -> Reply:
        return call(method, path, body, sub=CUSTOMER_SUB, **kwargs)

    return _me


@pytest.fixture
def agent(call: Callable[..., Reply]) -> Callable[..., Reply]:
    def _agent(method: str, path: str, body: Any = None, **kwargs: Any) -> Reply:
        return call(method, path, body, sub=AGENT_SUB, groups="agents", **kwargs)

    return _agent


def order_events_batch(events: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """An SQS event as Lambda delivers it; each body an EventBridge event with checkout's v2.0 envelope."""
    records = []
    for index, (detail_type, data) in enumerate(events):
        envelope = {
            "version": "0",
            "id": f"eb-{index}",
            "detail-type": detail_type,
            "source": "shop.checkout",
            "account": "123456789012",
            "time": "2026-11-20T10:00:00Z",
            "region": REGION,
            "resources": [],
            "detail": {
                "metadata": {
                    "version": "2.0",
                    "eventId": f"evt-{data['order_id']}-{detail_type}",
                    "occurredAt": "2026-11-20T10:00:00.000Z",
                    "correlationId": data["order_id"],
                },
                "data": data,
            },
        }
        records.append(
            {
                "messageId": f"msg-{index}",
                "receiptHandle": f"handle-{index}",
                "body": json.dumps(envelope),
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1763900000000"},
                "messageAttributes": {},
                "md5OfBody": "0" * 32,
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:shop-test-customers-order-events",
                "awsRegion": REGION,
            }
        )
    return {"Records": records}


def placed(
    order_id: str, customer_id: str | None, amount: int, at: str, currency: str = "EUR"
) -> tuple[str, dict[str, Any]]:
    """``OrderPlaced`` data as checkout's v2.0 schema has it (the fields this context does not read too)."""
    money = {"amount": amount, "currency": currency}
    zero = {"amount": 0, "currency": currency}
    return (
        "OrderPlaced",
        {
            "order_id": order_id,
            "placed_at": at,
            "customer_id": customer_id,
            "currency": currency,
            "lines": [
                {
                    "sku": "LAP-A-BLK",
                    "name": "Laptop",
                    "quantity": 1,
                    "unit_price": money,
                    "discount_total": zero,
                    "tax": zero,
                    "total": money,
                }
            ],
            "totals": {
                "subtotal": money,
                "discount_total": zero,
                "shipping": zero,
                "tax_total": zero,
                "grand_total": money,
                "gift_certificates": zero,
                "amount_due": money,
            },
            "fulfilment": {"mode": "delivery", "location_id": None},
            "destination_country": "UA",
            "reservation_id": f"res_{order_id}",
            "payment_intent_id": None,
            "review_required": False,
        },
    )


def cancelled(order_id: str, at: str, was_placed: bool = True) -> tuple[str, dict[str, Any]]:
    return (
        "OrderCancelled",
        {
            "order_id": order_id,
            "reason": "payment_cancelled",
            "cancelled_at": at,
            "reservation_id": f"res_{order_id}",
            "was_placed": was_placed,
        },
    )


@pytest.fixture
def consume(
    customers_stack: SimpleNamespace, lambda_context: Any, functions: Any
) -> Callable[[list[tuple[str, dict[str, Any]]]], dict[str, Any]]:
    def _consume(events: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
        return functions.invoke("customers-order-events", order_events_batch(events), lambda_context)  # type: ignore[no-any-return]

    return _consume


@pytest.fixture
def publish_changes(
    customers_stack: SimpleNamespace, lambda_context: Any, functions: Any
) -> Callable[[], list[dict[str, Any]]]:
    """Runs customers-events on the table's new stream records; answers the customers events on the bus."""
    from infra.resources import function

    trigger = function("customers-events").stream
    assert trigger is not None
    stream = TableStream(customers_stack.dynamodb, customers_stack.table, trigger.item_types)
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.get_queue_url(QueueName=customers_stack.event_log)["QueueUrl"]
    seen: list[dict[str, Any]] = []

    def _publish() -> list[dict[str, Any]]:
        batch = stream.batch()
        if batch["Records"]:
            answer = functions.invoke("customers-events", batch, lambda_context)
            assert answer == {"batchItemFailures": []}, answer
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            seen.extend(json.loads(m["Body"]) for m in messages)
            sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )
        return [e for e in seen if e["source"] == "shop.customers"]

    return _publish
