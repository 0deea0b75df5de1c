"""Event source mappings, locally: pollers that feed DynamoDB stream and SQS batches to the handlers.

``StreamPoller`` does what Lambda's DynamoDB stream mapping does for a ``FunctionSpec.stream`` trigger:
reads every shard from LATEST, drops records whose image ``type`` is not in ``item_types`` (the cloud's
filter criteria), invokes with real-shaped batches and honours ``batchItemFailures`` (retry from the
first failed sequence number, a bounded number of times, then an on-failure record to the DLQ and
move on). ``SqsPoller`` does the same for queues: failed messages are left for the queue's redrive
policy. ``EventLogPrinter`` is the console end of the ``event-log`` queue. Their frequent calls (receive,
delete, read a shard) go through ``infra.local.poller_wire``: plain JSON to the local moto.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3

from infra.local import REGION
from infra.local.functions import LocalFunction
from infra.local.poller_wire import streams_client, wire
from infra.resources import StreamTrigger

log = logging.getLogger("infra.local.pollers")

POLL_INTERVAL_S = 0.2
# A stream that has been quiet for IDLE_POLLS polls is read every IDLE_INTERVAL_S: three streams polled
# five times a second were a sixth of the local moto's calls while the demo seeded (the orders stream read
# empty throughout). The first record after a quiet spell waits at most this long; a busy stream is read
# at POLL_INTERVAL_S again from its first record. Seven streams read twice a second were still 3,700
# GetRecords (a tenth of moto's CPU, and the runner's as much) in a seed of six minutes on a loaded machine.
IDLE_POLLS = 5
IDLE_INTERVAL_S = 1.0
# How long an SQS receive waits for a message (long polling): a message that arrives meanwhile is answered
# at once, so a longer wait costs no latency and an idle queue one receive per SQS_WAIT_S instead of one
# a second (Lambda's queue mappings wait 20 s). Stopping waits for the receive under way: the runner
# stops its pollers together.
SQS_WAIT_S = 5
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024 - 256 * 1024  # Lambda's 6 MB invoke payload, less a message's room
STREAM_MAX_RETRIES = 5  # retries after the first attempt: the cloud mapping's retryAttempts
SHARD_REFRESH_S = 10.0
_RAISED = -1
_PREFIXED_ID = re.compile(r"^[a-z]{2,8}_[0-9A-HJKMNP-TV-Z]{26}$")

Invoke = Callable[[dict[str, Any]], Any]


class Activity:
    """When a poller last had work: the runner's "settled" wait (``LocalStack.await_settled``) reads it. Only
    a poll that found something counts, so an idle poller's empty reads never look like work. A stream
    poller also says when its latest read that found nothing began (``quiet_since``): a record written
    before then would have been read."""

    def __init__(self) -> None:
        self.working = False
        self.last_work = 0.0  # time.monotonic() when its last delivery ended; 0 if it never had one
        self.quiet_since = 0.0  # when the latest read that found nothing began; 0 if none did yet

    def began(self) -> None:
        self.working = True

    def ended(self) -> None:
        self.last_work = time.monotonic()
        self.working = False


def _epoch(value: Any) -> int:
    return int(value.timestamp()) if isinstance(value, datetime) else int(value)


def _iso_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def failed_identifiers(result: Any) -> list[str] | None:
    """The ``itemIdentifier``s a handler reported; ``None`` when it reported none (all succeeded)."""
    if not isinstance(result, dict) or not result.get("batchItemFailures"):
        return None
    return [str(item.get("itemIdentifier")) for item in result["batchItemFailures"]]


# --- DynamoDB streams ----------------------------------------------------------------------------


def to_lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A ``GetRecords`` record -> the record shape Lambda delivers for a DynamoDB stream."""
    data = record["dynamodb"]
    dynamodb: dict[str, Any] = {
        "ApproximateCreationDateTime": _epoch(data["ApproximateCreationDateTime"]),
        "Keys": data["Keys"],
        "SequenceNumber": data["SequenceNumber"],
        "SizeBytes": data["SizeBytes"],
        "StreamViewType": data["StreamViewType"],
    }
    for image in ("NewImage", "OldImage"):
        if image in data:
            dynamodb[image] = data[image]
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": REGION,
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }


def passes_filter(record: dict[str, Any], trigger: StreamTrigger) -> bool:
    """The trigger's filter criteria: the new or the old image has a listed ``type``."""
    if not trigger.item_types:
        return True
    for image in ("NewImage", "OldImage"):
        item_type = (record["dynamodb"].get(image) or {}).get("type", {}).get("S")
        if item_type in trigger.item_types:
            return True
    return False


