"""Shipments table stream (shipment items) -> ``ShipmentStatusChanged`` on the bus.

Every history entry a change added (a booking, a cancel, a tracking update from a webhook or the poller)
is one event, with an id derived from (shipment, position in the history): a replayed record publishes
the same ids, and consumers drop the duplicates. A write that changed no status (a stale tracking update
remembered as seen) publishes nothing. Each record is handled on its own; a failure is reported as a batch
item failure and retried.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from carriers import wiring
from carriers.adapters.dynamo import from_item
from carriers.domain.events import status_changes
from carriers.domain.shipment import Shipment
from shop_kernel.observability import get_tracer, logger, metrics, record_published

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
tracer = get_tracer()


def _shipment(image: dict[str, Any] | None) -> Shipment | None:
    if not image or image.get("type", {}).get("S") != "shipment":
        return None
    return from_item(image)


def announce_change(record: DynamoDBRecord) -> None:
    change = record.raw_event.get("dynamodb") or {}
    new = _shipment(change.get("NewImage"))
    if new is None:
        return
    events = status_changes(_shipment(change.get("OldImage")), new)
    if events:
        wiring.container.publisher().publish(events)
        record_published(events)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return process_partial_response(
        event=event, record_handler=announce_change, processor=processor, context=context
    )
