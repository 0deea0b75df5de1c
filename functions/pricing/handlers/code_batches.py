"""Promotions table stream (code batch items only) -> the batch's codes, a chunk per change.

A new batch, and each change of its progress, arrives here; the handler writes the next ``CHUNK`` codes
(``BackOfficeStore.write_batch_codes``: conditional, collision-safe, idempotent) and moves the progress on,
conditioned on the count it started from. That change is itself a stream record, which brings the next
chunk, until every code is there: no invocation runs long, and a retried or replayed record writes the
same codes again and moves nothing twice.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from pricing import wiring
from pricing.adapters.back_office import batch_from_item, batch_seed
from pricing.domain.back_office import BatchStatus
from shop_kernel.observability import logger, metrics

CHUNK = 1_000
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def generate_chunk(record: DynamoDBRecord) -> None:
    image = (record.raw_event.get("dynamodb") or {}).get("NewImage")
    if not image or (image.get("type") or {}).get("S") != "code_batch":
        return
    batch = batch_from_item(image)
    indexes = batch.next_indexes(CHUNK)
    if batch.status is BatchStatus.COMPLETED or not indexes:
        return
    store, now = wiring.container.store(), wiring.container.clock().now
    written = store.write_batch_codes(batch, batch_seed(image), indexes, now())
    moved = store.record_progress(batch, indexes.stop, now())
    metrics.add_metric(name="PromoCodesGenerated", unit="Count", value=written if moved else 0)
    logger.info("code batch chunk", extra={"batch_id": batch.id, "upto": indexes.stop, "moved": moved})


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return process_partial_response(
        event=event, record_handler=generate_chunk, processor=processor, context=context
    )
