"""Other contexts' events (EventBridge -> SQS) -> each order's timeline, shipments and stage.

Checkout's ``OrderPlaced``, ``OrderCancelled``, ``PaymentFailed``, ``PaymentRefunded``,
``PaymentCaptured``; fulfilment's ``FulfilmentRequested``, ``OrderLinesDropped``, the pickup store's
``ShipmentReadyForCollection`` and ``ShipmentCollected``, and its answers to a cancellation request
(``OrderCancelled``, ``OrderLinesCancelled``, ``OrderCancellationRefused``); the carriers'
``ShipmentStatusChanged`` (``orders.domain.projection`` says what each means).

Idempotent per event id (the timeline entry's key holds it) and tolerant of any delivery order (the stage
is computed from everything known, a shipment keeps its highest sequence). When the order first reaches
``confirmed`` or ``delivered``/``collected``, ``OrderConfirmed`` / ``OrderDelivered`` is published with an
id derived from the order, so a replay publishes the same id. An event about an order the table does not
hold yet fails alone and the queue retries it; one that cannot be read goes to the DLQ after its retries.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from orders import wiring
from orders.adapters.dynamo import Outcome
from orders.domain.events import OrderConfirmed, OrderDelivered, event, once_per_order
from orders.domain.projection import Envelope, project
from orders.domain.timeline import Stage
from shop_kernel.events import DomainEvent
from shop_kernel.observability import get_tracer, logger, metrics, record_published

processor = BatchProcessor(event_type=EventType.SQS)
tracer = get_tracer()


def _passed(outcome: Outcome, stage: Stage) -> bool:
    """The order is at ``stage`` or beyond now and was not before (a skipped stage counts as passed)."""
    order = list(Stage)
    after, before = order.index(outcome.after), order.index(outcome.before) if outcome.before else -1
    return outcome.after is not Stage.CANCELLED and before < order.index(stage) <= after


def announcements(outcome: Outcome, at: str) -> list[DomainEvent]:
    """``OrderConfirmed`` / ``OrderDelivered`` when this event moved the order there (or past it)."""
    order = outcome.order
    customer = order.buyer.key if order.buyer.kind == "customer" else None
    published = []
    if _passed(outcome, Stage.CONFIRMED):
        data = OrderConfirmed(order_id=order.id, customer_id=customer, confirmed_at=at)
        published.append(
            event("OrderConfirmed", data, order.id, at, once_per_order(order.id, "OrderConfirmed"))
        )
    if _passed(outcome, Stage.DELIVERED):  # delivered or collected
        delivered = OrderDelivered(order_id=order.id, customer_id=customer, delivered_at=at)
        published.append(
            event("OrderDelivered", delivered, order.id, at, once_per_order(order.id, "OrderDelivered"))
        )
    return published


def handle(record: SQSRecord) -> str:
    envelope = Envelope.parse(json.loads(record.body))
    projected = project(envelope)
    if projected is None:
        return "ignored"
    outcome = wiring.container.store().project(projected)
    if outcome is None:
        logger.info("recorded", extra={"order_id": projected.order_id, "event": envelope.detail_type})
        return "recorded"
    published = announcements(outcome, projected.entry.at)
    if published:
        wiring.container.publisher().publish(published)
        record_published(published)
    logger.info(
        "projected",
        extra={
            "order_id": projected.order_id,
            "event": envelope.detail_type,
            "new": outcome.new,
            "stage": outcome.after.value,
        },
    )
    return "projected" if outcome.new else "duplicate"


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