class StreamPoller:
    """Feeds one table stream to one function, as Lambda's event source mapping does."""

    def __init__(
        self,
        function: LocalFunction,
        stream_arn: str,
        dlq_url: str,
        *,
        max_retries: int = STREAM_MAX_RETRIES,
        interval_s: float = POLL_INTERVAL_S,
    ) -> None:
        if function.spec.stream is None:
            raise ValueError(f"{function.spec.name} has no stream trigger")
        self.function = function
        self.trigger: StreamTrigger = function.spec.stream
        self.stream_arn = stream_arn
        self.dlq_url = dlq_url
        self.max_retries = max_retries
        self.interval_s = interval_s
        self._streams = streams_client()
        self._sqs = boto3.client("sqs", region_name=REGION)
        self._wire = wire()
        self._iterators: dict[str, str | None] = {}
        self._stop = threading.Event()
        self._wake = threading.Event()  # read_now: the next read at once, not after the pause
        self._thread = threading.Thread(target=self._run, name=f"stream-{function.spec.name}", daemon=True)
        self._last_refresh = 0.0
        self.activity = Activity()

    def start(self) -> None:
        # Position at LATEST before returning, so every write after start() is delivered.
        self._refresh_shards(initial=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def read_now(self) -> None:
        """Read the stream at once instead of after the pause (up to ``IDLE_INTERVAL_S`` when it is quiet):
        the seed's settled wait asks it, to learn without waiting that nothing is left in it."""
        self._wake.set()

    def _refresh_shards(self, initial: bool = False) -> None:
        shards = self._streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        for shard in shards:
            if shard["ShardId"] in self._iterators:
                continue
            # Shards that appear later are read from their start, so no record is skipped.
            position = "LATEST" if initial else "TRIM_HORIZON"
            self._iterators[shard["ShardId"]] = self._streams.get_shard_iterator(
                StreamArn=self.stream_arn, ShardId=shard["ShardId"], ShardIteratorType=position
            )["ShardIterator"]
        self._last_refresh = time.monotonic()

    def pause(self, quiet_polls: int) -> float:
        """How long to wait before the next poll, after ``quiet_polls`` polls in a row read nothing."""
        return self.interval_s if quiet_polls < IDLE_POLLS else max(self.interval_s, IDLE_INTERVAL_S)

    def _run(self) -> None:
        quiet = 0
        while True:
            self._wake.wait(self.pause(quiet))
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                quiet = 0 if self.poll_once() else quiet + 1
            except Exception:
                log.exception("stream poller for %s failed; polling again", self.function.spec.name)

    def poll_once(self) -> int:
        """Reads each shard once and delivers what arrived; returns how many records were read."""
        began = time.monotonic()
        if began - self._last_refresh > SHARD_REFRESH_S:
            self._refresh_shards()
        read = 0
        for shard_id, iterator in list(self._iterators.items()):
            if iterator is None:
                continue  # a closed shard
            response = self._wire.get_records(iterator, 1000)
            self._iterators[shard_id] = response.get("NextShardIterator")
            records = [to_lambda_record(r, self.stream_arn) for r in response.get("Records", [])]
            if not records:
                continue
            read += len(records)
            wanted = [r for r in records if passes_filter(r, self.trigger)]
            self.activity.began()
            try:
                for start in range(0, len(wanted), self.trigger.batch_size):
                    self.deliver(shard_id, wanted[start : start + self.trigger.batch_size])
            finally:
                self.activity.ended()
        if not read:
            self.activity.quiet_since = began
        return read

    def deliver(self, shard_id: str, batch: list[dict[str, Any]]) -> None:
        """Invokes until the batch succeeds; retries resume at the first failed record.

        A function error (an exception, not a reported item failure) splits the batch in two, as
        ``bisectBatchOnFunctionError`` does in the cloud, so one poison record cannot hold back the rest.
        """
        attempts = 0
        while batch:
            attempts += 1
            failed_from = self._invoke(batch)
            if failed_from is None:
                return
            if failed_from == _RAISED and len(batch) > 1:
                half = len(batch) // 2
                self.deliver(shard_id, batch[:half])
                self.deliver(shard_id, batch[half:])
                return
            batch = batch[max(failed_from, 0) :]
            if attempts > self.max_retries:
                self._send_to_dlq(shard_id, batch, attempts)
                return
            time.sleep(min(0.05 * 2**attempts, 1.0))

    def _invoke(self, batch: list[dict[str, Any]]) -> int | None:
        """``None`` on success, ``_RAISED`` on a function error, else the index of the first failed record."""
        try:
            result = self.function.invoke({"Records": batch})
        except Exception:
            log.exception("%s raised on a batch of %d", self.function.spec.name, len(batch))
            return _RAISED
        failed = failed_identifiers(result)
        if failed is None:
            return None
        sequence_numbers = [r["dynamodb"]["SequenceNumber"] for r in batch]
        if not all(identifier in sequence_numbers for identifier in failed):
            log.warning(
                "%s reported unknown itemIdentifiers %s: retrying the whole batch",
                self.function.spec.name,
                failed,
            )
            return 0
        first = min(sequence_numbers.index(identifier) for identifier in failed)
        log.warning(
            "%s failed from record %s; retrying from there", self.function.spec.name, sequence_numbers[first]
        )
        return first

    def _send_to_dlq(self, shard_id: str, batch: list[dict[str, Any]], attempts: int) -> None:
        """The on-failure record Lambda sends for a stream batch (it names the records, it does not hold them)."""
        first, last = batch[0]["dynamodb"], batch[-1]["dynamodb"]
        message = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self.function.new_context().invoked_function_arn,
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": attempts,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "version": "1.0",
            "timestamp": _iso_now(),
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": first["SequenceNumber"],
                "endSequenceNumber": last["SequenceNumber"],
                "approximateArrivalOfFirstRecord": first["ApproximateCreationDateTime"],
                "approximateArrivalOfLastRecord": last["ApproximateCreationDateTime"],
                "batchSize": len(batch),
                "streamArn": self.stream_arn,
            },
        }
        self._sqs.send_message(QueueUrl=self.dlq_url, MessageBody=json.dumps(message))
        log.error(
            "%s gave up on %d record(s) from %s after %d attempts: sent to the DLQ",
            self.function.spec.name,
            len(batch),
            first["SequenceNumber"],
            attempts,
        )


