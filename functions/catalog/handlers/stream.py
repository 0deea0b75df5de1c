"""Catalog table stream -> ProductPublished / ProductUpdated / ProductArchived / PriceChanged on the bus.

The trigger only delivers ``type = product`` items (the current product). Each record is handled on
its own: a record whose events the bus refuses is reported as a batch item failure and retried, the
others are not. Event ids are derived from (product, version, event type), so a retried or replayed
record publishes the same ids and consumers drop the duplicates.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from catalog import wiring
from catalog.adapters.dynamo_repository import change_state
from catalog.domain.events import events_for_change
from shop_kernel.dynamo import deserialize
from shop_kernel.observability import get_tracer, logger, metrics, record_published

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
tracer = get_tracer()


def _state(image: dict[str, Any] | None) -> dict[str, Any] | None:
    """A product item image as the domain reads it: JSON documents parsed."""
    return change_state(deserialize(image)) if image else None


def publish_change(record: DynamoDBRecord) -> None:
    change = record.raw_event.get("dynamodb") or {}
    old, new = _state(change.get("OldImage")), _state(change.get("NewImage"))
    events = events_for_change(old, new, correlation_id=(new or {}).get("correlation_id"))
    if events:
        wiring.container.publisher().publish(events)
        record_published(events)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return process_partial_response(
        event=event, record_handler=publish_change, processor=processor, context=context
    )
