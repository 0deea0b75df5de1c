"""Index queries read a look-up of the asked hash value, with moto's own answers on any workload.

moto 5.2 answers a ``Query`` on a global or local secondary index by sorting and filtering every item of the
table; ``moto_patches`` hands it only the items whose index hash attribute has the asked value, from a look-up
kept current by every write. These tests run a random workload of puts, updates (setting and removing the
indexed attributes), deletes, batch writes and cancelled transactions, and after each step compare every page
of a few index queries with what moto answers when it scans."""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto.dynamodb.models.table import Table

from infra.local import moto_patches

pytestmark = pytest.mark.usefixtures("aws")
REGION = "eu-west-1"
_tables = itertools.count()

PKS = st.sampled_from(["p1", "p2", "p3"])
SKS = st.sampled_from(["a", "b", "c"])
GS = st.sampled_from(["x", "y"])
RS = st.sampled_from(["1", "2", "10", "2.0"])  # numbers: "2" and "2.0" are the same N

OPS = st.one_of(
    st.tuples(st.just("put"), PKS, SKS, st.none() | GS, st.none() | RS, st.booleans()),
    st.tuples(st.just("set_g"), PKS, SKS, GS),
    st.tuples(st.just("remove_g"), PKS, SKS),
    st.tuples(st.just("set_r"), PKS, SKS, RS),
    st.tuples(st.just("update_if_absent"), PKS, SKS, GS),
    st.tuples(st.just("delete"), PKS, SKS),
    st.tuples(
        st.just("batch"),
        st.lists(st.tuples(PKS, SKS, GS, st.booleans()), max_size=3, unique_by=lambda t: t[:2]),
    ),
    st.tuples(st.just("cancelled_transaction"), PKS, SKS, GS),
)
ASKS = st.tuples(
    st.sampled_from(["by_g_r", "by_g", "local_r"]),
    st.sampled_from(["x", "y", "p1", "p2"]),
    st.booleans(),
    st.sampled_from([None, 1, 2]),
    st.sampled_from([None, ("<=", "2"), ("between", "1", "2"), (">", "1")]),
    st.booleans(),
)


def _create(dynamodb: Any) -> str:
    name = f"lookup-{next(_tables)}"
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "g", "AttributeType": "S"},
            {"AttributeName": "r", "AttributeType": "N"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_g_r",
                "KeySchema": [
                    {"AttributeName": "g", "KeyType": "HASH"},
                    {"AttributeName": "r", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": "by_g",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
        ],
        LocalSecondaryIndexes=[
            {
                "IndexName": "local_r",
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "r", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["flag"]},
            }
        ],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    return name


def _apply(dynamodb: Any, table: str, op: tuple[Any, ...]) -> None:
    kind, rest = op[0], op[1:]
    try:
        if kind == "put":
            pk, sk, g, r, flag = rest
            item: dict[str, Any] = {"pk": {"S": pk}, "sk": {"S": sk}, "flag": {"BOOL": flag}}
            item.update({"g": {"S": g}} if g else {})
            item.update({"r": {"N": r}} if r else {})
            dynamodb.put_item(TableName=table, Item=item)
        elif kind in ("set_g", "remove_g", "set_r", "update_if_absent"):
            key = {"pk": {"S": rest[0]}, "sk": {"S": rest[1]}}
            expression, values, condition = {
                "set_g": ("SET g = :v", {":v": {"S": rest[-1]}}, {}),
                "remove_g": ("REMOVE g", {}, {}),
                "set_r": ("SET r = :v", {":v": {"N": rest[-1]}}, {}),
                "update_if_absent": (
                    "SET g = :v",
                    {":v": {"S": rest[-1]}},
                    {"ConditionExpression": "attribute_not_exists(pk)"},
                ),
            }[kind]
            dynamodb.update_item(
                TableName=table,
                Key=key,
                UpdateExpression=expression,
                **({"ExpressionAttributeValues": values} if values else {}),
                **condition,
            )
        elif kind == "delete":
            dynamodb.delete_item(TableName=table, Key={"pk": {"S": rest[0]}, "sk": {"S": rest[1]}})
        elif kind == "batch" and rest[0]:
            requests = [
                {"PutRequest": {"Item": {"pk": {"S": pk}, "sk": {"S": sk}, "g": {"S": g}}}}
                if put
                else {"DeleteRequest": {"Key": {"pk": {"S": pk}, "sk": {"S": sk}}}}
                for pk, sk, g, put in rest[0]
            ]
            dynamodb.batch_write_item(RequestItems={table: requests})
        elif kind == "cancelled_transaction":
            pk, sk, g = rest
            dynamodb.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": table,
                            "Key": {"pk": {"S": pk}, "sk": {"S": sk}},
                            "UpdateExpression": "SET g = :v",
                            "ExpressionAttributeValues": {":v": {"S": g}},
                        }
                    },
                    {
                        "ConditionCheck": {
                            "TableName": table,
                            "Key": {"pk": {"S": "never"}, "sk": {"S": "there"}},
                            "ConditionExpression": "attribute_exists(pk)",
                        }
                    },
                ]
            )
    except ClientError as error:
        if error.response["Error"]["Code"] not in (
            "ConditionalCheckFailedException",
            "TransactionCanceledException",
        ):
            raise  # only the refusals the workload provokes are expected


