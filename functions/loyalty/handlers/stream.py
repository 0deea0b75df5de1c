"""Loyalty table stream (ledger entries and notices only) -> events on the bus, exactly when committed.

A new entry becomes ``PointsEarned``, ``PointsSpent``, ``PointsExpired`` and/or ``TierChanged``; a new
expiry notice ``PointsExpiring``. Entries are written by the earning consumer, the scheduled job, the API
and checkout's transaction (a spend) alike, so every one is published, whoever wrote it. Event ids come
from the entry, so a replayed record publishes the same ids. Each record is handled alone.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty import wiring
from loyalty.adapters.records import entry_from_item
from loyalty.domain.events import events_for_entry, points_expiring
from shop_kernel.events import DomainEvent, EventBridgePublisher
from shop_kernel.observability import get_tracer, logger, metrics, record_published

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
tracer = get_tracer()


def events_for_record(record: DynamoDBRecord) -> list[DomainEvent]:
    change = record.raw_event.get("dynamodb") or {}
    image = change.get("NewImage")
    if record.raw_event.get("eventName") != "INSERT" or not image:
        return []
    kind = image.get("type", {}).get("S")
    if kind == "entry":
        return events_for_entry(entry_from_item(image))
    if kind == "notice":
        return [
            points_expiring(
                image["member_id"]["S"],
                int(image["points"]["N"]),
                image["expires_at"]["S"],
                image["recorded_at"]["S"],
            )
        ]
    return []


def publish_change(record: DynamoDBRecord) -> None:
    events = events_for_record(record)
    if events:
        c = wiring.container
        EventBridgePublisher(c.events_client(), c.settings().event_bus_name).publish(events)
        record_published(events)
        logger.info("published", extra={"detail_types": [e.detail_type for e in events]})


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return process_partial_response(
        event=event, record_handler=publish_change, processor=processor, context=context
    )
