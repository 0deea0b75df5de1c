"""Orders fixtures: the stage in moto from the specs, an order placed through the orders contract (as
checkout places it), events as the orders-events queue delivers them (SQS records holding EventBridge
events) and API Gateway proxy events for customers and staff."""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from tests.conftest import REGION, build_api_event
from tests.unit.checkout.payment_doubles import pending_order

CUSTOMER = "5c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
STRANGER = "7e6d5c4b-3a29-4817-9a6b-5c4d3e2f1a0b"
AGENT = "a9e8d7c6-b5a4-4938-8271-605f4e3d2c1b"
ORDER_ID = "ord_01JDQ4Z9K8M2N5P7R9T1V3X5ZA"


@pytest.fixture
def orders_stack(aws_credentials: None, fast_moto_transactions: None) -> Iterator[SimpleNamespace]:
    from moto import mock_aws

    from infra.local.provision import provision
    from infra.resources import physical_name

    with mock_aws():
        provision("test")
        yield SimpleNamespace(
            table=physical_name("test", "orders"), dynamodb=boto3.client("dynamodb", region_name=REGION)
        )


def customer_order(
    order_id: str = ORDER_ID, *, created_at: str = "2026-12-02T09:50:00.000Z", **changes: Any
) -> Any:
    """A customer's order, authorised (100.00 UAH, two lines), as checkout writes it."""
    from orders.domain.models import Buyer, OrderLine, OrderStatus
    from pricing.domain import PricedLine

    base = pending_order()
    line = PricedLine.model_validate(
        {
            "sku": "LAP-A-BLK",
            "quantity": 2,
            "price_list": "retail",
            "unit_price": {"amount": 5000, "currency": "UAH"},
            "subtotal": {"amount": 10000, "currency": "UAH"},
            "discounts": [],
            "discount_total": {"amount": 0, "currency": "UAH"},
            "tax_rate_bp": 2000,
            "tax": {"amount": 1667, "currency": "UAH"},
            "total": {"amount": 10000, "currency": "UAH"},
        }
    )
    return base.model_copy(
        update={
            "id": order_id,
            "status": OrderStatus.PAYMENT_AUTHORIZED,
            "buyer": Buyer(kind="customer", key=CUSTOMER, email="Olena@Example.com"),
            "lines": (OrderLine(**line.model_dump(), name={"en": "Laptop A"}),),
            "phone": "+380 44 123-45-67",
            "created_at": created_at,
            "updated_at": created_at,
            "payment": base.payment.model_copy(update={"status": "authorized", "authorized_at": created_at}),
            **changes,
        }
    )


def place(stack: SimpleNamespace, order: Any) -> None:
    """The order written as checkout writes it: the contract's part of checkout's transaction."""
    from orders import contract

    part = contract.new_order(stack.table, order)
    stack.dynamodb.transact_write_items(TransactItems=list(part.entries))


def bus_event(source: str, detail_type: str, data: dict[str, Any], event_id: str, at: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": f"eb-{event_id}",
        "detail-type": detail_type,
        "source": source,
        "account": "123456789012",
        "time": at,
        "region": REGION,
        "resources": [],
        "detail": {
            "metadata": {"version": "1.0", "eventId": event_id, "occurredAt": at, "correlationId": None},
            "data": data,
        },
    }


def sqs_batch(events: list[dict[str, Any]]) -> dict[str, Any]:
    """An SQS batch whose bodies are EventBridge events, as the order-news rule delivers them."""
    return {
        "Records": [
            {
                "messageId": f"msg-{n}",
                "receiptHandle": f"handle-{n}",
                "body": json.dumps(body),
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1764669000000"},
                "messageAttributes": {},
                "md5OfBody": "0" * 32,
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:shop-test-orders-events",
                "awsRegion": REGION,
            }
            for n, body in enumerate(events)
        ]
    }


def placed(order_id: str = ORDER_ID, at: str = "2026-12-02T09:51:00.000Z") -> dict[str, Any]:
    data = {"order_id": order_id, "placed_at": at, "customer_id": CUSTOMER, "review_required": False}
    return bus_event("shop.checkout", "OrderPlaced", data, f"placed-{order_id}", at)


def requested(order_id: str = ORDER_ID, at: str = "2026-12-02T09:52:00.000Z") -> dict[str, Any]:
    data = {
        "order_id": order_id,
        "shipment_id": "shp_1",
        "location_id": "kyiv-dc",
        "kind": "delivery",
        "lines": [{"sku": "LAP-A-BLK", "quantity": 2}],
        "dispatch_by": "2026-12-02T16:00:00.000Z",
        "requested_at": at,
    }
    return bus_event("shop.fulfilment", "FulfilmentRequested", data, f"requested-{order_id}", at)


def tracking(status: str, sequence: int, at: str, order_id: str = ORDER_ID) -> dict[str, Any]:
    data = {
        "order_id": order_id,
        "shipment_id": "shp_1",
        "carrier": "nova-poshta",
        "tracking_number": "20450000000001",
        "status": status,
        "previous_status": None,
        "occurred_at": at,
        "sequence": sequence,
    }
    return bus_event("shop.carriers", "ShipmentStatusChanged", data, f"track-{order_id}-{sequence}", at)


def orders_event(
    method: str,
    path: str,
    body: Any = None,
    *,
    sub: str = CUSTOMER,
    groups: str = "customers",
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    event = build_api_event(method, path, body, query=query, groups=None)
    prefix = "me/orders" if path.startswith("/me/") else "admin/orders"
    event["resource"] = f"/{prefix}/{{proxy+}}"
    event["requestContext"]["resourcePath"] = event["resource"]
    event["pathParameters"] = {"proxy": path.removeprefix(f"/{prefix}").lstrip("/")}
    if groups:
        event["requestContext"]["authorizer"] = {"claims": {"sub": sub, "cognito:groups": groups}}
    return event
