"""Checkout's order events (EventBridge -> SQS) -> the campaign report's counts.

``OrderPlaced`` (2.1 names each promotion's discount) counts the order once per promotion;
``OrderCancelled`` of a placed order takes it off once. Both are conditioned on the order's own report
item (``CampaignLedger``), so a replayed or duplicated event changes nothing, and a cancellation that
overtakes its placement leaves a tombstone the placement then respects. Records are handled one by one;
a failure is a batch item failure (retried, then the DLQ).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from pricing import wiring
from pricing.domain.back_office import shares_of_placed_order
from shop_kernel.observability import logger, metrics

CHECKOUT_SOURCE = "shop.checkout"
READS_MAJOR_VERSION = "2"  # OrderPlaced 2.1 names the promotions; an unknown major goes to the DLQ
processor = BatchProcessor(event_type=EventType.SQS)


def project(record: SQSRecord) -> None:
    event = json.loads(record.body)
    detail_type, detail = event.get("detail-type"), event.get("detail") or {}
    if event.get("source") != CHECKOUT_SOURCE or detail_type not in ("OrderPlaced", "OrderCancelled"):
        logger.warning("not a checkout order event; dropped", extra={"detail_type": detail_type})
        return
    version = str((detail.get("metadata") or {}).get("version", ""))
    if version.split(".")[0] != READS_MAJOR_VERSION:
        raise ValueError(f"{detail_type} v{version}: this consumer reads v{READS_MAJOR_VERSION}.x")
    data = detail["data"]
    ledger = wiring.container.ledger()
    if detail_type == "OrderPlaced":
        shares = shares_of_placed_order(data)
        counted = bool(shares) and ledger.count_placed(data["order_id"], shares, _at(data["placed_at"]))
    else:
        counted = bool(data.get("was_placed")) and ledger.count_cancelled(
            data["order_id"], _at(data["cancelled_at"])
        )
    metrics.add_metric(name="CampaignOrdersCounted", unit="Count", value=int(counted))
    logger.info(
        "campaign", extra={"detail_type": detail_type, "order_id": data["order_id"], "counted": counted}
    )


def _at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return process_partial_response(event=event, record_handler=project, processor=processor, context=context)
