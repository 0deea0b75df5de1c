"""``put_each_if``: a burst of conditional puts in transactions of up to 100, each kept or dropped on its
own condition, against a moto table (and a client that answers what moto cannot stage: contention)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from shop_kernel.dynamo import put_each_if
from tests.unit.kernel.conftest import recording_table

TABLE = "conditional-puts"


@pytest.fixture
def client(aws_credentials: None) -> Iterator[Any]:
    with recording_table(TABLE, range_key=False) as dynamodb:
        yield dynamodb


def _put(n: int, sequence: int) -> dict[str, Any]:
    """Level ``n`` at ``sequence``, stored only over an older one."""
    return {
        "TableName": TABLE,
        "Item": {"pk": {"S": f"LEVEL#{n:03d}"}, "sequence": {"N": str(sequence)}},
        "ConditionExpression": "attribute_not_exists(pk) OR #s < :s",
        "ExpressionAttributeNames": {"#s": "sequence"},
        "ExpressionAttributeValues": {":s": {"N": str(sequence)}},
    }


def _sequences(client: Any) -> dict[str, int]:
    items = client.scan(TableName=TABLE)["Items"]
    return {i["pk"]["S"]: int(i["sequence"]["N"]) for i in items}


def test_a_burst_is_written_in_transactions_of_a_hundred(client: Any) -> None:
    # GIVEN 150 levels nobody holds yet
    # WHEN they are put at once
    written = put_each_if(client, [_put(n, 5) for n in range(150)])
    # THEN every one is written, in two requests
    assert written == [True] * 150
    assert client.sent == ["TransactWriteItems", "TransactWriteItems"]
    assert len(_sequences(client)) == 150


def test_a_put_whose_condition_fails_is_dropped_and_the_others_of_its_transaction_are_written(
    client: Any,
) -> None:
    # GIVEN levels 0-9 stored at sequence 5
    put_each_if(client, [_put(n, 5) for n in range(10)])
    client.sent.clear()
    # WHEN a burst brings 3 and 7 older (4) and the rest newer (6), plus two new levels
    burst = [_put(n, 4 if n in (3, 7) else 6) for n in range(12)]
    written = put_each_if(client, burst)
    # THEN the older two are refused and kept as they were; everything else is written: one cancelled
    # transaction, then the ten others in one more
    assert written == [n not in (3, 7) for n in range(12)]
    assert client.sent == ["TransactWriteItems", "TransactWriteItems"]
    stored = _sequences(client)
    assert stored["LEVEL#003"] == stored["LEVEL#007"] == 5
    assert {k: v for k, v in stored.items() if k not in ("LEVEL#003", "LEVEL#007")} == {
        f"LEVEL#{n:03d}": 6 for n in range(12) if n not in (3, 7)
    }


def test_one_put_is_a_put_item_and_its_failed_condition_is_false(client: Any) -> None:
    assert put_each_if(client, [_put(1, 5)]) == [True]
    assert put_each_if(client, [_put(1, 5)]) == [False]
    assert put_each_if(client, []) == []
    assert client.sent == ["PutItem", "PutItem"]


def test_when_a_cancellation_leaves_one_put_it_goes_on_its_own(client: Any) -> None:
    put_each_if(client, [_put(1, 5)])
    client.sent.clear()
    assert put_each_if(client, [_put(1, 4), _put(2, 4)]) == [False, True]
    assert client.sent == ["TransactWriteItems", "PutItem"]


class _Contended:
    """A client whose transactions are always cancelled by another transaction holding an item (what
    DynamoDB answers under contention), and whose single puts succeed."""

    def __init__(self, reasons: list[dict[str, Any]]) -> None:
        self.reasons = reasons
        self.puts: list[str] = []

    def transact_write_items(self, TransactItems: list[dict[str, Any]]) -> None:  # noqa: N803 - the SDK's name
        raise ClientError(
            {
                "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
                "CancellationReasons": self.reasons,
            },
            "TransactWriteItems",
        )

    def put_item(self, **request: Any) -> None:
        self.puts.append(request["Item"]["pk"]["S"])


def test_contention_sends_each_put_on_its_own() -> None:
    client = _Contended([{"Code": "None"}, {"Code": "TransactionConflict"}, {"Code": "None"}])
    assert put_each_if(client, [_put(n, 1) for n in range(3)]) == [True, True, True]
    assert client.puts == ["LEVEL#000", "LEVEL#001", "LEVEL#002"]


def test_a_cancellation_for_another_reason_is_raised() -> None:
    client = _Contended([{"Code": "None"}, {"Code": "ValidationError", "Message": "item too large"}])
    with pytest.raises(ClientError):
        put_each_if(client, [_put(n, 1) for n in range(2)])
    assert client.puts == []
