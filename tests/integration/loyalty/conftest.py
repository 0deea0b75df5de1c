"""Loyalty fixtures: the stage in moto from the specs, order events as the queue delivers them (SQS
records holding EventBridge events), API Gateway proxy events for members and staff, and a counter of
DynamoDB calls."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from tests.conftest import REGION, build_api_event

MEMBER = "5c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
AGENT_A = "a9e8d7c6-b5a4-4938-8271-605f4e3d2c1b"
AGENT_B = "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e"


@pytest.fixture
def loyalty_stack(moto_stage: SimpleNamespace) -> SimpleNamespace:
    """The stage as the local stack provisions it (provisioned once per worker, clean for each test)."""
    from infra.resources import physical_name

    return SimpleNamespace(table=physical_name("test", "loyalty"), dynamodb=moto_stage.dynamodb)


def sqs_batch(events: list[tuple[str, str, dict[str, Any]]]) -> dict[str, Any]:
    """An SQS batch whose bodies are EventBridge events (source, detail-type, data), as the rule delivers."""
    records = []
    for n, (source, detail_type, data) in enumerate(events):
        body = {
            "version": "0",
            "id": f"eb-{n}",
            "detail-type": detail_type,
            "source": source,
            "account": "123456789012",
            "time": "2026-11-05T12:00:00Z",
            "region": REGION,
            "resources": [],
            "detail": {
                "metadata": {
                    "version": "2.0",
                    "eventId": f"evt-{detail_type}-{n}",
                    "occurredAt": "2026-11-05T12:00:00.000Z",
                    "correlationId": None,
                },
                "data": data,
            },
        }
        records.append(
            {
                "messageId": f"msg-{n}",
                "receiptHandle": f"handle-{n}",
                "body": json.dumps(body),
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1763900000000"},
                "messageAttributes": {},
                "md5OfBody": "0" * 32,
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:shop-test-loyalty-order-events",
                "awsRegion": REGION,
            }
        )
    return {"Records": records}


def order_placed(
    order_id: str, *line_totals: int, member: str | None = MEMBER
) -> tuple[str, str, dict[str, Any]]:
    """``OrderPlaced`` data as checkout publishes it (checkout.domain.events.OrderPlaced v2.0)."""

    def money(amount: int) -> dict[str, Any]:
        return {"amount": amount, "currency": "EUR"}

    lines = [
        {
            "sku": f"SKU-{i}",
            "name": "Thing",
            "quantity": 1,
            "unit_price": money(t),
            "discount_total": money(0),
            "tax": money(0),
            "total": money(t),
        }
        for i, t in enumerate(line_totals or (10_000,))
    ]
    total = sum(line["total"]["amount"] for line in lines)
    totals = {
        k: money(v)
        for k, v in {
            "subtotal": total,
            "discount_total": 0,
            "shipping": 0,
            "tax_total": 0,
            "grand_total": total,
            "gift_certificates": 0,
            "amount_due": total,
        }.items()
    }
    data = {
        "order_id": order_id,
        "placed_at": "2026-11-02T10:00:00.000Z",
        "customer_id": member,
        "currency": "EUR",
        "lines": lines,
        "totals": totals,
        "fulfilment": {"mode": "delivery", "location_id": None},
        "destination_country": "UA",
        "reservation_id": f"res_{order_id}",
        "payment_intent_id": None,
        "review_required": False,
    }
    return ("shop.checkout", "OrderPlaced", data)


def order_delivered(
    order_id: str, member: str | None = MEMBER, at: str = "2026-11-05T12:00:00.000Z"
) -> tuple[str, str, dict[str, Any]]:
    return (
        "shop.orders",
        "OrderDelivered",
        {"order_id": order_id, "customer_id": member, "delivered_at": at},
    )


def return_refunded(order_id: str, return_id: str, amount: int) -> tuple[str, str, dict[str, Any]]:
    money = {"amount": amount, "currency": "EUR"}
    data = {
        "return_id": return_id,
        "order_id": order_id,
        "refunded_total": money,
        "refunded_at": "2026-11-08T09:00:00.000Z",
        "lines": [{"sku": "SKU-0", "quantity": 1, "refunded": money}],
    }
    return ("shop.returns", "ReturnRefunded", data)


def order_cancelled(order_id: str) -> tuple[str, str, dict[str, Any]]:
    data = {
        "order_id": order_id,
        "reason": "payment_cancelled",
        "cancelled_at": "2026-11-03T10:00:00.000Z",
        "reservation_id": f"res_{order_id}",
        "was_placed": True,
    }
    return ("shop.checkout", "OrderCancelled", data)


def loyalty_event(
    method: str,
    path: str,
    body: Any = None,
    *,
    sub: str = MEMBER,
    groups: str = "customers",
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    event = build_api_event(method, path, body, query=query, headers=headers, groups=None)
    prefix = (
        "me/coupons"
        if path.startswith("/me/coupons")
        else "me/loyalty"
        if path.startswith("/me/")
        else "admin/loyalty"
        if path.startswith("/admin/")
        else "loyalty"
    )
    event["resource"] = f"/{prefix}/{{proxy+}}"
    event["requestContext"]["resourcePath"] = event["resource"]
    event["pathParameters"] = {"proxy": path.removeprefix(f"/{prefix}").lstrip("/")}
    if groups:
        event["requestContext"]["authorizer"] = {"claims": {"sub": sub, "cognito:groups": groups}}
    return event


def count_dynamodb_calls(functions: Any, name: str) -> list[str]:
    """The DynamoDB operations function ``name`` makes from now on (its own session's hook). Call it before
    the function's first invocation in the test: a botocore client copies its session's hooks when made."""
    calls: list[str] = []
    functions._world(name).session.register(
        "before-call.dynamodb", lambda model, **_: calls.append(model.name), unique_id=f"count-{name}"
    )
    return calls
