"""Inventory's stock levels (EventBridge rule -> SQS) -> the availability on catalog's listing entries.

Each SQS record's body is an EventBridge event carrying inventory's ``StockLevelChanged``. Catalog stores
its own copy of the level (only over an older one: the event's stream sequence orders them) and rewrites
the availability of the product's listing entries. Each record is read on its own; one that is not a
stock level it can read is reported as a batch item failure (the queue retries it, then its DLQ keeps
it). Then the batch's levels are stored together (a transaction per hundred, each level kept or dropped
on its own condition), the products of the SKUs stored are looked up in one call, and each has its
listing entries rewritten once: a seed's burst of stock levels, a few per SKU, is neither one write nor
one rewrite per level. If that fails the whole batch is retried, which is safe because a replay
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
from catalog.domain.availability import STOCK_LEVEL_CHANGED, record_stock_updates, refresh_products_of
from shop_kernel.availability import StockUpdate, stock_update
from shop_kernel.observability import get_tracer, logger, metrics

INVENTORY_SOURCE = "shop.inventory"
processor = BatchProcessor(event_type=EventType.SQS)
tracer = get_tracer()


def read(record: SQSRecord, updates: list[StockUpdate]) -> None:
    event = json.loads(record.body)
    detail_type, detail = event.get("detail-type"), event.get("detail") or {}
    if event.get("source") != INVENTORY_SOURCE or detail_type != STOCK_LEVEL_CHANGED:
        logger.warning("not a stock level event; dropped", extra={"detail_type": detail_type})
        return
    updates.append(stock_update(detail["data"]))
    event_id = (detail.get("metadata") or {}).get("eventId") or event.get("id", "")
    logger.debug("read", extra={"event_id": event_id, "sku": updates[-1].stock.sku})


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    updates: list[StockUpdate] = []
    answer = process_partial_response(
        event=event, record_handler=partial(read, updates=updates), processor=processor, context=context
    )
    # After the records: their levels stored at once, then the products of every SKU stored looked up at
    # once, and each of them refreshed once.
    store = wiring.container.repository().stock
    touched = record_stock_updates(store, updates)
    written = refresh_products_of(store, touched)
    metrics.add_metric(name="ListingAvailabilityWritten", unit="Count", value=written)
    logger.info("projected", extra={"records": len(event.get("Records") or []), "skus": len(set(touched))})
    return answer
