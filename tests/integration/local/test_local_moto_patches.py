"""The transaction patch keeps moto's rollback exact while copying only the items a transaction touches."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from infra.local import moto_patches

pytestmark = pytest.mark.usefixtures("aws")
REGION = "eu-west-1"
TABLE = "shop-local-patch"


@pytest.fixture
def table() -> Iterator[Any]:
    moto_patches.install()
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    yield dynamodb
    moto_patches.uninstall()


def _stream_records(dynamodb: Any) -> int:
    from botocore.config import Config

    arn = dynamodb.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    streams = boto3.client(
        "dynamodbstreams", region_name=REGION, config=Config(account_id_endpoint_mode="disabled")
    )
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    return len(streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"])


def _key(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": "META"}}


def test_a_cancelled_transaction_leaves_no_item_and_no_stream_record(table: Any) -> None:
    # GIVEN an existing item
    table.put_item(TableName=TABLE, Item={**_key("A"), "stock": {"N": "5"}})
    records_before = _stream_records(table)

    # WHEN a transaction puts B, updates A, then fails a condition on C
    with pytest.raises(ClientError) as raised:
        table.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": {**_key("B"), "stock": {"N": "1"}}}},
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": _key("A"),
                        "UpdateExpression": "SET stock = stock - :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": _key("C"),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )

    # THEN nothing changed: no B, A untouched, no stream record
    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert "Item" not in table.get_item(TableName=TABLE, Key=_key("B"))
    assert table.get_item(TableName=TABLE, Key=_key("A"))["Item"]["stock"] == {"N": "5"}
    assert _stream_records(table) == records_before


def test_a_committed_transaction_writes_items_and_stream_records(table: Any) -> None:
    # GIVEN an empty table
    # WHEN
    table.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": TABLE, "Item": _key("A")}},
            {
                "Put": {
                    "TableName": TABLE,
                    "Item": _key("B"),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        ]
    )

    # THEN
    assert "Item" in table.get_item(TableName=TABLE, Key=_key("B"))
    assert _stream_records(table) == 2


def test_transaction_cost_does_not_grow_with_the_table(table: Any) -> None:
    # GIVEN a table with a few thousand items and their stream history
    for start in range(0, 3000, 25):
        table.batch_write_item(
            RequestItems={
                TABLE: [
                    {"PutRequest": {"Item": {**_key(f"item-{i}"), "blob": {"S": "x" * 200}}}}
                    for i in range(start, start + 25)
                ]
            }
        )

    # WHEN forty two-item transactions run (timed in this process's CPU seconds: other processes on a
    # loaded machine do not count, and moto runs in this thread)
    started = time.process_time()
    for i in range(40):
        table.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": _key(f"new-{i}")}},
                {"Put": {"TableName": TABLE, "Item": _key(f"other-{i}")}},
            ]
        )

    # THEN they take well under the seconds a full-table copy per operation costs
    assert time.process_time() - started < 3.0


def _partition_pages(dynamodb: Any, pk: str, forward: bool, **condition: Any) -> list[list[str]]:
    pages: list[list[str]] = []
    start: dict[str, Any] | None = None
    while True:
        kwargs: dict[str, Any] = {"ExclusiveStartKey": start} if start else {}
        answer = dynamodb.query(
            TableName=TABLE,
            KeyConditionExpression="pk = :pk" + condition.get("extra", ""),
            ExpressionAttributeValues={":pk": {"S": pk}, **condition.get("values", {})},
            ScanIndexForward=forward,
            Limit=4,
            **kwargs,
        )
        pages.append([item["sk"]["S"] for item in answer["Items"]])
        start = answer.get("LastEvaluatedKey")
        if not start:
            return pages


def test_a_query_reads_its_partition_with_the_same_items_order_and_pages_as_moto() -> None:
    # GIVEN three partitions of a table, written out of order, queried with moto as it is
    from moto import mock_aws

    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        dynamodb.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk")],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
        )
        for n in (7, 3, 9, 1, 5, 2, 8, 6, 4, 0):
            for pk in ("STOCK#A", "STOCK#B", "OTHER"):
                dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": pk}, "sk": {"S": f"loc-{n}"}})
        asks: list[tuple[str, bool, dict[str, Any]]] = [
            ("STOCK#A", True, {}),
            ("STOCK#B", False, {}),
            ("STOCK#A", True, {"extra": " AND sk > :after", "values": {":after": {"S": "loc-3"}}}),
            ("MISSING", True, {}),
        ]
        unpatched = [_partition_pages(dynamodb, pk, forward, **c) for pk, forward, c in asks]

        # WHEN the same queries run with the patch installed
        moto_patches.install()
        try:
            patched = [_partition_pages(dynamodb, pk, forward, **c) for pk, forward, c in asks]
        finally:
            moto_patches.uninstall()

    # THEN every page is the same, in the same order
    assert patched == unpatched
    assert patched[0] == [
        ["loc-0", "loc-1", "loc-2", "loc-3"],
        ["loc-4", "loc-5", "loc-6", "loc-7"],
        ["loc-8", "loc-9"],
    ]
    assert patched[3] == [[]]


def test_query_cost_does_not_grow_with_the_table(table: Any) -> None:
    # GIVEN a table with a few thousand items in other partitions
    for start in range(0, 3000, 25):
        table.batch_write_item(
            RequestItems={
                TABLE: [{"PutRequest": {"Item": _key(f"item-{i}")}} for i in range(start, start + 25)]
            }
        )

    # WHEN two hundred single-partition queries run (CPU seconds of this process, where moto runs)
    started = time.process_time()
    for i in range(200):
        table.query(
            TableName=TABLE,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"item-{i}"}},
        )

    # THEN they cost far less than sorting the whole table for each one (about 10 s of CPU unpatched)
    assert time.process_time() - started < 2.0


def test_events_delivered_through_the_cached_jsonpath_parser_are_unchanged() -> None:
    import json as jsonlib

    import jsonpath_ng.ext

    # GIVEN a bus with a rule that sends to a queue, and the patch installed
    moto_patches.install()
    try:
        events = boto3.client("events", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        events.create_event_bus(Name="patch-bus")
        queue = sqs.create_queue(QueueName="patch-queue")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(
            Name="all", EventBusName="patch-bus", EventPattern='{"source": [{"prefix": "shop."}]}'
        )
        events.put_targets(Rule="all", EventBusName="patch-bus", Targets=[{"Id": "q", "Arn": arn}])
        # WHEN two different events are put
        for n in (1, 2):
            detail = jsonlib.dumps({"data": {"n": n}})
            entry = {
                "Source": "shop.test",
                "DetailType": f"Thing{n}",
                "Detail": detail,
                "EventBusName": "patch-bus",
            }
            events.put_events(Entries=[entry])
        received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
        # THEN each arrives with its own detail-type and detail (parsed expressions are reused, not results)
        bodies = sorted((jsonlib.loads(m["Body"]) for m in received), key=lambda b: b["detail-type"])
        assert [(b["detail-type"], b["detail"]["data"]["n"]) for b in bodies] == [
            ("Thing1", 1),
            ("Thing2", 2),
        ]
        assert jsonpath_ng.ext.parse("$.detail") is jsonpath_ng.ext.parse("$.detail")
    finally:
        moto_patches.uninstall()
    # AND uninstalling puts the library's own parser back
    assert jsonpath_ng.ext.parse("$.detail") is not jsonpath_ng.ext.parse("$.detail")


def test_the_server_recognises_the_same_services_from_the_listing_taken_once() -> None:
    from moto import backends

    # GIVEN moto's own listing of its service packages
    expected = list(backends.list_of_moto_modules())
    # WHEN the patch is installed  THEN the dispatcher sees the same names, listed once
    moto_patches.install()
    try:
        assert list(backends.list_of_moto_modules()) == expected
        assert "dynamodb" in expected
        assert backends.list_of_moto_modules() is backends.list_of_moto_modules()
    finally:
        moto_patches.uninstall()


def test_sending_to_and_receiving_from_a_deep_queue_costs_what_moves_not_the_queue_depth() -> None:
    from moto import mock_aws

    with mock_aws():
        moto_patches.install()
        try:
            # GIVEN a queue with one delayed message
            sqs = boto3.client("sqs", region_name=REGION)
            queue = sqs.create_queue(QueueName="shop-local-deep")["QueueUrl"]
            sqs.send_message(QueueUrl=queue, MessageBody="later", DelaySeconds=600)

            # WHEN 1,000 messages are sent and 200 received (CPU seconds of this process, where moto runs)
            started = time.process_time()
            for start in range(0, 1000, 10):
                entries = [{"Id": str(n), "MessageBody": f"m{start + n}"} for n in range(10)]
                sqs.send_message_batch(QueueUrl=queue, Entries=entries)
            received = [
                m["Body"]
                for _ in range(20)
                for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
            ]
            spent = time.process_time() - started
            counts = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
        finally:
            moto_patches.uninstall()

    # THEN 200 distinct messages came, not the delayed one, and the counts are exact
    assert len(set(received)) == 200
    assert "later" not in received
    assert counts["ApproximateNumberOfMessages"] == "800"
    assert counts["ApproximateNumberOfMessagesNotVisible"] == "200"
    assert counts["ApproximateNumberOfMessagesDelayed"] == "1"
    # AND in far less than a clock reading per queued message per message (about 27 s of CPU unpatched)
    assert spent < 4.0


def test_sending_a_message_does_not_count_the_queue_and_the_counts_stay_exact(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from moto import mock_aws

    clock_readings: list[int] = []
    reading = moto_patches.unix_time_millis

    def counted() -> float:
        clock_readings.append(1)
        return reading()

    monkeypatch.setattr(moto_patches, "unix_time_millis", counted)
    with mock_aws(), moto_patches.installed():
        # GIVEN a queue holding 50 messages
        sqs = boto3.client("sqs", region_name=REGION)
        queue = sqs.create_queue(QueueName="shop-local-counted")["QueueUrl"]
        for n in range(50):
            sqs.send_message(QueueUrl=queue, MessageBody=f"m{n}")
        # WHEN more are sent, one by one and in a batch
        sqs.send_message(QueueUrl=queue, MessageBody="one more")
        sqs.send_message_batch(
            QueueUrl=queue, Entries=[{"Id": str(n), "MessageBody": f"b{n}"} for n in range(5)]
        )
        # THEN no send counted the queue's messages (each count reads the clock once per call)
        assert clock_readings == []
        # AND the counts, asked for, are exact
        counts = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert counts["ApproximateNumberOfMessages"] == "56"
    assert counts["ApproximateNumberOfMessagesNotVisible"] == "0"
    assert clock_readings


def test_queue_attributes_are_the_same_with_their_names_converted_once() -> None:
    from moto import mock_aws

    def attributes() -> dict[str, str]:
        sqs = boto3.client("sqs", region_name=REGION)
        queue = sqs.create_queue(
            QueueName="shop-local-attributes.fifo",
            Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true", "VisibilityTimeout": "45"},
        )["QueueUrl"]
        sqs.send_message(QueueUrl=queue, MessageBody="once", MessageGroupId="g")
        sqs.send_message(QueueUrl=queue, MessageBody="once", MessageGroupId="g")  # deduplicated by content
        found = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
        return {k: v for k, v in found.items() if k not in ("CreatedTimestamp", "LastModifiedTimestamp")}

    # GIVEN a FIFO queue's attributes as moto answers them unpatched
    with mock_aws():
        unpatched = attributes()
    # WHEN the same queue is made and used with the patches
    with mock_aws():
        moto_patches.install()
        try:
            patched = attributes()
        finally:
            moto_patches.uninstall()
    # THEN every attribute reads the same, content-based deduplication included
    assert patched == unpatched
    assert patched["ApproximateNumberOfMessages"] == "1"


def _deliveries_of_put_events(patched: bool) -> list[tuple[str, dict[str, Any]]]:
    """What three rules' queues receive from one batch of events, with or without the patch."""
    import json as jsonlib

    from moto.events.models import EventsBackend

    moto_patches.install()
    if not patched:
        EventsBackend.put_events = moto_patches._original_put_events  # type: ignore[method-assign]
    try:
        events = boto3.client("events", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        bus = f"put-events-{patched}"
        events.create_event_bus(Name=bus)
        patterns = {
            "stock": {"source": ["shop.inventory"], "detail-type": ["StockLevelChanged"]},
            "kyiv": {"detail": {"data": {"location_id": ["kyiv-dc"]}}},
            "orders": {"source": ["shop.orders"]},  # matches nothing below
            "everything": {"source": [{"prefix": "shop."}]},
        }
        queues: dict[str, str] = {}
        for name, pattern in patterns.items():
            queues[name] = sqs.create_queue(QueueName=f"{bus}-{name}")["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=queues[name], AttributeNames=["QueueArn"])
            events.put_rule(Name=name, EventBusName=bus, EventPattern=jsonlib.dumps(pattern))
            target = {"Id": "q", "Arn": arn["Attributes"]["QueueArn"]}
            events.put_targets(Rule=name, EventBusName=bus, Targets=[target])
        entries = [
            {
                "Source": source,
                "DetailType": kind,
                "Detail": jsonlib.dumps({"data": {"sku": f"SKU-{n}", "location_id": location}}),
                "EventBusName": bus,
                "Resources": [f"arn:sku/{n}"],
            }
            for n, (source, kind, location) in enumerate(
                [
                    ("shop.inventory", "StockLevelChanged", "kyiv-dc"),
                    ("shop.inventory", "StockLevelChanged", "warsaw-dc"),
                    ("shop.catalog", "ProductPublished", "kyiv-dc"),
                ]
            )
        ]
        answer = events.put_events(Entries=entries)
        assert answer["FailedEntryCount"] == 0
        received: list[tuple[str, dict[str, Any]]] = []
        for name, url in queues.items():
            for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
                body = jsonlib.loads(message["Body"])
                del body["id"], body["time"]  # a new id and the clock on every run
                received.append((name, body))
        return sorted(received, key=lambda item: (item[0], item[1]["detail"]["data"]["sku"]))
    finally:
        moto_patches.uninstall()


def test_put_events_delivers_what_moto_delivers_with_each_message_built_once() -> None:
    # GIVEN a bus whose rules match by source and type, by a detail field, by a prefix, and one nothing
    # WHEN the same batch of events is put with moto's own PutEvents and with the patched one
    theirs = _deliveries_of_put_events(patched=False)
    ours = _deliveries_of_put_events(patched=True)
    # THEN every queue receives the same messages
    assert [name for name, _ in ours] == ["everything"] * 3 + ["kyiv"] * 2 + ["stock"] * 2
    assert ours == theirs


def test_handler_method_names_listed_once_are_the_ones_moto_lists() -> None:
    from moto.core import responses as core_responses
    from moto.dynamodb.responses import DynamoHandler
    from moto.sqs.responses import SQSResponse

    # GIVEN the names moto lists for two handler classes
    listed = {cls: core_responses.method_names_from_class(cls) for cls in (DynamoHandler, SQSResponse)}
    # WHEN the patch is installed and each is asked for twice
    moto_patches.install()
    try:
        patched = {cls: core_responses.method_names_from_class(cls) for cls in (DynamoHandler, SQSResponse)}
        again = {cls: core_responses.method_names_from_class(cls) for cls in (DynamoHandler, SQSResponse)}
    finally:
        moto_patches.uninstall()
    # THEN they are the same names (the patched handler's own methods included), and moto's lister is back
    assert patched == again
    assert patched[SQSResponse] == listed[SQSResponse]
    assert set(patched[DynamoHandler]) == set(listed[DynamoHandler])
    assert core_responses.method_names_from_class is moto_patches._original_method_names


def _event(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "version": "0",
        "id": "4c0e1a52-8d7e-4b0e-9d59-0d3f3c1f6e11",
        "detail-type": "StockLevelChanged",
        "source": "shop.inventory",
        "account": "123456789012",
        "time": 1796324400.123456,
        "region": "eu-west-1",
        "resources": ["arn:aws:dynamodb:eu-west-1:123456789012:table/shop-local-inventory"],
        "detail": {
            "metadata": {"version": "1.0"},
            "data": {"sku": "LAP-0001", "available": 20, "ratio": 0.5},
        },
        "ingestion-time": 1796324400.2,
    }
    event.update(changes)
    return {k: v for k, v in event.items() if v is not None}


@pytest.mark.parametrize(
    "event",
    [
        _event(),
        _event(time=1796324400, resources=[], detail={}),
        _event(
            **{"detail-type": "Замовлення створено", "detail": {"name": "Ноутбук «Air»", "tags": ["a", None]}}
        ),
        _event(
            **{"detail-type": 'Quoted "type"'}
        ),  # moto's text substitution breaks on it: moto's own answer
        _event(source="shop\\inventory"),
        _event(region=None),
        _event(**{"detail-type": ""}),
    ],
)
def test_the_default_input_of_a_rule_target_is_what_moto_fills_in(event: dict[str, Any]) -> None:
    from moto.events.utils import EventTemplateParser

    # GIVEN an event as moto hands it to a rule's target without an input transformer
    def fill() -> Any:
        try:
            return EventTemplateParser.parse(None, {}, copy.deepcopy(event))
        except ValueError as exc:  # moto's template text no longer parses as JSON
            return type(exc).__name__

    # WHEN moto fills its default template, and when the patch builds it
    theirs = fill()
    with moto_patches.installed():
        ours = fill()
    # THEN the target gets the same event (or the same failure)
    assert ours == theirs
    escaped = any('"' in str(event.get(k)) or "\\" in str(event.get(k)) for k in ("detail-type", "source"))
    assert isinstance(ours, dict) != escaped  # only a quote or a backslash breaks moto's text
