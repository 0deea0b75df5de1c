"""Oversell: N buyers race for the last K units against the local moto *server* (real HTTP, threads).

Each buyer has its own botocore client and sends checkout's transaction: the reservation entries plus an
order Put. Exactly K must win, stock never goes negative, and every stock change on the wire carries a
condition (seen with botocore ``before-call`` hooks).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from infra.local.moto_server import MotoServer, aws_environment, free_port
from infra.local.provision import provision
from infra.resources import physical_name
from inventory.adapters.dynamo import InventoryStore
from inventory.adapters.records import reservation_transact_items
from inventory.adapters.reservations import Reservations
from inventory.domain.allocation import Fulfilment, ReservationLine
from inventory.domain.models import LocationBody
from shop_kernel.clock import SystemClock

STAGE = "race"
SKU = "LAP-0001-BLK"
BUYERS = 40
UNITS = 5
TRIALS = 3


@pytest.fixture(scope="module")
def moto_server() -> Iterator[MotoServer]:
    port = free_port()
    saved = {name: os.environ.get(name) for name in aws_environment(port)}
    server = MotoServer(port)
    server.start()
    try:
        provision(STAGE)
        yield server
    finally:
        server.stop()
        from infra.local import moto_patches

        moto_patches.uninstall()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _client(server: MotoServer) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=server.url,
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "max_attempts": 1}, max_pool_connections=2),
    )


def _stock_up(server: MotoServer, trial: int) -> tuple[InventoryStore, str]:
    store = InventoryStore(_client(server), physical_name(STAGE, "inventory"))
    warehouse = f"race-dc-{trial}"
    body = LocationBody.model_validate(
        {
            "kind": "warehouse",
            "name": {"en": "Race DC"},
            "address": {"line1": "1 Race St", "city": "Kyiv", "country": "UA"},
            "timezone": "Europe/Kyiv",
            "carrier_cutoff": "15:00",
        }
    )
    store.put_location(warehouse, body, None, datetime.now(UTC))
    sku = f"{SKU}-{trial}"
    store.set_stock(sku, warehouse, UNITS, None, "ops", datetime.now(UTC))
    return store, sku


def _race(
    server: MotoServer, store: InventoryStore, sku: str, trial: int
) -> tuple[int, list[dict[str, Any]]]:
    plan = Reservations(store, SystemClock()).plan_reservation(
        [ReservationLine(sku=sku, quantity=1)], Fulfilment(mode="delivery")
    )
    start = threading.Barrier(BUYERS)
    wins: list[int] = []
    sent: list[dict[str, Any]] = []
    lock = threading.Lock()

    errors: list[BaseException] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        # ``params`` is the serialised request: what DynamoDB receives, not what the caller built.
        with lock:
            sent.extend(json.loads(params["body"])["TransactItems"])

    def buyer(n: int) -> None:
        client = _client(server)
        client.meta.events.register("before-call.dynamodb.TransactWriteItems", record)
        order = f"ord_{trial}_{n}"
        items = reservation_transact_items(
            plan, f"res_{trial}_{n}", order, timedelta(minutes=15), table_name=store.table
        )
        order_put = {
            "Put": {
                "TableName": store.table,
                "Item": {"pk": {"S": f"ORDER#{order}"}, "sk": {"S": "ORDER"}, "type": {"S": "order"}},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        start.wait()
        try:
            client.transact_write_items(TransactItems=[*items, order_put])
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                errors.append(exc)
            return
        except BaseException as exc:
            errors.append(exc)
            return
        with lock:
            wins.append(n)

    threads = [threading.Thread(target=buyer, args=(n,)) for n in range(BUYERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors[:3]
    return len(wins), sent


@pytest.mark.parametrize("trial", range(TRIALS))
def test_exactly_the_last_units_are_sold(moto_server: MotoServer, trial: int) -> None:
    # GIVEN the last UNITS units of a SKU in one warehouse
    store, sku = _stock_up(moto_server, trial)
    # WHEN BUYERS buyers send their reservation + order transaction at the same moment
    wins, sent = _race(moto_server, store, sku, trial)
    # THEN exactly UNITS win, the level is never negative and matches the orders written
    level = store.stock_level(sku, f"race-dc-{trial}")
    assert level is not None
    assert wins == UNITS
    assert (level.on_hand, level.reserved, level.available) == (UNITS, UNITS, 0)
    orders = store._client.query(
        TableName=store.table,
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "RESERVATIONS#active"}},
    )["Items"]
    assert len([o for o in orders if o["reservation_id"]["S"].startswith(f"res_{trial}_")]) == UNITS
    # AND every stock change that went over the wire was conditional on what is available
    stock_updates = [
        i["Update"] for i in sent if "Update" in i and i["Update"]["Key"]["pk"]["S"].startswith("SKU#")
    ]
    assert len(stock_updates) == BUYERS
    assert all(u["ConditionExpression"] == "available >= :q" for u in stock_updates)