def _pages(dynamodb: Any, table: str, ask: tuple[Any, ...]) -> list[dict[str, Any]]:
    index, value, forward, limit, range_condition, filtered = ask
    hash_attr = "pk" if index == "local_r" else "g"
    condition = f"{hash_attr} = :h"
    values: dict[str, Any] = {":h": {"S": value}}
    if range_condition and index != "by_g":
        operator, *bounds = range_condition
        names = [f":r{i}" for i in range(len(bounds))]
        condition += " AND r BETWEEN :r0 AND :r1" if operator == "between" else f" AND r {operator} :r0"
        values.update({name: {"N": bound} for name, bound in zip(names, bounds, strict=True)})
    kwargs: dict[str, Any] = {"Limit": limit} if limit else {}
    if filtered and index != "by_g":
        kwargs.update(FilterExpression="flag = :t")
        values[":t"] = {"BOOL": True}
    answers: list[dict[str, Any]] = []
    while True:
        answer = dynamodb.query(
            TableName=table,
            IndexName=index,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
            ScanIndexForward=forward,
            **kwargs,
        )
        answer.pop("ResponseMetadata", None)
        answers.append(answer)
        if "LastEvaluatedKey" not in answer or len(answers) > 20:
            return answers
        kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def _scanned(dynamodb: Any, table: str, ask: tuple[Any, ...]) -> list[dict[str, Any]]:
    """The same pages as moto answers them by scanning (the patch's read side off, its write hooks on)."""
    patched = Table.query, Table.all_items
    Table.query, Table.all_items = moto_patches._original_query, moto_patches._original_all_items  # type: ignore[method-assign]
    try:
        return _pages(dynamodb, table, ask)
    finally:
        Table.query, Table.all_items = patched  # type: ignore[method-assign]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(OPS, min_size=1, max_size=14), asks=st.lists(ASKS, min_size=1, max_size=3))
def test_index_queries_answer_what_moto_answers_after_every_write(
    dynamodb: Any, ops: list[tuple[Any, ...]], asks: list[tuple[Any, ...]]
) -> None:
    # GIVEN a table with two global indexes and a local one, queried once so its look-ups exist
    table = _create(dynamodb)
    for ask in asks:
        _pages(dynamodb, table, ask)
    for op in ops:
        # WHEN a write changes the items or their indexed attributes (or is refused, or rolled back)
        _apply(dynamodb, table, op)
        # THEN every page of every index query is what moto answers scanning the table
        for ask in asks:
            assert _pages(dynamodb, table, ask) == _scanned(dynamodb, table, ask), (op, ask)
    dynamodb.delete_table(TableName=table)


def test_index_query_cost_does_not_grow_with_the_table(dynamodb: Any) -> None:
    # GIVEN two tables whose 300 queried index hash values hold one item each: one table holds nothing else,
    # the other 2,700 items more under other values
    def filled(extra: int) -> str:
        table = _create(dynamodb)
        items = [(f"p{i}", f"g{i}") for i in range(300)] + [(f"x{i}", f"other{i}") for i in range(extra)]
        for start in range(0, len(items), 25):
            dynamodb.batch_write_item(
                RequestItems={
                    table: [
                        {"PutRequest": {"Item": {"pk": {"S": pk}, "sk": {"S": "a"}, "g": {"S": g}}}}
                        for pk, g in items[start : start + 25]
                    ]
                }
            )
        return table

    small, large = filled(0), filled(2700)

    def cost(table: str) -> float:
        """CPU seconds of this process (where moto runs) for 100 index queries."""
        started = time.process_time()
        for i in range(100):
            found = dynamodb.query(
                TableName=table,
                IndexName="by_g",
                KeyConditionExpression="g = :g",
                ExpressionAttributeValues={":g": {"S": f"g{i}"}},
            )
            assert found["Count"] == 1
        return time.process_time() - started

    # WHEN the same queries run on each, alternately (the least of three: a busy machine only adds)
    costs: dict[str, list[float]] = {small: [], large: []}
    for _ in range(3):
        for table in (small, large):
            costs[table].append(cost(table))

    # THEN ten times the items cost about the same, not ten times as much (sorting the whole table would)
    assert min(costs[large]) < 1.5 * min(costs[small])
    for table in (small, large):
        dynamodb.delete_table(TableName=table)
