"""A stream batch's events go out together; the stream resumes from the first record that failed."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from shop_kernel.events import DomainEvent, InMemoryPublisher, PublishFailed, make_event
from shop_kernel.streams import publish_stream_batch


class Seen(BaseModel):
    n: int


def _record(n: int) -> dict[str, Any]:
    return {
        "eventName": "MODIFY",
        "dynamodb": {"SequenceNumber": f"{n:05d}", "NewImage": {"n": {"N": str(n)}}},
    }


def _events(record: dict[str, Any]) -> list[DomainEvent]:
    n = int(record["dynamodb"]["NewImage"]["n"]["N"])
    if n == 0:
        return []
    return [
        make_event("shop.test", "Seen", Seen(n=n), version="1.0", occurred_at="2026-12-03T07:00:00.000Z")
        for _ in range(n)
    ]


class CountingBus(InMemoryPublisher):
    def __init__(self, refuse: int | None = None) -> None:
        super().__init__()
        self.calls = 0
        self.refuse = refuse

    def publish(self, events: Any) -> None:
        self.calls += 1
        refused = [e for e in events if e.data["n"] == self.refuse]
        super().publish([e for e in events if e not in refused])
        if refused:
            raise PublishFailed(refused)


def test_every_records_events_go_to_the_publisher_in_one_call_in_stream_order() -> None:
    # GIVEN three records making 2, 0 and 3 events
    bus = CountingBus()
    records = [_record(2), _record(0), _record(3)]
    # WHEN the batch is published
    answer = publish_stream_batch(records, _events, bus)
    # THEN one call carries all five, in order, and no record failed
    assert answer == {"batchItemFailures": []}
    assert bus.calls == 1
    assert [e.data["n"] for e in bus.published] == [2, 2, 3, 3, 3]


def test_a_batch_without_events_calls_nothing() -> None:
    bus = CountingBus()
    assert publish_stream_batch([_record(0)], _events, bus) == {"batchItemFailures": []}
    assert bus.calls == 0


@pytest.mark.parametrize(("refuse", "reported"), [(3, "00003"), (1, "00001")])
def test_the_first_record_whose_events_the_bus_refused_is_reported(refuse: int, reported: str) -> None:
    # GIVEN records 1, 3 and 2, and a bus that refuses the events of one of them
    bus = CountingBus(refuse=refuse)
    # WHEN the batch is published
    answer = publish_stream_batch([_record(1), _record(3), _record(2)], _events, bus)
    # THEN the stream resumes from that record (those before it are done)
    assert answer == {"batchItemFailures": [{"itemIdentifier": reported}]}


def test_a_record_that_raises_stops_the_batch_there_and_what_came_before_is_published() -> None:
    # GIVEN a record whose events cannot be made between two good ones
    def events(record: dict[str, Any]) -> list[DomainEvent]:
        if record["dynamodb"]["SequenceNumber"] == "00007":
            raise RuntimeError("a release failed")
        return _events(record)

    bus = CountingBus()
    # WHEN the batch is published
    answer = publish_stream_batch([_record(1), _record(7), _record(2)], events, bus)
    # THEN the first record's events are out, the stream resumes from the failed one, the third waits
    assert answer == {"batchItemFailures": [{"itemIdentifier": "00007"}]}
    assert [e.data["n"] for e in bus.published] == [1]


def test_a_refusal_before_a_raising_record_is_the_one_reported() -> None:
    # GIVEN record 1's events refused and record 4 raising later in the batch
    def events(record: dict[str, Any]) -> list[DomainEvent]:
        if record["dynamodb"]["SequenceNumber"] == "00004":
            raise RuntimeError("boom")
        return _events(record)

    answer = publish_stream_batch([_record(2), _record(1), _record(4)], events, CountingBus(refuse=1))
    # THEN the stream resumes from the earlier of the two
    assert answer == {"batchItemFailures": [{"itemIdentifier": "00001"}]}
