"""Loyalty table stream (certificate batch items only) -> the batch's certificates, a chunk per change.

As pricing's code batches (decision 55): a new batch, and each change of its progress, arrives here; the
handler writes the next chunk (``CertificateService.write_chunk``: conditional puts of codes derived from
the batch's secret seed, so a replay writes nothing new) and moves the progress on, conditioned on the
count it started from. That change is the next record, until every certificate is written.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty import wiring
from loyalty.adapters.certificate_records import BATCH_TYPE
from shop_kernel.observability import logger, metrics

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def write_chunk(record: DynamoDBRecord) -> None:
    image = (record.raw_event.get("dynamodb") or {}).get("NewImage")
    if not image or (image.get("type") or {}).get("S") != BATCH_TYPE:
        return
    batch_id = image["doc"]["M"]["id"]["S"]
    written = wiring.container.certificates().write_chunk(batch_id)
    metrics.add_metric(name="GiftCertificatesIssued", unit="Count", value=written)
    logger.info("certificate batch chunk", extra={"batch_id": batch_id, "written": written})


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return process_partial_response(
        event=event, record_handler=write_chunk, processor=processor, context=context
    )
