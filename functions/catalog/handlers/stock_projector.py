"""Inventory's stock levels (EventBridge rule -> SQS) -> the availability on catalog's listing entries.

Each SQS record's body is an EventBridge event carrying inventory's ``StockLevelChanged``. Catalog stores
its own copy of the level (only over an older one: the event's stream sequence orders them) and rewrites
the availability of the product's listing entries. Records are stored one by one; a record that cannot be
stored is reported as a batch item failure (the queue retries it, then its DLQ keeps it). Then the products
of the SKUs stored are looked up in one call, and each has its listing entries rewritten once (a seed's burst of stock levels, a few per SKU,
is not one rewrite per level); if that fails the whole batch is retried, which is safe because a replay
re-applies the same state and changes nothing.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from catalog import wiring
from catalog.domain.availability import STOCK_LEVEL_CHANGED, record_stock_event, refresh_products_of
from shop_kernel.observability import get_tracer, logger, metrics

INVENTORY_SOURCE = "shop.inventory"
processor = BatchProcessor(event_type=EventType.SQS)
tracer = get_tracer()


def project(record: SQSRecord, touched: list[str]) -> None:
    event = json.loads(record.body)
    detail_type, detail = event.get("detail-type"), event.get("detail") or {}
    if event.get("source") != INVENTORY_SOURCE or detail_type != STOCK_LEVEL_CHANGED:
        logger.warning("not a stock level event; dropped", extra={"detail_type": detail_type})
        return
    sku = record_stock_event(wiring.container.repository().stock, detail["data"])
    if sku:
        touched.append(sku)
    event_id = (detail.get("metadata") or {}).get("eventId") or event.get("id", "")
    logger.debug("recorded", extra={"event_id": event_id, "sku": sku})


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    touched: list[str] = []
    answer = process_partial_response(
        event=event, record_handler=partial(project, touched=touched), processor=processor, context=context
    )
    # After the records: the products of every SKU stored, looked up at once; each of them once.
    written = refresh_products_of(wiring.container.repository().stock, touched)
    metrics.add_metric(name="ListingAvailabilityWritten", unit="Count", value=written)
    logger.info("projected", extra={"records": len(event.get("Records") or []), "skus": len(set(touched))})
    return answer
