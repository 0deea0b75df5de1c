"""Inventory fixtures: every resource in moto from the specs, the API handler driven by API Gateway
events, locations and catalog SKUs, and the inventory table's stream as the trigger delivers it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from tests.conformance import DocumentedAnswers, checked
from tests.conftest import REGION, build_api_event
from tests.support import Reply, TableStream, reply_from

OPS_SUB = "3c9e1b7a-5d2f-4e8a-9b1c-2d3e4f5a6b7c"
SKUS = ("LAP-0001-BLK", "LAP-0001-SLV", "PHN-0003-BLK")


def inventory_event(
    method: str, path: str, body: Any = None, *, groups: str | None = "ops", **kwargs: Any
) -> dict[str, Any]:
    """An API Gateway REST proxy event for the inventory routes (``/inventory``, ``/admin/inventory``)."""
    event = build_api_event(method, path, body, groups=groups, sub=OPS_SUB, **kwargs)
    prefix = "admin/inventory" if path.startswith("/admin/") else "inventory"
    event["resource"] = f"/{prefix}/{{proxy+}}"
    event["requestContext"]["resourcePath"] = event["resource"]
    event["pathParameters"] = {"proxy": path.removeprefix(f"/{prefix}/")}
    return event


@pytest.fixture
def inventory_stack(
    moto_stage: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SimpleNamespace]:
    """The stage as the local stack provisions it (provisioned once per worker, clean for each test);
    catalog SKU claims for ``SKUS``."""
    from infra.local.provision import function_environment
    from infra.resources import function, physical_name
    from inventory import wiring
    from inventory.wiring import InventoryContainer
    from shop_kernel import aws

    stage = moto_stage.stage
    for spec in ("inventory-api", "inventory-events"):
        for name, value in function_environment(stage, function(spec)).items():
            monkeypatch.setenv(name, value)
    dynamodb = moto_stage.dynamodb
    catalog = physical_name(stage, "catalog")
    for sku in SKUS:
        dynamodb.put_item(
            TableName=catalog,
            Item={
                "pk": {"S": f"UNIQUE#sku#{sku}"},
                "sk": {"S": "UNIQUE"},
                "type": {"S": "sku"},
                "owner": {"S": "prod_1"},
            },
        )
    aws.reset_clients()
    monkeypatch.setattr(wiring, "container", InventoryContainer())
    yield SimpleNamespace(
        table=physical_name(stage, "inventory"), catalog=catalog, bus=f"shop-{stage}", dynamodb=dynamodb
    )
    aws.reset_clients()


@pytest.fixture
def call(inventory_stack: SimpleNamespace, lambda_context: Any, functions: Any) -> Callable[..., Reply]:
    """Calls the inventory API handler; every answer must match the OpenAPI document the API serves."""

    def _call(method: str, path: str, body: Any = None, **kwargs: Any) -> Reply:
        response = functions.invoke(
            "inventory-api", inventory_event(method, path, body, **kwargs), lambda_context
        )
        return reply_from(response)

    document = _call("GET", "/inventory/openapi.json", groups=None).body
    return checked(_call, DocumentedAnswers(document))


WEEKDAYS = {d: [{"opens": "09:00", "closes": "20:00"}] for d in ("mon", "tue", "wed", "thu", "fri")}
LOCATIONS: dict[str, dict[str, Any]] = {
    "kyiv-dc": {
        "kind": "warehouse",
        "name": {"en": "Kyiv DC", "uk": "Київ склад"},
        "address": {"line1": "Promyslova 5", "city": "Kyiv", "country": "UA"},
        "timezone": "Europe/Kyiv",
        "opening_hours": WEEKDAYS,
        "priority": 10,
        "carrier_cutoff": "15:00",
    },
    "lviv-dc": {
        "kind": "warehouse",
        "name": {"en": "Lviv DC", "uk": "Львів склад"},
        "address": {"line1": "Zavodska 2", "city": "Lviv", "country": "UA"},
        "timezone": "Europe/Kyiv",
        "opening_hours": WEEKDAYS,
        "priority": 20,
        "carrier_cutoff": "14:00",
    },
    "podil": {
        "kind": "store",
        "name": {"en": "Podil store", "uk": "Магазин на Подолі"},
        "address": {"line1": "Sahaidachnoho 1", "city": "Kyiv", "country": "UA"},
        "timezone": "Europe/Kyiv",
        "opening_hours": {**WEEKDAYS, "sat": [{"opens": "10:00", "closes": "16:00"}]},
        "pickup": True,
        "transfer_lead_time_hours": {"kyiv-dc": 20},
        "handling_minutes": 30,
    },
    "warsaw": {
        "kind": "store",
        "name": {"en": "Warsaw store", "uk": "Варшава, магазин"},
        "address": {"line1": "Marszalkowska 1", "city": "Warsaw", "country": "PL"},
        "timezone": "Europe/Warsaw",
        "opening_hours": WEEKDAYS,
        "pickup": True,
    },
}


@pytest.fixture
def locations(call: Callable[..., Reply]) -> Callable[..., Reply]:
    for location_id, body in LOCATIONS.items():
        reply = call("PUT", f"/admin/inventory/locations/{location_id}", body)
        assert reply.status == 201, reply.body
    return call


@pytest.fixture
def stocked(locations: Callable[..., Reply]) -> Callable[..., Reply]:
    """LAP-0001-BLK: 10 at kyiv-dc, 4 at lviv-dc, 1 at podil."""
    for location_id, on_hand in (("kyiv-dc", 10), ("lviv-dc", 4), ("podil", 1)):
        reply = locations("PUT", f"/admin/inventory/stock/LAP-0001-BLK/{location_id}", {"on_hand": on_hand})
        assert reply.status == 201, reply.body
    return locations


class InventoryStream(TableStream):
    """The inventory table's stream, filtered like the events function's trigger (``reservation`` items)."""

    def __init__(self, stack: SimpleNamespace) -> None:
        super().__init__(stack.dynamodb, stack.table, ("reservation",))


@pytest.fixture
def stream(inventory_stack: SimpleNamespace) -> InventoryStream:
    return InventoryStream(inventory_stack)


@pytest.fixture
def event_log(inventory_stack: SimpleNamespace) -> Callable[[], list[dict[str, Any]]]:
    """What reached the stage's event-log queue (every ``shop.*`` event on the bus)."""
    from infra.resources import physical_name

    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.get_queue_url(QueueName=physical_name("test", "event-log"))["QueueUrl"]

    def read() -> list[dict[str, Any]]:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
            "Messages", []
        )
        return [json.loads(m["Body"]) for m in messages]

    return read
