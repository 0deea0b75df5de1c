"""The seed's "settled" wait (``LocalStack._await_settled``): done once no poller delivers, every stream was
read empty after the last delivery ended, and no polled queue holds a message (waiting or received)."""

from __future__ import annotations

import threading
import time
from typing import Any

import boto3
import pytest

from infra.local.pollers import Activity, SqsPoller, StreamPoller
from infra.local.runner import LocalStack, Options
from infra.resources import EVENT_LOG_TARGET


def _poller(kind: type[Any], name: str) -> Any:
    """A poller of ``kind`` with only what the wait reads: its activity and its name."""
    poller = kind.__new__(kind)
    poller.activity = Activity()
    poller.name = name
    poller.function = type("Function", (), {"spec": type("Spec", (), {"name": name})})()
    poller._wake = threading.Event()  # what read_now sets
    return poller


@pytest.fixture
def stack(aws: None) -> LocalStack:
    """A stream poller, the search indexer's queue poller and the event log's, on real (in-process) queues."""
    sqs = boto3.client("sqs", region_name="eu-west-1")
    stack = LocalStack(Options(seed=False))
    stack.pollers = [_poller(StreamPoller, "catalog-events")]
    for name in ("search-indexer", EVENT_LOG_TARGET):
        poller = _poller(SqsPoller, name)
        poller.queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
        stack.pollers.append(poller)
    return stack


def test_settled_waits_for_a_stream_read_after_the_last_delivery(stack: LocalStack) -> None:
    stream, queue, _ = stack.pollers
    # GIVEN a queue poller that just delivered, and a stream last read empty before that
    stream.activity.quiet_since = time.monotonic()
    queue.activity.began()
    queue.activity.ended()
    # WHEN the wait runs while the stream reads empty only a second later
    read_later = threading.Timer(1.0, lambda: setattr(stream.activity, "quiet_since", time.monotonic()))
    read_later.start()
    began = time.monotonic()
    outcome = stack._await_settled(timeout_s=10)
    waited = time.monotonic() - began
    read_later.join()
    # THEN it was settled only after that read, not before
    assert waited >= 0.9
    assert outcome["settled_after_s"] >= 0.9


def test_settled_is_at_once_when_nothing_is_delivering_and_the_queues_are_empty(stack: LocalStack) -> None:
    stream, queue, _ = stack.pollers
    # GIVEN a delivery that just ended and a stream read empty after it
    queue.activity.began()
    queue.activity.ended()
    stream.activity.quiet_since = time.monotonic() + 60  # read empty after everything here
    # WHEN the wait runs
    began = time.monotonic()
    stack._await_settled(timeout_s=10)
    # THEN it does not wait a hand-off time (it waited half a second before it read the queues)
    assert time.monotonic() - began < 0.3


@pytest.mark.parametrize("received", [False, True], ids=["waiting", "received by a poller"])
def test_settled_waits_while_a_polled_queue_holds_a_message(stack: LocalStack, received: bool) -> None:
    stream, queue, event_log = stack.pollers
    sqs = boto3.client("sqs", region_name="eu-west-1")
    stream.activity.quiet_since = time.monotonic() + 60  # read empty after everything here
    # GIVEN a message in the indexer's queue (or taken by its poller's receive, not yet marked working),
    # and one in the event log's, which only prints and is never waited for
    sqs.send_message(QueueUrl=queue.queue_url, MessageBody="{}")
    sqs.send_message(QueueUrl=event_log.queue_url, MessageBody="{}")
    if received:
        handle = sqs.receive_message(QueueUrl=queue.queue_url)["Messages"][0]["ReceiptHandle"]
    else:
        handle = None

    def delivered() -> None:
        receipt = handle or sqs.receive_message(QueueUrl=queue.queue_url)["Messages"][0]["ReceiptHandle"]
        sqs.delete_message(QueueUrl=queue.queue_url, ReceiptHandle=receipt)

    # WHEN the wait runs and the message is delivered (deleted) a second later
    later = threading.Timer(1.0, delivered)
    later.start()
    began = time.monotonic()
    stack._await_settled(timeout_s=10)
    waited = time.monotonic() - began
    later.join()
    # THEN it was settled only once the queue was empty
    assert 0.9 <= waited < 3


def test_a_poller_still_delivering_is_named_when_the_wait_gives_up(stack: LocalStack) -> None:
    stream, queue, _ = stack.pollers
    stream.activity.quiet_since = time.monotonic() + 60
    queue.activity.began()  # never ends
    with pytest.raises(RuntimeError, match="search-indexer"):
        stack._await_settled(timeout_s=0.5)
