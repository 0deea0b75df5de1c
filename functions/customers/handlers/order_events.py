"""Checkout's order events (EventBridge -> SQS) -> the orders each customer placed -> RFM segments.

Each SQS record's body is an EventBridge event with checkout's envelope. Records are handled one by one;
a failure is a batch item failure (the queue retries, then its DLQ keeps it). Replays and disorder are
harmless: an order is remembered once, a cancellation that arrives first is remembered for the placement,
and segments are recomputed from the remembered orders, never incremented.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from customers import wiring
from customers.domain.orders import CHECKOUT_SOURCE, HANDLED, READS_MAJOR_VERSION, OrderPlacedFacts, parse
from shop_kernel.observability import get_tracer, logger, metrics

processor = BatchProcessor(event_type=EventType.SQS)
tracer = get_tracer()


def consume(record: SQSRecord) -> None:
    event = json.loads(record.body)
    detail_type, detail = event.get("detail-type"), event.get("detail") or {}
    version = str((detail.get("metadata") or {}).get("version", ""))
    if event.get("source") != CHECKOUT_SOURCE or detail_type not in HANDLED:
        logger.warning("not an order event; dropped", extra={"detail_type": detail_type})
        return
    if version.split(".")[0] != READS_MAJOR_VERSION:
        raise ValueError(f"{detail_type} v{version}: this consumer reads v{READS_MAJOR_VERSION}.x")
    facts = parse(detail_type, detail["data"])
    service = wiring.container.service()
    if isinstance(facts, OrderPlacedFacts):
        if facts.customer_id is None:
            return  # a guest's order: no customer to segment
        segments = service.order_placed(
            facts.order_id, facts.customer_id, facts.placed_at, facts.totals.grand_total
        )
    elif facts.was_placed:
        segments = service.order_cancelled(facts.order_id, facts.cancelled_at)
    else:
        return  # never placed: it never counted
    logger.info(
        "order counted",
        extra={
            "detail_type": detail_type,
            "order_id": facts.order_id,
            "segments": segments and segments.names,
        },
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return process_partial_response(event=event, record_handler=consume, processor=processor, context=context)
