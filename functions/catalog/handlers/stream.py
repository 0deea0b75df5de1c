"""Catalog table stream -> ProductPublished / ProductUpdated / ProductArchived / PriceChanged on the bus.

The trigger only delivers ``type = product`` items (the current product). A batch's events are published
together, ten to a call (``shop_kernel.streams``): the first record whose events the bus refuses is
reported, and the stream resumes from it, the records before it done. Event ids are derived from
(product, version, event type), so a retried or replayed record publishes the same ids and consumers drop
the duplicates.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from catalog import wiring
from catalog.adapters.dynamo_repository import change_state
from catalog.domain.events import events_for_change
from shop_kernel.dynamo import deserialize
from shop_kernel.events import DomainEvent
from shop_kernel.observability import get_tracer, logger, metrics
from shop_kernel.streams import publish_stream_batch

tracer = get_tracer()


def _state(image: dict[str, Any] | None) -> dict[str, Any] | None:
    """A product item image as the domain reads it: JSON documents parsed."""
    return change_state(deserialize(image)) if image else None


def events_of(record: dict[str, Any]) -> list[DomainEvent]:
    change = record.get("dynamodb") or {}
    old, new = _state(change.get("OldImage")), _state(change.get("NewImage"))
    return events_for_change(old, new, correlation_id=(new or {}).get("correlation_id"))


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return publish_stream_batch(event.get("Records") or [], events_of, wiring.container.publisher())
