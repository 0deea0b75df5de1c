"""Carriers fixtures: the stage in moto from the specs (``tests.stage``), the carrier stand-in on 127.0.0.1 (its
webhooks go nowhere: tests post them to the handler themselves, signed as the stand-in signs), and the
carrier functions invoked as themselves (``functions`` fixture) with real-shaped events."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from tests.conformance import answers_for, served_document
from tests.conftest import REGION, build_api_event
from tests.support import Reply, TableStream, reply_from

EVENTS = Path(__file__).parents[2] / "events" / "carriers"
WEBHOOK_KEY = "whk_test_standin_key"
WEBHOOK_DOCUMENT = ("carriers.handlers.webhooks", "/webhooks/carriers/openapi.json")


@pytest.fixture
def carriers_stack(moto_stage: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> Iterator[SimpleNamespace]:
    """The stage as the local stack provisions it (provisioned once per worker, clean for each test), the
    stand-in's key in the webhook signing secret; a fresh carrier stand-in (timeline far away: tests move
    parcels)."""
    from infra.local.carrier_standin import CarrierStandin, CarrierStandinConfig
    from infra.resources import physical_name

    stage = moto_stage.stage
    secrets = boto3.client("secretsmanager", region_name=REGION)
    secrets.put_secret_value(
        SecretId=physical_name(stage, "carrier-webhook-signing"),
        SecretString=json.dumps({"standin": WEBHOOK_KEY}),
    )
    secrets.put_secret_value(SecretId=physical_name(stage, "nova-poshta-api"), SecretString="placeholder")
    standin = CarrierStandin(
        CarrierStandinConfig(webhook_key=WEBHOOK_KEY, timeline=(3600.0, 7200.0, 10800.0))
    )
    standin.start()
    monkeypatch.setenv("CARRIER_STANDIN_URL", standin.url)
    yield SimpleNamespace(
        stage=stage,
        table=physical_name(stage, "shipments"),
        bucket=physical_name(stage, "shipping-labels"),
        event_log=moto_stage.provisioned["queues"]["event-log"]["url"],
        dynamodb=moto_stage.dynamodb,
        s3=boto3.client("s3", region_name=REGION),
        sqs=boto3.client("sqs", region_name=REGION),
        secrets=secrets,
        standin=standin,
    )
    standin.stop()


def book_task(shipment_id: str = "shp_01JD3Q4Z9K8M2N5P7R9T1V3X5Z", **changes: Any) -> dict[str, Any]:
    task = json.loads((EVENTS / "book_task.json").read_text())
    return {**task, "shipment_id": shipment_id, **changes}


@pytest.fixture
def task(
    carriers_stack: SimpleNamespace, lambda_context: Any, functions: Any
) -> Callable[[dict[str, Any]], Any]:
    """Invokes carrier-tasks as the workflow's ``lambda:invoke`` does (the payload is the event)."""

    def _run(payload: dict[str, Any]) -> Any:
        return functions.invoke("carrier-tasks", copy.deepcopy(payload), lambda_context)

    return _run


def sign(body: bytes, key: str = WEBHOOK_KEY, at: int | None = None) -> str:
    from infra.local.carrier_standin import sign as standin_sign

    return standin_sign(body, key, int(time.time()) if at is None else at)


def webhook_event(carrier: str, body: bytes, signature: str | None) -> dict[str, Any]:
    """The proxy event API Gateway sends for ``POST /webhooks/carriers/<carrier>`` (no authorizer)."""
    path = f"/webhooks/carriers/{carrier}"
    event = build_api_event("POST", path, body.decode(), groups=None)
    headers = {"Content-Type": "application/json", "User-Agent": "CarrierStandin/1.0"}
    if signature is not None:
        headers["Carrier-Signature"] = signature
    event.update(
        resource="/webhooks/carriers/{proxy+}",
        headers=headers,
        multiValueHeaders={k: [v] for k, v in headers.items()},
        pathParameters={"proxy": carrier},
        queryStringParameters=None,
        multiValueQueryStringParameters=None,
    )
    event["requestContext"]["resourcePath"] = "/webhooks/carriers/{proxy+}"
    event["requestContext"].pop("authorizer", None)
    return event


@pytest.fixture
def webhook(carriers_stack: SimpleNamespace, lambda_context: Any, functions: Any) -> Callable[..., Reply]:
    """Posts a delivery to the webhook function; every answer must match its OpenAPI document."""
    answers = answers_for("carrier-webhooks", lambda: served_document(*WEBHOOK_DOCUMENT))

    def _post(body: bytes, signature: str | None = "sign", carrier: str = "standin") -> Reply:
        header = sign(body) if signature == "sign" else signature
        reply = reply_from(
            functions.invoke("carrier-webhooks", webhook_event(carrier, body, header), lambda_context)
        )
        answers.check("POST", f"/webhooks/carriers/{carrier}", reply)
        return reply

    return _post


def delivery(
    tracking_number: str, status: str, at: str, delivery_id: str = "whd_1", event_id: str | None = None
) -> bytes:
    body = {
        "id": delivery_id,
        "carrier": "standin",
        "events": [
            {
                "id": event_id or f"trk_{tracking_number}_{status}",
                "tracking_number": tracking_number,
                "status": status,
                "occurred_at": at,
            }
        ],
    }
    return json.dumps(body, separators=(",", ":")).encode()


@pytest.fixture
def stream(carriers_stack: SimpleNamespace) -> TableStream:
    """The shipments table's stream from now on (what earlier tests of the module wrote is read past)."""
    table_stream = TableStream(carriers_stack.dynamodb, carriers_stack.table, ("shipment",))
    table_stream.batch()
    return table_stream


@pytest.fixture
def event_log(carriers_stack: SimpleNamespace) -> Callable[[], list[dict[str, Any]]]:
    """What reached the stage's event-log queue (every ``shop.*`` event on the bus) since the test began."""
    sqs, url = carriers_stack.sqs, carriers_stack.event_log

    def read() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            found += [json.loads(m["Body"]) for m in messages]
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
            sqs.delete_message_batch(QueueUrl=url, Entries=entries)
        return found

    return read
