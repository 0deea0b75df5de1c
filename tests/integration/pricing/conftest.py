"""Pricing fixtures: every resource in moto from the specs, the back office API driven by API Gateway
events, the promotions table's stream as the generator's trigger delivers it, and checkout's order events
as the projector's queue delivers them."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from tests.conformance import DocumentedAnswers, checked
from tests.conftest import REGION, build_api_event
from tests.support import Reply, TableStream, reply_from

PREFIX = "admin/promotions"


def pricing_event(method: str, path: str, body: Any = None, **kwargs: Any) -> dict[str, Any]:
    """An API Gateway REST proxy event for ``/admin/promotions`` (merchandiser claims unless ``groups``)."""
    event = build_api_event(method, path, body, **kwargs)
    event["resource"] = f"/{PREFIX}/{{proxy+}}"
    event["requestContext"]["resourcePath"] = event["resource"]
    event["pathParameters"] = {"proxy": path.removeprefix(f"/{PREFIX}/")}
    return event


@pytest.fixture
def pricing_stack(moto_stage: SimpleNamespace) -> SimpleNamespace:
    """The stage as the local stack provisions it (provisioned once per worker, clean for each test)."""
    from infra.resources import physical_name

    return SimpleNamespace(table=physical_name("test", "promotions"), dynamodb=moto_stage.dynamodb)


@pytest.fixture
def call(pricing_stack: SimpleNamespace, lambda_context: Any, functions: Any) -> Callable[..., Reply]:
    """Calls pricing-api; every answer must match the OpenAPI document the API serves."""

    def _call(method: str, path: str, body: Any = None, **kwargs: Any) -> Reply:
        return reply_from(
            functions.invoke("pricing-api", pricing_event(method, path, body, **kwargs), lambda_context)
        )

    document = _call("GET", "/admin/promotions/openapi.json", groups=None).body
    return checked(_call, DocumentedAnswers(document))


@pytest.fixture
def batch_stream(pricing_stack: SimpleNamespace) -> TableStream:
    from infra.resources import function

    trigger = function("pricing-code-batches").stream
    assert trigger is not None
    return TableStream(pricing_stack.dynamodb, pricing_stack.table, trigger.item_types)


def order_events(*events: Any) -> dict[str, Any]:
    """SQS records of EventBridge events (the rule -> queue delivery) of checkout ``DomainEvent``s."""
    records = []
    for index, event in enumerate(events):
        envelope = {
            "version": "0",
            "id": f"eb-{index}",
            "detail-type": event.detail_type,
            "source": event.source,
            "account": "123456789012",
            "time": event.metadata.occurred_at,
            "region": REGION,
            "resources": [],
            "detail": event.detail(),
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
                "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:shop-test-pricing-order-events",
                "awsRegion": REGION,
            }
        )
    return {"Records": records}


SPRING = {
    "name": "Spring: money off",
    "benefit": {"kind": "amount_off", "amounts": [{"amount": 50_000, "currency": "UAH"}]},
}
