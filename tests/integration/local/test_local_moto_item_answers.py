"""moto's answers to DynamoDB item operations are the same JSON-dumped as through its generic serializer.

``moto_patches`` answers Query, Scan, GetItem, BatchGetItem and the single and batch writes with
``json.dumps`` of what moto built; here every attribute type, consumed capacity, return values and pages go
through both, on two tables given the same writes, and the client must parse the same answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto.dynamodb.responses import DynamoHandler

from infra.local import moto_patches

pytestmark = pytest.mark.usefixtures("aws")
REGION = "eu-west-1"
TABLES = ("answers-fast", "answers-moto")

NUMBERS = st.integers(-(10**6), 10**6).map(str) | st.sampled_from(
    ["0.5", "-1.25", "1E+3", "123456789012345678"]
)
TEXT = st.text(min_size=1, max_size=8)
BLOBS = st.binary(min_size=1, max_size=8)
SCALARS = st.one_of(
    TEXT.map(lambda v: {"S": v}),
    NUMBERS.map(lambda v: {"N": v}),
    BLOBS.map(lambda v: {"B": v}),
    st.booleans().map(lambda v: {"BOOL": v}),
    st.just({"NULL": True}),
    st.lists(TEXT, min_size=1, max_size=3, unique=True).map(lambda v: {"SS": v}),
    st.lists(st.integers(0, 99).map(str), min_size=1, max_size=3, unique=True).map(lambda v: {"NS": v}),
    st.lists(BLOBS, min_size=1, max_size=3, unique=True).map(lambda v: {"BS": v}),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3).map(lambda v: {"L": v})
        | st.dictionaries(st.sampled_from("abc"), inner, max_size=3).map(lambda v: {"M": v})
    ),
    max_leaves=6,
)
ITEMS = st.lists(
    st.tuples(
        st.sampled_from(["p1", "p2"]),
        st.sampled_from(["a", "b", "c"]),
        st.dictionaries(st.sampled_from(["x", "y", "z"]), VALUES, max_size=3),
    ),
    min_size=1,
    max_size=5,
)


def _create(dynamodb: Any) -> None:
    for table in TABLES:
        if table in dynamodb.list_tables()["TableNames"]:
            dynamodb.delete_table(TableName=table)  # left by a failed example that hypothesis shrinks
        dynamodb.create_table(
            TableName=table,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk")],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
        )


def _both(call: Callable[[str], dict[str, Any]]) -> tuple[str, str]:
    """``call`` on the first table with the patched answers, then on the second through moto's serializer
    (as the client parsed them, the second table's name read as the first's)."""
    fast = call(TABLES[0])
    patched = DynamoHandler.serialized
    DynamoHandler.serialized = moto_patches._original_dynamo_serialized  # type: ignore[method-assign]
    try:
        slow = call(TABLES[1])
    finally:
        DynamoHandler.serialized = patched  # type: ignore[method-assign]
    for answer in (fast, slow):
        answer.pop("ResponseMetadata", None)
    return repr(fast), repr(slow).replace(TABLES[1], TABLES[0])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=ITEMS)
def test_item_operations_answer_what_moto_serializes(
    dynamodb: Any, items: list[tuple[str, str, dict[str, Any]]]
) -> None:
    _create(dynamodb)
    capacity: dict[str, Any] = {"ReturnConsumedCapacity": "TOTAL"}
    for pk, sk, attributes in items:
        key = {"pk": {"S": pk}, "sk": {"S": sk}}
        # GIVEN items of any attribute types, some written over (the answers hold the old item)
        writes: list[Callable[[str], dict[str, Any]]] = [
            lambda t: dynamodb.put_item(
                TableName=t,
                Item={**key, **attributes},  # noqa: B023
                ReturnValues="ALL_OLD",
                **capacity,
            ),
            lambda t: dynamodb.get_item(TableName=t, Key=key, **capacity),  # noqa: B023
            lambda t: dynamodb.update_item(
                TableName=t,
                Key=key,  # noqa: B023
                UpdateExpression="SET touched = :t",
                ExpressionAttributeValues={":t": {"N": "1"}},
                ReturnValues="ALL_NEW",
            ),
        ]
        for write in writes:
            fast, slow = _both(write)
            # THEN each answer is the same through both
            assert fast == slow
    # WHEN the items are read back every way, and one is deleted
    keys = [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk, _ in items]
    asks: list[Callable[[str], dict[str, Any]]] = [
        lambda t: dynamodb.query(
            TableName=t,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "p1"}},
            Limit=2,
        ),
        lambda t: dynamodb.query(
            TableName=t,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "p2"}},
            ScanIndexForward=False,
            ProjectionExpression="sk, x",
            **capacity,
        ),
        lambda t: dynamodb.scan(TableName=t, **capacity),
        lambda t: dynamodb.batch_get_item(
            RequestItems={t: {"Keys": list({repr(k): k for k in keys}.values())[:3]}}
        ),
        lambda t: dynamodb.transact_get_items(TransactItems=[{"Get": {"TableName": t, "Key": keys[0]}}]),
        lambda t: dynamodb.delete_item(TableName=t, Key=keys[0], ReturnValues="ALL_OLD", **capacity),
        lambda t: dynamodb.batch_write_item(
            RequestItems={t: [{"DeleteRequest": {"Key": keys[-1]}}]}, **capacity
        ),
    ]
    for ask in asks:
        fast, slow = _both(ask)
        # THEN the client parses the same answers
        assert fast == slow
    for table in TABLES:
        dynamodb.delete_table(TableName=table)
