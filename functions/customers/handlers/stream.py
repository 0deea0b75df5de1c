"""Customers table stream -> the context's events on the bus, exactly when a change committed.

Event ids derive from the item and its version (``customers.domain.events``), so a replayed record
publishes the same ids. A pending consent's confirmation link is signed here, with the link-signing key.
Each record is handled alone; a failure is a batch item failure and is retried (then the DLQ).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from customers import wiring
from customers.adapters.dynamo import view_of
from customers.domain.events import events_for_change
from customers.domain.models import MarketingChannel
from shop_kernel.observability import get_tracer, logger, metrics, record_published

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
tracer = get_tracer()


def confirmation_link(customer_id: str, channel: MarketingChannel, nonce: str, confirm_by: str) -> str:
    expires = datetime.fromisoformat(confirm_by)
    return wiring.container.links().confirmation(customer_id, channel, nonce, expires)


def publish_change(record: DynamoDBRecord) -> None:
    change = record.raw_event.get("dynamodb") or {}
    events = events_for_change(
        view_of(change.get("OldImage")), view_of(change.get("NewImage")), confirmation_link
    )
    if events:
        wiring.container.publisher().publish(events)
        record_published(events)
        logger.info("published", extra={"detail_types": [e.detail_type for e in events]})


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return process_partial_response(
        event=event, record_handler=publish_change, processor=processor, context=context
    )
