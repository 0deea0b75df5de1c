"""Shipments table stream (shipment items) -> ``ShipmentStatusChanged`` on the bus.

Every history entry a change added (a booking, a cancel, a tracking update from a webhook or the poller)
is one event, with an id derived from (shipment, position in the history): a replayed record publishes
the same ids, and consumers drop the duplicates. A write that changed no status (a stale tracking update
remembered as seen) publishes nothing. A batch's events are published together, ten to a call
(``shop_kernel.streams``); the first record that fails is reported, and the stream resumes from it.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from carriers import wiring
from carriers.adapters.dynamo import from_item
from carriers.domain.events import status_changes
from carriers.domain.shipment import Shipment
from shop_kernel.events import DomainEvent
from shop_kernel.observability import get_tracer, logger, metrics
from shop_kernel.streams import publish_stream_batch

tracer = get_tracer()


def _shipment(image: dict[str, Any] | None) -> Shipment | None:
    if not image or image.get("type", {}).get("S") != "shipment":
        return None
    return from_item(image)


def events_of(record: dict[str, Any]) -> list[DomainEvent]:
    change = record.get("dynamodb") or {}
    new = _shipment(change.get("NewImage"))
    return [] if new is None else status_changes(_shipment(change.get("OldImage")), new)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return publish_stream_batch(event.get("Records") or [], events_of, wiring.container.publisher())