# --- SQS -----------------------------------------------------------------------------------------


def _message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    return {
        "stringValue": value.get("StringValue"),
        "binaryValue": value.get("BinaryValue"),
        "stringListValues": value.get("StringListValues", []),
        "binaryListValues": value.get("BinaryListValues", []),
        "dataType": value.get("DataType"),
    }


def to_sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """A ``ReceiveMessage`` message -> the record shape Lambda delivers for SQS."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {
            k: _message_attribute(v) for k, v in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


class SqsPoller:
    """Feeds a queue to a consumer; messages it reports failed stay for the queue's redrive policy."""

    def __init__(
        self,
        name: str,
        queue_url: str,
        queue_arn: str,
        invoke: Invoke,
        *,
        batch_size: int = 10,
        batching_window_s: float = 0.0,
        wait_s: int = SQS_WAIT_S,
        rest_s: float = 0.0,
    ) -> None:
        """``rest_s``: after a batch smaller than ``batch_size``, wait this long before the next receive (a
        reader with no cloud counterpart, the console's event log, that would rather read full batches)."""
        self.name = name
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self.invoke = invoke
        self.batch_size = batch_size
        self.batching_window_s = batching_window_s
        self.wait_s = wait_s
        self.rest_s = rest_s
        self._wire = wire()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"sqs-{name}", daemon=True)
        self.activity = Activity()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                arrived = self.poll_once()
                if not arrived:
                    self._stop.wait(POLL_INTERVAL_S)
                elif arrived < self.batch_size and self.rest_s > 0:
                    self._stop.wait(self.rest_s)
            except Exception:
                log.exception("queue poller %s failed; polling again", self.name)
                self._stop.wait(1.0)

    def _receive(self, most: int, wait_s: int) -> list[dict[str, Any]]:
        return self._wire.receive(self.queue_url, most, wait_s)

    def _gather(self) -> list[dict[str, Any]]:
        """One batch, as the cloud's mapping gathers it: a long-poll receive, then (with a batching
        window) further receives until ``batch_size`` messages, the window or the 6 MB payload is reached."""
        messages = self._receive(self.batch_size, self.wait_s)
        if messages:
            self.activity.began()  # from the first message: a batching window can be longer than the quiet wait
        if not messages or self.batching_window_s <= 0:
            return messages
        deadline = time.monotonic() + self.batching_window_s
        size = sum(len(m["Body"]) for m in messages)
        while len(messages) < self.batch_size and size < MAX_PAYLOAD_BYTES and not self._stop.is_set():
            more = self._receive(self.batch_size - len(messages), 0)
            messages += more
            size += sum(len(m["Body"]) for m in more)
            left = deadline - time.monotonic()
            if left <= 0:
                break
            if not more:
                self._stop.wait(min(POLL_INTERVAL_S, left))
        return messages

    def poll_once(self) -> int:
        """Gathers one batch and delivers it; returns how many messages arrived."""
        try:
            messages = self._gather()
            if not messages:
                return 0
            self._deliver([to_sqs_record(m, self.queue_arn) for m in messages])
        finally:
            if self.activity.working:
                self.activity.ended()
        return len(messages)

    def _deliver(self, records: list[dict[str, Any]]) -> None:
        try:
            failed = set(failed_identifiers(self.invoke({"Records": records})) or [])
        except Exception:
            log.exception(
                "%s raised on a batch of %d: the messages return to the queue", self.name, len(records)
            )
            return
        done = [r for r in records if r["messageId"] not in failed]
        for start in range(0, len(done), 10):
            entries = [
                {"Id": str(i), "ReceiptHandle": r["receiptHandle"]}
                for i, r in enumerate(done[start : start + 10])
            ]
            self._wire.delete(self.queue_url, entries)


