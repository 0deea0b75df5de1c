"""Inventory table stream (reservation and stock items) -> stock released on TTL expiry, events on the bus.

* A REMOVE made by DynamoDB's TTL (``userIdentity.principalId == dynamodb.amazonaws.com``) of a
  reservation still ``active``: the order never finished, so its stock is given back and an
  ``expired`` tombstone is written, in one transaction conditioned on the tombstone not existing (a
  replayed record changes nothing).
* A reservation turning ``expired`` (the sweeper, or that tombstone) or ``released`` (order cancelled):
  ``ReservationExpired`` / ``ReservationReleased`` with ids derived from the reservation, so a replay
  publishes the same ids.

* A stock item whose ``available`` changed: ``StockLevelChanged`` with the location's kind, country and
  pickup flag (one GetItem of the location) and the record's sequence number, so consumers keep the
  latest level whatever order the bus delivers in. A stock item of an unknown location publishes nothing.

Each record is handled on its own; a failure is reported as a batch item failure and retried.
"""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from inventory import wiring
from inventory.adapters.records import reservation_from_item
from inventory.domain.events import StockPlace, events_for_change, stock_level_changed
from inventory.domain.models import LocationKind
from shop_kernel.clock import isoformat
from shop_kernel.dynamo import deserialize
from shop_kernel.observability import get_tracer, logger, metrics, record_published

TTL_PRINCIPAL = "dynamodb.amazonaws.com"
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
tracer = get_tracer()


def _item(image: dict[str, Any] | None, item_type: str) -> dict[str, Any] | None:
    if not image:
        return None
    item = deserialize(image)
    return item if item.get("type") == item_type else None


def _reservation(image: dict[str, Any] | None) -> dict[str, Any] | None:
    return _item(image, "reservation")


def _place(location_id: str) -> StockPlace | None:
    location = wiring.container.store().location(location_id)
    if location is None:
        return None
    kind: Literal["warehouse", "store"] = "store" if location.kind == LocationKind.STORE else "warehouse"
    return StockPlace(kind=kind, country=location.address.country, pickup=location.pickup)


def announce_stock_level(raw: dict[str, Any]) -> None:
    change = raw.get("dynamodb") or {}
    old, new = _item(change.get("OldImage"), "stock"), _item(change.get("NewImage"), "stock")
    if new is None or (old or {}).get("available") == new.get("available"):
        return
    events = stock_level_changed(
        old,
        new,
        _place(new["location_id"]),
        str(change["SequenceNumber"]),
        isoformat(wiring.container.clock().now()),
    )
    if events:
        wiring.container.publisher().publish(events)
        record_published(events)


def _deleted_by_ttl(raw: dict[str, Any]) -> bool:
    identity = raw.get("userIdentity") or {}
    return raw.get("eventName") == "REMOVE" and identity.get("principalId") == TTL_PRINCIPAL


def handle_change(record: DynamoDBRecord) -> None:
    raw = record.raw_event
    change = raw.get("dynamodb") or {}
    if _item(change.get("NewImage") or change.get("OldImage"), "stock") is not None:
        announce_stock_level(raw)
        return
    old, new = _reservation(change.get("OldImage")), _reservation(change.get("NewImage"))
    if _deleted_by_ttl(raw) and old is not None and old.get("status") == "active":
        released = wiring.container.store().expire_deleted(
            reservation_from_item(old), wiring.container.clock().now()
        )
        logger.info("expired by TTL", extra={"reservation_id": old["reservation_id"], "released": released})
        return
    events = events_for_change(old, new)
    if events:
        wiring.container.publisher().publish(events)
        record_published(events)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return process_partial_response(
        event=event, record_handler=handle_change, processor=processor, context=context
    )
