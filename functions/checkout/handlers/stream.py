"""Orders table stream (order items only) -> side effects and events, exactly when a change committed.

* An order placed (authorised, or paid by gift certificates): the fulfilment workflow is started,
  named after the order (a replay cannot start it twice), then ``OrderPlaced`` is published (a guest's
  with the keyed hash of their e-mail, ``shop_kernel.guest_keys``: the secret is read only then).
* An order cancelled: its stock reservation is released (once: conditioned on the reservation still
  being active), then ``OrderCancelled``.
* A declined card or a refund: ``PaymentFailed`` / ``PaymentRefunded``.

Side effects come before publishing, so a failure retries the record and no event announces something
that did not happen. Event ids are derived from the order, so a replayed record publishes the same ids.
Each record is handled alone; a failure is a batch item failure and is retried (then the DLQ).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from checkout import wiring
from checkout.adapters.records import order_from_item
from checkout.adapters.workflows import execution_input
from checkout.domain.events import events_for_change
from checkout.domain.models import Order
from shop_kernel.observability import get_tracer, logger, metrics, record_published

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
tracer = get_tracer()


def _order(image: dict[str, Any] | None) -> Order | None:
    if not image or (image.get("type") or {}).get("S") != "order":
        return None
    return order_from_item(image)


def handle_change(record: DynamoDBRecord) -> None:
    change = record.raw_event.get("dynamodb") or {}
    old, new = _order(change.get("OldImage")), _order(change.get("NewImage"))
    events = events_for_change(old, new, wiring.container.guest_keys().of)
    for event in events:
        if event.detail_type == "OrderPlaced" and new is not None:
            payload = execution_input(
                new, event.data["placed_at"], wiring.container.settings().fraud_review_timeout_s
            )
            started = wiring.container.fulfilment().start(new.id, payload)
            logger.info("fulfilment", extra={"order_id": new.id, "started": started})
        if event.detail_type == "OrderCancelled" and new is not None:
            released = wiring.container.store().release_reservation(
                new.reservation_id, wiring.container.clock().now()
            )
            logger.info("stock released", extra={"order_id": new.id, "released": released})
    if events:
        wiring.container.publisher().publish(events)
        record_published(events)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return process_partial_response(
        event=event, record_handler=handle_change, processor=processor, context=context
    )
