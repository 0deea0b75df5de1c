"""Carriers' ``ShipmentStatusChanged`` (rule -> ``fulfilment-carrier-events`` queue) -> the workflow's
wait for delivery answered with the token the workflow stored on the shipment.

Delivered resumes it (``SendTaskSuccess``); failed delivery and returned to sender fail the wait
(``DeliveryFailed``, ``ReturnedToSender``). Other statuses, shipments fulfilment does not know and late
updates are ignored (logged). An update that arrives before the workflow reached its wait is a batch item
failure: SQS delivers it again after the visibility timeout, by when the token is there. A replayed event
changes nothing (the shipment is already in that status; the spent token is not an error).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict

from fulfilment import wiring
from shop_kernel.observability import get_tracer, logger, metrics

processor = BatchProcessor(event_type=EventType.SQS)
tracer = get_tracer()


class StatusChange(BaseModel):
    """The part of carriers' ``ShipmentStatusChanged`` data this consumer reads."""

    model_config = ConfigDict(extra="ignore")
    order_id: str
    shipment_id: str
    status: str
    occurred_at: str


def apply_tracking(record: SQSRecord) -> None:
    event = record.json_body
    change = StatusChange.model_validate((event.get("detail") or {}).get("data") or {})
    resumed = wiring.container.fulfilment().tracking_update(
        change.shipment_id, change.status, change.occurred_at
    )
    logger.info(
        "tracking applied",
        extra={"shipment_id": change.shipment_id, "status": change.status, "resumed": resumed},
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return process_partial_response(
        event=event, record_handler=apply_tracking, processor=processor, context=context
    )
