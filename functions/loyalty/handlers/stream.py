"""Loyalty table stream (ledger entries, notices, certificates) -> events on the bus, exactly when committed.

A new entry becomes ``PointsEarned``, ``PointsSpent``, ``PointsExpired`` and/or ``TierChanged``; a new
expiry notice ``PointsExpiring``; a new coupon ``CouponIssued``; a new gift certificate
``GiftCertificateIssued`` (however it was issued: the API, a batch chunk, a paid order). Entries are written
by the earning consumer, the scheduled job, the API and checkout's transaction (a spend) alike, so every one is published, whoever wrote it. Event ids come
from the entry, so a replayed record publishes the same ids. A batch's events go ten to a ``PutEvents``
call (``shop_kernel.streams``); the first record that fails is reported and the stream resumes there.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty import wiring
from loyalty.adapters.certificate_records import CERTIFICATE_TYPE, certificate_from_item
from loyalty.adapters.coupons import coupon_from_item
from loyalty.adapters.records import entry_from_item
from loyalty.domain.events import coupon_issued, events_for_entry, gift_certificate_issued, points_expiring
from shop_kernel.clock import isoformat
from shop_kernel.events import DomainEvent, EventBridgePublisher
from shop_kernel.observability import get_tracer, logger, metrics
from shop_kernel.streams import publish_stream_batch

tracer = get_tracer()


def events_of(record: dict[str, Any]) -> list[DomainEvent]:
    image = (record.get("dynamodb") or {}).get("NewImage")
    if record.get("eventName") != "INSERT" or not image:
        return []
    kind = image.get("type", {}).get("S")
    if kind == "entry":
        return events_for_entry(entry_from_item(image))
    if kind == "notice":
        return [
            points_expiring(
                image["member_id"]["S"],
                int(image["points"]["N"]),
                image["expires_at"]["S"],
                image["recorded_at"]["S"],
            )
        ]
    if kind == "coupon":
        c = coupon_from_item(image)
        window = (isoformat(c.valid_from), isoformat(c.valid_until))
        return [
            coupon_issued(
                c.member_id, c.coupon_id, c.trigger, c.code, c.promotion_id, window, isoformat(c.issued_at)
            )
        ]
    if kind == CERTIFICATE_TYPE:
        return [gift_certificate_issued(certificate_from_item(image))]
    return []


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    c = wiring.container
    publisher = EventBridgePublisher(c.events_client(), c.settings().event_bus_name)
    return publish_stream_batch(event.get("Records") or [], events_of, publisher)