def _main_id(data: Any, depth: int = 0) -> str:
    """The first prefixed id in the payload, top level first (``productId`` or ``product.id``)."""
    if not isinstance(data, dict) or depth > 2:
        return ""
    for value in data.values():
        if isinstance(value, str) and _PREFIXED_ID.match(value):
            return value
    for value in data.values():
        if found := _main_id(value, depth + 1):
            return found
    return ""


def summarise_event(body: str) -> str:
    """An EventBridge event as one line: ``shop.catalog ProductPublished prod_01J...``."""
    try:
        event = json.loads(body)
        detail = event.get("detail") or {}
        data = detail.get("data")
        if not isinstance(data, dict):
            data = {}
        parts = [event.get("source", "?"), event.get("detail-type", "?"), _main_id(data)]
        correlation = (detail.get("metadata") or {}).get("correlationId")
        if correlation:
            parts.append(f"correlation={correlation}")
        return " ".join(p for p in parts if p)
    except (ValueError, AttributeError):
        return f"(not an EventBridge event) {body[:120]}"


class EventLogPrinter:
    """The console end of the ``event-log`` queue: one line per domain event."""

    def __init__(self) -> None:
        self.log = logging.getLogger("event-log")
        self.seen = 0

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        for record in event["Records"]:
            self.log.info("%s", summarise_event(record["body"]))
            self.seen += 1
        return {"batchItemFailures": []}


def scheduled_event(rule_arn: str, at: datetime | None = None) -> dict[str, Any]:
    """The event EventBridge Scheduler/rules send to a Lambda target on a schedule."""
    moment = (at or datetime.now(UTC)).replace(microsecond=0)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": rule_arn.split(":")[4],
        "time": moment.isoformat().replace("+00:00", "Z"),
        "region": REGION,
        "resources": [rule_arn],
        "detail": {},
    }


SCHEDULE_RETRIES = 2  # Lambda retries a failed asynchronous invocation twice


class ScheduleTimer:
    """Invokes a function every ``minutes`` like its cloud schedule rule (first run one period after start).

    As Lambda does for an asynchronous invocation, a failed run is retried ``SCHEDULE_RETRIES`` times
    (at once, locally) and then sent to ``dlq_url`` (the function's on-failure destination) when given.
    """

    def __init__(self, invoke: Invoke, rule_arn: str, minutes: float, dlq_url: str | None = None) -> None:
        self.invoke = invoke
        self.rule_arn = rule_arn
        self.period_s = minutes * 60
        self.dlq_url = dlq_url
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"schedule-{rule_arn}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def fire(self) -> Any:
        return self.invoke(scheduled_event(self.rule_arn))

    def run_once(self) -> None:
        """One scheduled run with Lambda's async retries; a run that keeps failing goes to the DLQ."""
        event = scheduled_event(self.rule_arn)
        for attempt in range(1, SCHEDULE_RETRIES + 2):
            try:
                self.invoke(event)
                return
            except Exception as exc:
                error = exc
                log.exception("scheduled run of %s failed (attempt %d)", self.rule_arn, attempt)
        if self.dlq_url is not None:
            self._send_to_dlq(event, error, SCHEDULE_RETRIES + 1)

    def _send_to_dlq(self, event: dict[str, Any], error: Exception, attempts: int) -> None:
        """The on-failure record Lambda sends for an asynchronous invocation that kept failing."""
        message = {
            "version": "1.0",
            "timestamp": _iso_now(),
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                # The rule is named after the function: ``<function>-schedule``.
                "functionArn": self.rule_arn.replace(":events:", ":lambda:")
                .replace(":rule/", ":function:")
                .removesuffix("-schedule"),
                "condition": "RetriesExhausted",
                "approximateInvokeCount": attempts,
            },
            "requestPayload": event,
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "responsePayload": {"errorMessage": str(error), "errorType": type(error).__name__},
        }
        boto3.client("sqs", region_name=REGION).send_message(
            QueueUrl=self.dlq_url, MessageBody=json.dumps(message)
        )

    def _run(self) -> None:
        while not self._stop.wait(self.period_s):
            self.run_once()
