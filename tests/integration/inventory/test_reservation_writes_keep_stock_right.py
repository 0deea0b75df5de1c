"""The reservation entries of ``inventory.domain.reservations``, sent as they are to DynamoDB (moto): stock
moves between available, reserved and on_hand exactly as each step says, every step runs once, and a
step whose condition fails writes nothing.

Only the inventory table, created from its spec; one table for the module and new SKUs and reservation
ids per test, so the whole file runs in about a second (it also drives the mutation pass,
``bench/mutation.py``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from infra.local import ENDPOINT_VARIABLES
from inventory.adapters.records import (
    ACTIVE_RESERVATIONS,
    RETENTION_S,
    commit_transact_items,
    expired_tombstone_items,
    expiry_sort_key,
    extend_reservation_item,
    release_transact_items,
    reservation_from_item,
    reservation_key,
    reservation_transact_items,
    stock_key,
)
from inventory.domain.allocation import Allocation, Fulfilment, ReservationPlan
from inventory.domain.reservations import Reservation, ReservationStatus
from shop_kernel.clock import isoformat
from shop_kernel.dynamo import deserialize, serialize
from tests.conftest import REGION

PLANNED = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
LATER = PLANNED + timedelta(minutes=5)
TTL = timedelta(minutes=45)
_ids = itertools.count(1)


@pytest.fixture(scope="module")
def table() -> Iterator[tuple[Any, str]]:
    from moto import mock_aws

    from infra.local.provision import _table_definition
    from infra.resources import table as table_spec

    with pytest.MonkeyPatch.context() as patch:
        for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
            patch.setenv(name, value)
        for variable in ENDPOINT_VARIABLES:
            patch.delenv(variable, raising=False)
        with mock_aws():
            client = boto3.client("dynamodb", region_name=REGION)
            definition = _table_definition("test", table_spec("inventory"))
            client.create_table(**definition)
            yield client, definition["TableName"]


def _stock(db: tuple[Any, str], sku: str, location: str, on_hand: int, reserved: int = 0) -> None:
    client, name = db
    item = {
        **{k: v["S"] for k, v in stock_key(sku, location).items()},
        "sku": sku,
        "location_id": location,
        "on_hand": on_hand,
        "reserved": reserved,
        "available": on_hand - reserved,
        "version": 1,
    }
    client.put_item(TableName=name, Item=serialize(item))


def _level(db: tuple[Any, str], sku: str, location: str) -> tuple[int, int, int]:
    """(available, reserved, on_hand)"""
    client, name = db
    item = deserialize(
        client.get_item(TableName=name, Key=stock_key(sku, location), ConsistentRead=True)["Item"]
    )
    return item["available"], item["reserved"], item["on_hand"]


def _stock_item(db: tuple[Any, str], sku: str, location: str) -> dict[str, Any]:
    client, name = db
    return deserialize(
        client.get_item(TableName=name, Key=stock_key(sku, location), ConsistentRead=True)["Item"]
    )


def _reservation(db: tuple[Any, str], reservation_id: str) -> dict[str, Any] | None:
    client, name = db
    item = client.get_item(TableName=name, Key=reservation_key(reservation_id), ConsistentRead=True).get(
        "Item"
    )
    return deserialize(item) if item else None


def _send(db: tuple[Any, str], entries: list[dict[str, Any]]) -> bool:
    """True when written, False when a condition cancelled the transaction."""
    try:
        db[0].transact_write_items(TransactItems=entries)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "TransactionCanceledException":
            return False
        raise
    return True


def _plan(*allocations: tuple[str, str, int]) -> ReservationPlan:
    return ReservationPlan(
        fulfilment=Fulfilment(mode="delivery"),
        allocations=tuple(
            Allocation(line=i, sku=sku, location_id=loc, quantity=qty)
            for i, (sku, loc, qty) in enumerate(allocations)
        ),
        planned_at=PLANNED,
    )


def _reserved(db: tuple[Any, str], *allocations: tuple[str, str, int]) -> Reservation:
    reservation_id = f"res_{next(_ids):04d}"
    entries = reservation_transact_items(_plan(*allocations), reservation_id, "ord_1", TTL, table_name=db[1])
    assert _send(db, entries)
    item = _reservation(db, reservation_id)
    assert item is not None
    return reservation_from_item(item)


def _sku() -> str:
    return f"SKU-{next(_ids):04d}"


def test_reserving_moves_units_from_available_to_reserved_and_records_the_hold(
    table: tuple[Any, str],
) -> None:
    # GIVEN 5 of A at dc-1 and 4 of A at dc-2
    a = _sku()
    _stock(table, a, "dc-1", 5)
    _stock(table, a, "dc-2", 4)
    # WHEN 1 + 2 units of A at dc-1 (two order lines) and 3 at dc-2 are reserved for ord_1
    reservation = _reserved(table, (a, "dc-1", 1), (a, "dc-1", 2), (a, "dc-2", 3))
    # THEN the lines on one location are added up, and stock moved accordingly (on_hand unchanged)
    assert _level(table, a, "dc-1") == (2, 3, 5)
    assert _level(table, a, "dc-2") == (1, 3, 4)
    assert _stock_item(table, a, "dc-1")["updated_at"] == isoformat(PLANNED)
    # AND the reservation is active, for ord_1, until the plan's time + TTL, findable by the sweeper
    item = _reservation(table, reservation.id)
    assert item is not None
    expires = int((PLANNED + TTL).timestamp())
    assert (item["status"], item["order_id"], item["expires_at"]) == ("active", "ord_1", expires)
    assert (item["type"], item["reservation_id"]) == ("reservation", reservation.id)
    assert (reservation.status, reservation.expires_at) == (ReservationStatus.ACTIVE, expires)
    assert item["created_at"] == isoformat(PLANNED)
    assert (item["gsi1pk"], item["gsi1sk"]) == (ACTIVE_RESERVATIONS, expiry_sort_key(expires, reservation.id))
    assert sorted((ln["location_id"], ln["quantity"]) for ln in item["lines"]) == [("dc-1", 3), ("dc-2", 3)]
    assert [a["quantity"] for a in item["allocations"]] == [1, 2, 3]
    assert item["fulfilment"] == {"mode": "delivery", "location_id": None}


def test_reserving_more_than_available_writes_nothing(table: tuple[Any, str]) -> None:
    # GIVEN 2 of A and 5 of B available
    a, b = _sku(), _sku()
    _stock(table, a, "dc-1", 3, reserved=1)
    _stock(table, b, "dc-1", 5)
    # WHEN 3 of A and 1 of B are reserved together
    entries = reservation_transact_items(
        _plan((a, "dc-1", 3), (b, "dc-1", 1)), "res_short", "ord_1", TTL, table_name=table[1]
    )
    # THEN the transaction is refused: no unit of either moved, no reservation
    assert _send(table, entries) is False
    assert _level(table, a, "dc-1") == (2, 1, 3)
    assert _level(table, b, "dc-1") == (5, 0, 5)
    assert _reservation(table, "res_short") is None
    # AND exactly the available quantity can be reserved
    exact = reservation_transact_items(_plan((a, "dc-1", 2)), "res_exact", "ord_1", TTL, table_name=table[1])
    assert _send(table, exact) is True
    assert _level(table, a, "dc-1") == (0, 3, 3)


def test_a_refused_stock_step_answers_with_the_row_it_lost_on(table: tuple[Any, str]) -> None:
    # GIVEN 1 of A available and 5 of B
    a, b = _sku(), _sku()
    _stock(table, a, "dc-1", 1)
    _stock(table, b, "dc-1", 5)
    # WHEN 1 of B and 2 of A are reserved together
    entries = reservation_transact_items(
        _plan((b, "dc-1", 1), (a, "dc-1", 2)), "res_lost", "ord_1", TTL, table_name=table[1]
    )
    with pytest.raises(ClientError) as refused:
        table[0].transact_write_items(TransactItems=entries)
    # THEN the cancellation names A's row as it was (how the caller learns which line lost), B's passed
    reasons = refused.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "ConditionalCheckFailed", "None"]
    old = deserialize(reasons[1]["Item"])
    assert (old["sku"], old["available"]) == (a, 1)


def test_a_reservation_id_is_used_once(table: tuple[Any, str]) -> None:
    # GIVEN a reservation written
    a = _sku()
    _stock(table, a, "dc-1", 5)
    reservation = _reserved(table, (a, "dc-1", 1))
    # WHEN the same id is sent again (a replayed checkout)
    again = reservation_transact_items(
        _plan((a, "dc-1", 1)), reservation.id, "ord_1", TTL, table_name=table[1]
    )
    # THEN it is refused and the units are taken once
    assert _send(table, again) is False
    assert _level(table, a, "dc-1") == (4, 1, 5)


@pytest.mark.parametrize("status", ["released", "expired"])
def test_releasing_gives_the_units_back_once(table: tuple[Any, str], status: str) -> None:
    # GIVEN 2 units reserved out of 5
    a = _sku()
    _stock(table, a, "dc-1", 5)
    reservation = _reserved(table, (a, "dc-1", 2))
    # WHEN the reservation is released (cancelled order) or expired (unpaid), twice
    # (an expiry lands after the hold's deadline; a release at any time)
    at = PLANNED + TTL if status == "expired" else LATER
    first = release_transact_items(reservation, at, table_name=table[1], status=ReservationStatus(status))
    assert _send(table, first) is True
    assert _send(table, first) is False
    # THEN the units are available again, once; the reservation is finished, kept 90 days, off the sweeper's index
    assert _level(table, a, "dc-1") == (5, 0, 5)
    item = _reservation(table, reservation.id)
    assert item is not None
    assert (item["status"], item["finished_at"]) == (status, isoformat(at))
    assert item["expires_at"] == int(at.timestamp()) + RETENTION_S
    assert "gsi1pk" not in item
    assert "gsi1sk" not in item
    assert _stock_item(table, a, "dc-1")["updated_at"] == isoformat(at)


def test_a_release_never_takes_reserved_below_zero(table: tuple[Any, str]) -> None:
    # GIVEN a reservation of 2 whose stock row shows only 1 reserved (changed by hand)
    a = _sku()
    _stock(table, a, "dc-1", 5)
    reservation = _reserved(table, (a, "dc-1", 2))
    _stock(table, a, "dc-1", 5, reserved=1)
    # WHEN it is released
    # THEN nothing is written: the reservation stays active
    assert _send(table, release_transact_items(reservation, LATER, table_name=table[1])) is False
    assert _level(table, a, "dc-1") == (4, 1, 5)
    item = _reservation(table, reservation.id)
    assert item is not None
    assert item["status"] == "active"


def test_committing_takes_the_units_out_of_on_hand_once(table: tuple[Any, str]) -> None:
    # GIVEN 2 units reserved out of 5
    a = _sku()
    _stock(table, a, "dc-1", 5)
    reservation = _reserved(table, (a, "dc-1", 2))
    # WHEN the order ships (commit), twice
    entries = commit_transact_items(reservation, LATER, table_name=table[1])
    assert _send(table, entries) is True
    assert _send(table, entries) is False
    # THEN on_hand and reserved drop by 2, available is unchanged, the level's version moves on
    assert _level(table, a, "dc-1") == (3, 0, 3)
    assert _stock_item(table, a, "dc-1")["version"] == 2
    item = _reservation(table, reservation.id)
    assert item is not None
    assert item["status"] == "committed"
    # AND a commit is refused when on_hand no longer covers it (counted down by hand meanwhile)
    b = _sku()
    _stock(table, b, "dc-1", 5)
    short = _reserved(table, (b, "dc-1", 2))
    table[0].update_item(
        TableName=table[1],
        Key=stock_key(b, "dc-1"),
        UpdateExpression="SET on_hand = :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )
    assert _send(table, commit_transact_items(short, LATER, table_name=table[1])) is False


def test_a_hold_deleted_by_ttl_is_recorded_as_expired_and_released_once(table: tuple[Any, str]) -> None:
    # GIVEN an active reservation of 2 that DynamoDB's TTL deleted
    a = _sku()
    _stock(table, a, "dc-1", 5)
    reservation = _reserved(table, (a, "dc-1", 2))
    table[0].delete_item(TableName=table[1], Key=reservation_key(reservation.id))
    # WHEN the stream record is handled, twice
    entries = expired_tombstone_items(reservation, LATER, table_name=table[1])
    assert _send(table, entries) is True
    assert _send(table, entries) is False
    # THEN the units come back once and a tombstone says what happened
    assert _level(table, a, "dc-1") == (5, 0, 5)
    item = _reservation(table, reservation.id)
    assert item is not None
    assert (item["status"], item["order_id"], item["finished_at"]) == ("expired", "ord_1", isoformat(LATER))
    assert (item["type"], item["reservation_id"]) == ("reservation", reservation.id)
    assert item["created_at"] == reservation.created_at
    assert item["expires_at"] == int(LATER.timestamp()) + RETENTION_S
    assert item["lines"] == [{"sku": a, "location_id": "dc-1", "quantity": 2}]
    assert "gsi1pk" not in item


def test_only_an_active_hold_can_be_extended(table: tuple[Any, str]) -> None:
    # GIVEN an active reservation and a released one
    a = _sku()
    _stock(table, a, "dc-1", 5)
    active, released = _reserved(table, (a, "dc-1", 1)), _reserved(table, (a, "dc-1", 1))
    assert _send(table, release_transact_items(released, LATER, table_name=table[1]))
    until = int((LATER + timedelta(days=7)).timestamp())
    # WHEN both are extended by a week
    assert _send(table, [extend_reservation_item(active.id, until, table_name=table[1])]) is True
    assert _send(table, [extend_reservation_item(released.id, until, table_name=table[1])]) is False
    # THEN the active one expires later and the sweeper finds it under its new time
    item = _reservation(table, active.id)
    assert item is not None
    assert (item["expires_at"], item["gsi1sk"]) == (until, expiry_sort_key(until, active.id))
