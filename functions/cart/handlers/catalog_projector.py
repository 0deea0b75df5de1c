"""Catalog product events (EventBridge -> SQS) -> the cart's SKU facts.

Each SQS record's body is an EventBridge event carrying a catalog event envelope. Records are handled
one by one and a failure is reported as a batch item failure (the queue retries it, then its DLQ keeps
it). Replays are harmless: every write is conditioned on the product version (``dynamo_projection``).
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from cart import wiring
from cart.domain.projection import HANDLED, parse
from shop_kernel.observability import get_tracer, logger, metrics

CATALOG_SOURCE = "shop.catalog"
processor = BatchProcessor(event_type=EventType.SQS)
tracer = get_tracer()


def project(record: SQSRecord) -> None:
    event = json.loads(record.body)
    detail_type, detail = event.get("detail-type"), event.get("detail") or {}
    if event.get("source") != CATALOG_SOURCE or detail_type not in HANDLED:
        logger.warning("not a catalog product event; dropped", extra={"detail_type": detail_type})
        return
    event_id = (detail.get("metadata") or {}).get("eventId") or event.get("id", "")
    written = wiring.container.projection().apply(parse(detail_type, detail["data"]), event_id)
    metrics.add_metric(name="SkuFactsWritten", unit="Count", value=written)
    logger.info("projected", extra={"detail_type": detail_type, "event_id": event_id, "written": written})


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return process_partial_response(event=event, record_handler=project, processor=processor, context=context)
