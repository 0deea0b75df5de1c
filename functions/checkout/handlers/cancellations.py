"""The orders context's ``OrderCancellationRequested`` (rule -> ``checkout-cancellations`` queue) -> an order
still waiting for payment cancelled at once (``PaymentEvents.cancel_unpaid``).

Only checkout can cancel an unpaid order: the PaymentIntent, the code uses, certificate debits and points
given back in the cancelling write are its (decisions 27 and 45); the orders context records the request on
the timeline and announces it. A request for an order that is paid is fulfilment's (the same event reaches
it) and is acknowledged here; one for some lines only never names an unpaid order (the orders API refuses
it) and is acknowledged too. Idempotent per order: a redelivered request finds the order cancelled (and
cancels its PaymentIntent again, in case Stripe failed the first time). A failure (Stripe unreachable, an
order that kept changing, a give-back the ledger refuses) is a batch item failure: SQS delivers it again,
then its DLQ, alarmed.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from checkout import wiring
from orders.domain.events import OrderCancellationRequested
from shop_kernel.observability import logger, metrics

processor = BatchProcessor(event_type=EventType.SQS)


def carry_out(record: SQSRecord) -> None:
    detail = record.json_body.get("detail") or {}
    request = OrderCancellationRequested.model_validate(detail.get("data") or {})
    if request.lines is not None:
        logger.info("lines only: fulfilment's", extra={"order_id": request.order_id})
        return
    outcome = wiring.container.payment_events().cancel_unpaid(request.order_id)
    logger.info(
        "cancellation request",
        extra={
            "order_id": request.order_id,
            "request_id": (detail.get("metadata") or {}).get("eventId"),
            "outcome": outcome.action,
        },
    )
    if outcome.action == "cancelled":
        metrics.add_metric(name="UnpaidOrdersCancelledByRequest", unit="Count", value=1)


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return process_partial_response(
        event=event, record_handler=carry_out, processor=processor, context=context
    )
