"""Stream and queue pollers behave like Lambda's event source mappings, on in-process moto."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import boto3
import pytest

from infra.local.functions import LocalFunction
from infra.local.pollers import EventLogPrinter, SqsPoller, StreamPoller, summarise_event
from infra.local.provision import provision
from infra.resources import EVENT_LOG_TARGET, FunctionSpec, StreamTrigger
from tests.support import wait_until

pytestmark = pytest.mark.usefixtures("aws")
REGION = "eu-west-1"
CONSUMER = FunctionSpec(
    name="catalog-events",
    context="catalog",
    handler="unused.handler",
    description="test consumer",
    stream=StreamTrigger(table="catalog", batch_size=10, item_types=("product",)),
)


class FakeConsumer:
    """Records each batch; fails the records whose sku is listed, a given number of times."""

    def __init__(self, fail_skus: tuple[str, ...] = (), times: int = 1, crash: bool = False) -> None:
        self.batches: list[list[dict[str, Any]]] = []
        self.fail_skus = fail_skus
        self.failures_left = times
        self.crash = crash

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        records = event["Records"]
        self.batches.append(records)
        if self.failures_left <= 0:
            return {"batchItemFailures": []}
        self.failures_left -= 1
        if self.crash:
            raise RuntimeError("consumer crashed")
        failed = [
            {"itemIdentifier": r["dynamodb"]["SequenceNumber"]}
            for r in records
            if (r["dynamodb"].get("NewImage") or {}).get("sku", {}).get("S") in self.fail_skus
        ]
        return {"batchItemFailures": failed}

    def skus(self, batch: int) -> list[str]:
        return [r["dynamodb"]["NewImage"]["sku"]["S"] for r in self.batches[batch]]


@pytest.fixture
def stage() -> dict[str, Any]:
    return provision("local")


def _poller(stage: dict[str, Any], consumer: FakeConsumer, max_retries: int = 2) -> StreamPoller:
    function = LocalFunction("local", CONSUMER, handler=consumer)
    poller = StreamPoller(
        function,
        stage["tables"]["catalog"]["stream_arn"],
        stage["dlqs"]["catalog-events"]["url"],
        max_retries=max_retries,
    )
    poller.start()
    poller.stop()  # the thread is not needed: the tests drive poll_once() themselves
    return poller


def _put(sku: str, item_type: str = "product") -> None:
    boto3.client("dynamodb", region_name=REGION).put_item(
        TableName="shop-local-catalog",
        Item={
            "pk": {"S": f"PRODUCT#{sku}"},
            "sk": {"S": "META"},
            "type": {"S": item_type},
            "sku": {"S": sku},
        },
    )


def _dlq_messages(stage: dict[str, Any]) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name=REGION)
    messages = sqs.receive_message(QueueUrl=stage["dlqs"]["catalog-events"]["url"], MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


def test_records_arrive_in_the_shape_lambda_delivers(stage: dict[str, Any]) -> None:
    # GIVEN a poller positioned at the end of the stream
    consumer = FakeConsumer()
    poller = _poller(stage, consumer)
    _put("A")

    # WHEN it polls
    poller.poll_once()

    # THEN the record has every field of a Lambda DynamoDB stream record
    record = consumer.batches[0][0]
    assert set(record) == {
        "eventID",
        "eventName",
        "eventVersion",
        "eventSource",
        "awsRegion",
        "dynamodb",
        "eventSourceARN",
    }
    assert record["eventName"] == "INSERT"
    assert record["eventSource"] == "aws:dynamodb"
    assert record["awsRegion"] == REGION
    assert record["eventSourceARN"] == stage["tables"]["catalog"]["stream_arn"]
    data = record["dynamodb"]
    assert isinstance(data["ApproximateCreationDateTime"], int)
    assert data["Keys"] == {"pk": {"S": "PRODUCT#A"}, "sk": {"S": "META"}}
    assert data["NewImage"]["sku"] == {"S": "A"}
    assert data["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert set(data) >= {"SequenceNumber", "SizeBytes"}


def test_only_writes_after_start_are_delivered(stage: dict[str, Any]) -> None:
    # GIVEN a write before the poller starts
    _put("before")
    consumer = FakeConsumer()
    poller = _poller(stage, consumer)

    # WHEN another write follows
    _put("after")
    poller.poll_once()

    # THEN the stream was read from LATEST
    assert consumer.skus(0) == ["after"]


def test_a_partial_failure_retries_from_the_first_failed_record(stage: dict[str, Any]) -> None:
    # GIVEN a consumer that fails record B once
    consumer = FakeConsumer(fail_skus=("B",), times=1)
    poller = _poller(stage, consumer)
    for sku in ("A", "B", "C"):
        _put(sku)

    # WHEN the batch is delivered
    poller.poll_once()

    # THEN B and what follows it are retried, A is not, and nothing reaches the DLQ
    assert [consumer.skus(i) for i in range(len(consumer.batches))] == [["A", "B", "C"], ["B", "C"]]
    assert _dlq_messages(stage) == []


def test_a_record_that_keeps_failing_goes_to_the_dlq_after_bounded_retries(stage: dict[str, Any]) -> None:
    # GIVEN a consumer that always fails record B
    consumer = FakeConsumer(fail_skus=("B",), times=100)
    poller = _poller(stage, consumer, max_retries=2)
    for sku in ("A", "B", "C"):
        _put(sku)

    # WHEN the batch is delivered
    poller.poll_once()

    # THEN one attempt plus two retries, then an on-failure record naming B..C
    assert len(consumer.batches) == 3
    failed_b = consumer.batches[1][0]["dynamodb"]["SequenceNumber"]
    [message] = _dlq_messages(stage)
    info = message["DDBStreamBatchInfo"]
    assert message["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert message["requestContext"]["approximateInvokeCount"] == 3
    assert info["startSequenceNumber"] == failed_b
    assert info["batchSize"] == 2
    assert info["streamArn"] == stage["tables"]["catalog"]["stream_arn"]

    # AND the poller moves on to new records
    _put("D")
    poller.poll_once()
    assert consumer.skus(-1) == ["D"]


def test_a_consumer_that_raises_gets_the_batch_again_split_in_two(stage: dict[str, Any]) -> None:
    # GIVEN a consumer that crashes once
    consumer = FakeConsumer(times=1, crash=True)
    poller = _poller(stage, consumer)
    for sku in ("A", "B", "C", "D"):
        _put(sku)

    # WHEN
    poller.poll_once()

    # THEN the batch is bisected, as bisectBatchOnFunctionError does, and every record is delivered
    batches = [consumer.skus(i) for i in range(len(consumer.batches))]
    assert batches == [["A", "B", "C", "D"], ["A", "B"], ["C", "D"]]


def test_a_single_record_that_always_crashes_the_consumer_ends_in_the_dlq(stage: dict[str, Any]) -> None:
    # GIVEN a consumer that always crashes
    consumer = FakeConsumer(times=100, crash=True)
    poller = _poller(stage, consumer, max_retries=1)
    _put("A")

    # WHEN
    poller.poll_once()

    # THEN
    assert len(consumer.batches) == 2
    [message] = _dlq_messages(stage)
    assert message["DDBStreamBatchInfo"]["batchSize"] == 1


def test_records_of_other_item_types_are_filtered_out_but_removals_of_products_are_not(
    stage: dict[str, Any],
) -> None:
    # GIVEN a product and a category written, then the product deleted
    consumer = FakeConsumer()
    poller = _poller(stage, consumer)
    _put("P")
    _put("C", item_type="category")
    boto3.client("dynamodb", region_name=REGION).delete_item(
        TableName="shop-local-catalog", Key={"pk": {"S": "PRODUCT#P"}, "sk": {"S": "META"}}
    )

    # WHEN
    poller.poll_once()

    # THEN only the product's insert and removal reach the function
    [batch] = consumer.batches
    assert [r["eventName"] for r in batch] == ["INSERT", "REMOVE"]
    assert batch[1]["dynamodb"]["OldImage"]["type"] == {"S": "product"}
    assert "NewImage" not in batch[1]["dynamodb"]


def test_the_poller_thread_stops_cleanly(stage: dict[str, Any]) -> None:
    # GIVEN a running poller
    function = LocalFunction("local", CONSUMER, handler=FakeConsumer())
    poller = StreamPoller(
        function, stage["tables"]["catalog"]["stream_arn"], stage["dlqs"]["catalog-events"]["url"]
    )
    poller.start()

    # WHEN it is stopped
    poller.stop()

    # THEN its thread has ended
    assert not poller._thread.is_alive()


def test_the_queue_poller_deletes_what_succeeded_and_leaves_what_failed(stage: dict[str, Any]) -> None:
    # GIVEN three messages and a consumer that fails the second
    sqs = boto3.client("sqs", region_name=REGION)
    queue = sqs.create_queue(QueueName="shop-local-test", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    for body in ("one", "two", "three"):
        sqs.send_message(QueueUrl=queue, MessageBody=body)
    seen: list[dict[str, Any]] = []

    def consumer(event: dict[str, Any]) -> dict[str, Any]:
        seen.extend(event["Records"])
        return {
            "batchItemFailures": [
                {"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] == "two"
            ]
        }

    poller = SqsPoller("test", queue, arn, consumer, wait_s=0)

    # WHEN it polls once
    poller.poll_once()

    # THEN the records look like Lambda's SQS records and only the failed message is left
    assert {r["body"] for r in seen} == {"one", "two", "three"}
    assert seen[0]["eventSource"] == "aws:sqs"
    assert seen[0]["eventSourceARN"] == arn
    assert set(seen[0]) >= {
        "messageId",
        "receiptHandle",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "awsRegion",
    }
    left = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    assert [m["Body"] for m in left] == ["two"]


def _queue_with_messages(name: str, count: int) -> tuple[Any, str, str]:
    """An SQS client, and the URL and ARN of queue ``name`` holding ``count`` messages ``m0``, ``m1``..."""
    sqs = boto3.client("sqs", region_name=REGION)
    queue = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    for start in range(0, count, 10):
        entries = [{"Id": str(n), "MessageBody": f"m{n}"} for n in range(start, min(start + 10, count))]
        sqs.send_message_batch(QueueUrl=queue, Entries=entries)
    return sqs, queue, arn


def test_with_a_batching_window_the_queue_poller_gathers_one_large_batch(stage: dict[str, Any]) -> None:
    # GIVEN 45 messages (more than one receive returns) and a consumer that fails two of them
    sqs, queue, arn = _queue_with_messages("shop-local-batched", 45)
    batches: list[list[str]] = []

    def consumer(event: dict[str, Any]) -> dict[str, Any]:
        batches.append([r["body"] for r in event["Records"]])
        failing = [r for r in event["Records"] if r["body"] in ("m3", "m40")]
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in failing]}

    poller = SqsPoller("test", queue, arn, consumer, batch_size=30, batching_window_s=1, wait_s=0)

    # WHEN it polls twice
    poller.poll_once()
    poller.poll_once()

    # THEN it invoked with batches of 30 and 15, and only the two failed messages are left (in flight)
    assert [len(b) for b in batches] == [30, 15]
    assert sorted(body for batch in batches for body in batch) == sorted(f"m{n}" for n in range(45))
    counts = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert counts["ApproximateNumberOfMessages"] == "0"
    assert counts["ApproximateNumberOfMessagesNotVisible"] == "2"


def test_a_resting_poller_reads_full_batches_at_once_and_rests_after_a_short_one(
    stage: dict[str, Any],
) -> None:
    # GIVEN 23 messages waiting, and a poller that rests 0.6 s after a batch smaller than ten
    sqs, queue, arn = _queue_with_messages("shop-local-resting", 23)
    batches: list[tuple[float, int]] = []
    poller = SqsPoller(
        "test",
        queue,
        arn,
        lambda e: batches.append((time.monotonic(), len(e["Records"]))),
        wait_s=0,
        rest_s=0.6,
    )
    # WHEN it runs until the short batch, then one more message arrives
    poller.start()
    try:
        wait_until(lambda: sum(n for _, n in batches) == 23, "the 23 waiting messages", 10)
        sqs.send_message(QueueUrl=queue, MessageBody="late")
        wait_until(lambda: sum(n for _, n in batches) == 24, "the late message", 10)
    finally:
        poller.stop()
    # THEN the full batches came one after the other, and the late message only after the rest
    assert [n for _, n in batches] == [10, 10, 3, 1]
    assert batches[3][0] - batches[2][0] >= 0.6


def test_a_batching_window_ends_a_batch_that_does_not_fill(stage: dict[str, Any]) -> None:
    # GIVEN three messages and a poller that would take 100 within a 0.3 s window
    sqs = boto3.client("sqs", region_name=REGION)
    queue = sqs.create_queue(QueueName="shop-local-window")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    for body in ("one", "two", "three"):
        sqs.send_message(QueueUrl=queue, MessageBody=body)
    batches: list[int] = []
    poller = SqsPoller(
        "test",
        queue,
        arn,
        lambda e: batches.append(len(e["Records"])),
        batch_size=100,
        batching_window_s=0.3,
        wait_s=0,
    )

    # WHEN it polls once
    started = time.monotonic()
    poller.poll_once()

    # THEN the three are delivered together once the window has passed
    assert batches == [3]
    assert 0.3 <= time.monotonic() - started < 5


def test_the_event_log_prints_one_line_per_domain_event(
    stage: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN a product published on the bus
    boto3.client("events", region_name=REGION).put_events(
        Entries=[
            {
                "EventBusName": "shop-local",
                "Source": "shop.catalog",
                "DetailType": "ProductPublished",
                "Detail": json.dumps(
                    {
                        "metadata": {
                            "version": "1.0",
                            "eventId": "e1",
                            "occurredAt": "x",
                            "correlationId": "c-1",
                        },
                        "data": {"productId": "prod_01JD5Q8Y3R4T6V8X0Z2B4D6F8H", "slug": "red-scarf"},
                    }
                ),
            }
        ]
    )
    queue = stage["queues"][EVENT_LOG_TARGET]
    printer = EventLogPrinter()
    poller = SqsPoller(EVENT_LOG_TARGET, queue["url"], queue["arn"], printer, wait_s=1)

    # WHEN the event log is polled
    with caplog.at_level(logging.INFO, logger="event-log"):
        poller.poll_once()

    # THEN a developer sees it in one line
    assert "shop.catalog ProductPublished prod_01JD5Q8Y3R4T6V8X0Z2B4D6F8H correlation=c-1" in caplog.messages
    assert printer.seen == 1


def test_the_summary_finds_an_id_nested_in_a_snapshot() -> None:
    # GIVEN an event whose data holds a product snapshot
    body = json.dumps(
        {
            "source": "shop.catalog",
            "detail-type": "ProductPublished",
            "detail": {
                "metadata": {},
                "data": {"version": 2, "product": {"id": "prod_01JD5Q8Y3R4T6V8X0Z2B4D6F8H"}},
            },
        }
    )

    # WHEN / THEN
    assert summarise_event(body) == "shop.catalog ProductPublished prod_01JD5Q8Y3R4T6V8X0Z2B4D6F8H"


def test_a_body_that_is_not_an_event_is_still_printed() -> None:
    # GIVEN / WHEN / THEN
    assert summarise_event("plain text").startswith("(not an EventBridge event) plain text")


def test_a_quiet_stream_is_polled_less_often_and_a_busy_one_at_once_again() -> None:
    from types import SimpleNamespace

    from infra.local.pollers import IDLE_INTERVAL_S, IDLE_POLLS, POLL_INTERVAL_S, StreamPoller

    poller = SimpleNamespace(interval_s=POLL_INTERVAL_S)
    # GIVEN a stream that read nothing for fewer polls than the idle count, then for that many
    # THEN it is polled at the usual interval, then at the idle one; a poll that reads resets the count
    assert StreamPoller.pause(poller, IDLE_POLLS - 1) == POLL_INTERVAL_S  # type: ignore[arg-type]
    assert StreamPoller.pause(poller, IDLE_POLLS) == IDLE_INTERVAL_S > POLL_INTERVAL_S  # type: ignore[arg-type]
    assert StreamPoller.pause(poller, 0) == POLL_INTERVAL_S  # type: ignore[arg-type]


def test_a_stream_poller_records_when_it_last_had_work_and_not_its_empty_reads(stage: dict[str, Any]) -> None:
    # GIVEN a stream poller that read nothing yet
    consumer = FakeConsumer()
    poller = _poller(stage, consumer)
    poller.poll_once()
    assert poller.activity.last_work == 0.0

    # WHEN a record arrives and it delivers it
    _put("A")
    before = time.monotonic()
    poller.poll_once()

    # THEN its last work is that delivery, and it is not working any more
    assert consumer.batches
    assert poller.activity.last_work >= before
    assert not poller.activity.working
    # AND the read that found the record is not a quiet one; an empty read afterwards leaves the work's time
    # alone and says when it began
    assert poller.activity.quiet_since < before
    last = poller.activity.last_work
    quiet_read = time.monotonic()
    poller.poll_once()
    assert poller.activity.last_work == last
    assert poller.activity.quiet_since >= quiet_read


def test_a_queue_poller_is_working_while_it_delivers(stage: dict[str, Any]) -> None:
    # GIVEN a message and a consumer that looks at the poller while it runs
    sqs = boto3.client("sqs", region_name=REGION)
    queue = sqs.create_queue(QueueName="shop-local-activity")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.send_message(QueueUrl=queue, MessageBody="one")
    during: list[bool] = []
    poller = SqsPoller("test", queue, arn, lambda event: during.append(poller.activity.working), wait_s=0)

    # WHEN it polls twice (the second finds nothing)
    poller.poll_once()
    last = poller.activity.last_work
    poller.poll_once()

    # THEN it was working during the delivery only, and the empty poll changed nothing
    assert during == [True]
    assert not poller.activity.working
    assert last > 0.0
    assert poller.activity.last_work == last


def test_a_quiet_stream_reads_at_once_when_asked_instead_of_after_its_idle_pause(
    stage: dict[str, Any],
) -> None:
    from infra.local.pollers import IDLE_INTERVAL_S, IDLE_POLLS, POLL_INTERVAL_S

    function = LocalFunction("local", CONSUMER, handler=FakeConsumer())
    poller = StreamPoller(
        function, stage["tables"]["catalog"]["stream_arn"], stage["dlqs"]["catalog-events"]["url"]
    )
    poller.start()
    try:
        # GIVEN a stream poller that has been quiet long enough to read only once a second
        time.sleep(IDLE_POLLS * POLL_INTERVAL_S + 0.5)

        def next_read_after(moment: float) -> float:
            wait_until(lambda: poller.activity.quiet_since > moment, "an empty read", timeout_s=5)
            return poller.activity.quiet_since

        last = next_read_after(time.monotonic())
        # WHEN it is asked to read just after a read
        asked = time.monotonic()
        poller.read_now()
        # THEN it reads at once, not an idle pause later
        assert next_read_after(last) - asked < IDLE_INTERVAL_S / 2
    finally:
        poller.stop()
