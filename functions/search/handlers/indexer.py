"""Catalog table stream -> search index: upsert published products, remove everything else.

The trigger only delivers ``type = product`` items. A record's new image decides: published -> upsert its
document, anything else (draft, archived, removed: no new image) -> delete by id. Both are idempotent,
so a retried or replayed record changes nothing. Each record is applied on its own, so a record the engine
refuses is reported back alone (partial batch failure) and the stream moves on past the others.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from search.adapters import search_index
from search.domain.documents import product_id_of, search_document
from shop_kernel.dynamo import deserialize
from shop_kernel.observability import get_tracer, logger, metrics

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
tracer = get_tracer()


def apply_change(record: DynamoDBRecord) -> None:
    change = record.raw_event.get("dynamodb") or {}
    new_image = change.get("NewImage")
    document = search_document(deserialize(new_image) if new_image else None)
    if document is not None:
        search_index().upsert([document])
        metrics.add_metric(name="ProductIndexed", unit="Count", value=1)
        return
    product_id = product_id_of(deserialize(change.get("Keys") or {}))
    if product_id:
        search_index().delete([product_id])
        metrics.add_metric(name="ProductUnindexed", unit="Count", value=1)
        logger.info("removed from the index", extra={"product_id": product_id})


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return process_partial_response(
        event=event, record_handler=apply_change, processor=processor, context=context
    )
