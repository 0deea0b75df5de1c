"""Catalog and inventory events (EventBridge rules -> SQS) -> search's projection -> the search index.

Each SQS record's body is an EventBridge event: the catalog's ``ProductPublished``, ``ProductUpdated``,
``ProductArchived`` and ``PriceChanged``, inventory's ``StockLevelChanged``. ``SearchIndexer`` stores what
each event says in search's own table (ordered by the product version / the stock change's sequence, so
SQS's order does not matter and nothing archived comes back); a record it cannot read or store is
reported as a batch item failure (the queue retries it, then its DLQ keeps it). A batch's stock levels
are stored together after its records (a transaction per hundred, each level kept or dropped on its own
condition). Then the documents of every product the batch touched (the products of its stock levels'
SKUs looked up in one call) are rebuilt from the projection in one index write: a seed's thousands of
stock levels are neither thousands of writes nor thousands of index commits. If that fails the whole
batch is retried, which is safe because replays re-apply the same state.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from search import wiring
from search.domain.indexing import STOCK_EVENTS, Stale, handles
from shop_kernel.availability import StockUpdate, stock_update
from shop_kernel.observability import get_tracer, logger, metrics

processor = BatchProcessor(event_type=EventType.SQS)
tracer = get_tracer()


def apply_event(record: SQSRecord, touched: list[Stale], levels: list[StockUpdate]) -> None:
    event = json.loads(record.body)
    source, detail_type, detail = event.get("source"), event.get("detail-type"), event.get("detail") or {}
    if not handles(source, detail_type):
        logger.warning(
            "not an event search handles; dropped", extra={"source": source, "detail_type": detail_type}
        )
        return
    if detail_type in STOCK_EVENTS:  # stored with the batch's other levels, after the records
        levels.append(stock_update(detail["data"]))
        return
    stale = wiring.container.indexer().record(source, detail_type, detail["data"])
    if stale:
        touched.append(stale)
    event_id = (detail.get("metadata") or {}).get("eventId") or event.get("id", "")
    logger.debug(
        "recorded" if stale else "nothing to refresh (older than what search holds)",
        extra={"detail_type": detail_type, "event_id": event_id, "product_id": stale and stale.product_id},
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    touched: list[Stale] = []
    levels: list[StockUpdate] = []
    answer = process_partial_response(
        event=event,
        record_handler=partial(apply_event, touched=touched, levels=levels),
        processor=processor,
        context=context,
    )
    # After the records: the batch's stock levels stored at once, then one index write for every
    # product the batch touched.
    indexer = wiring.container.indexer()
    touched += indexer.record_stock(levels)
    refreshed = indexer.refresh_stale(touched)
    metrics.add_metric(name="SearchDocumentsRefreshed", unit="Count", value=len(refreshed))
    logger.info("indexed", extra={"records": len(event.get("Records") or []), "products": len(refreshed)})
    return answer
