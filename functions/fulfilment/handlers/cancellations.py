"""The orders context's ``OrderCancellationRequested`` and ``OrderReviewDecided`` (rule ->
``fulfilment-cancellations`` queue) -> the request carried out on the fulfilment side
(``fulfilment.domain.cancel_requests``), or the agent's review decision answering the workflow's review token
(``FulfilmentService.review_decided``: a repeat changes nothing, a decision for an order that is not waiting
is logged and ignored).

Idempotent per request (the event's id): a redelivered request repeats its recorded outcome. A request
that reaches an order between two workflow steps (``CancellationNotReady``) is a batch item failure: SQS
delivers it again after the visibility timeout. An order still waiting for payment has no workflow
yet: a whole-order request is recorded pending (if the payment still comes, the workflow's review hold or
allocation meets it and cancels the order); the unpaid order itself is checkout's (``checkout-cancellations``
cancels it at once on the same request; its sweeper at the payment deadline). A lines-only request for it is
retried until the queue's DLQ takes it (the orders API refuses one).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from fulfilment import wiring
from fulfilment.domain.models import ShipmentLine
from fulfilment.inbound.orders import OrderCancellationRequested, OrderReviewDecided
from shop_kernel.observability import get_tracer, logger, metrics

processor = BatchProcessor(event_type=EventType.SQS)
tracer = get_tracer()


def carry_out(record: SQSRecord) -> None:
    if record.json_body.get("detail-type") == "OrderReviewDecided":
        decide(record)
        return
    detail = record.json_body.get("detail") or {}
    request_id = str((detail.get("metadata") or {}).get("eventId") or record.json_body.get("id"))
    request = OrderCancellationRequested.model_validate(detail.get("data") or {})
    lines = (
        None
        if request.lines is None
        else [ShipmentLine(sku=line.sku, quantity=line.quantity) for line in request.lines]
    )
    outcome = wiring.container.cancellation_requests().request(request.order_id, request_id, lines)
    logger.info(
        "cancellation request",
        extra={"order_id": request.order_id, "outcome": outcome.outcome, "reason": outcome.reason},
    )
    metrics.add_metric(
        name=f"CancellationRequest{outcome.outcome.title().replace('_', '')}", unit="Count", value=1
    )


def decide(record: SQSRecord) -> None:
    detail = record.json_body.get("detail") or {}
    decided = OrderReviewDecided.model_validate(detail.get("data") or {})
    answered = wiring.container.fulfilment().review_decided(
        decided.order_id, decided.decision, decided.agent_id
    )
    logger.info(
        "review decision",
        extra={"order_id": decided.order_id, "decision": decided.decision, "answered": answered},
    )
    metrics.add_metric(name="ReviewDecision" + ("Answered" if answered else "Ignored"), unit="Count", value=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return process_partial_response(
        event=event, record_handler=carry_out, processor=processor, context=context
    )
