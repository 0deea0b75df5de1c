"""A table stream's batch turned into events, published ten to a ``PutEvents`` call.

A stream handler that published each record's events on their own made one ``PutEvents`` call per record:
a seed's burst of 840 stock levels was 840 calls where 84 carry the same events. ``publish_stream_batch``
works out every record's events first, in stream order, then hands them all to the publisher at once
(``EventBridgePublisher`` puts ten entries per call).

Failures keep the stream's semantics. Lambda resumes a stream from the lowest sequence number a function
reports (``ReportBatchItemFailures``), so reporting one record is reporting it and everything after it.
The first record whose events cannot be made (it raised) or whose events the bus refused is the one
reported. Records before it are done; records after it come again with the retry. Some of their events
may already be on the bus, since publishing does not stop at a refused entry. The retry publishes them
with the same ids (producers derive ids from the record), so consumers drop the duplicates, as they do
for any replay.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from shop_kernel.events import DomainEvent, EventPublisher, PublishFailed
from shop_kernel.observability import logger, record_published

StreamRecord = dict[str, Any]


def _sequence(record: StreamRecord) -> str:
    return str((record.get("dynamodb") or {}).get("SequenceNumber", ""))


def publish_stream_batch(
    records: Sequence[StreamRecord],
    events_of: Callable[[StreamRecord], Iterable[DomainEvent]],
    publisher: EventPublisher,
) -> dict[str, list[dict[str, str]]]:
    """Publishes the events ``events_of`` makes from each record (raw stream records, in stream order) and
    answers the partial batch response: the first failed record, or none."""
    made: list[tuple[int, DomainEvent]] = []
    failed_at: int | None = None
    for position, record in enumerate(records):
        try:
            made.extend((position, event) for event in events_of(record))
        except Exception:
            logger.exception("stream record failed", extra={"sequence_number": _sequence(record)})
            failed_at = position
            break
    events = [event for _, event in made]
    try:
        if events:
            publisher.publish(events)
    except PublishFailed as refused:
        refused_ids = {id(event) for event in refused.failed}
        first_refused = next(position for position, event in made if id(event) in refused_ids)
        logger.warning(
            "the bus refused events of a stream batch",
            extra={"refused": len(refused.failed), "sequence_number": _sequence(records[first_refused])},
        )
        failed_at = first_refused if failed_at is None else min(failed_at, first_refused)
        record_published([event for event in events if id(event) not in refused_ids])
    else:
        record_published(events)
    if failed_at is None:
        return {"batchItemFailures": []}
    return {"batchItemFailures": [{"itemIdentifier": _sequence(records[failed_at])}]}


__all__ = ["publish_stream_batch"]
