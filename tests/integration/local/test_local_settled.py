"""The seed's "settled" wait (``LocalStack._await_settled``): done once no poller delivers, every stream was
read empty after the last delivery ended, and the queues' receives have had the hand-off time."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from infra.local.pollers import Activity, SqsPoller, StreamPoller
from infra.local.runner import SETTLED_HANDOFF_S, LocalStack, Options


def _poller(kind: type[Any], name: str) -> Any:
    """A poller of ``kind`` with only what the wait reads: its activity and its name."""
    poller = kind.__new__(kind)
    poller.activity = Activity()
    poller.name = name
    poller.function = type("Function", (), {"spec": type("Spec", (), {"name": name})})()
    return poller


@pytest.fixture
def stack() -> LocalStack:
    stack = LocalStack(Options(seed=False))
    stack.pollers = [_poller(StreamPoller, "catalog-events"), _poller(SqsPoller, "search-indexer")]
    return stack


def test_settled_waits_for_a_stream_read_after_the_last_delivery(stack: LocalStack) -> None:
    stream, queue = stack.pollers
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


def test_settled_gives_the_queues_their_hand_off_time_and_not_more(stack: LocalStack) -> None:
    stream, queue = stack.pollers
    # GIVEN a delivery that just ended and a stream read empty after it
    queue.activity.began()
    queue.activity.ended()
    stream.activity.quiet_since = time.monotonic() + 0.01
    # WHEN the wait runs
    began = time.monotonic()
    stack._await_settled(timeout_s=10)
    waited = time.monotonic() - began
    # THEN it took the hand-off time (a receive under way hands its message on), well under the old 2 s
    assert SETTLED_HANDOFF_S - 0.05 <= waited < SETTLED_HANDOFF_S + 0.5


def test_a_poller_still_delivering_is_named_when_the_wait_gives_up(stack: LocalStack) -> None:
    stream, queue = stack.pollers
    stream.activity.quiet_since = time.monotonic() + 60
    queue.activity.began()  # never ends
    with pytest.raises(RuntimeError, match="search-indexer"):
        stack._await_settled(timeout_s=0.5)
