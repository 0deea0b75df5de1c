"""Inventory table stream (reservation and stock items) -> stock released on TTL expiry, events on the bus.

* A REMOVE made by DynamoDB's TTL (``userIdentity.principalId == dynamodb.amazonaws.com``) of a
  reservation still ``active``: the order never finished, so its stock is given back and an
  ``expired`` tombstone is written, in one transaction conditioned on the tombstone not existing (a
  replayed record changes nothing).
* A reservation turning ``expired`` (the sweeper, or that tombstone) or ``released`` (order cancelled):
  ``ReservationExpired`` / ``ReservationReleased`` with ids derived from the reservation, so a replay
  publishes the same ids.

* A stock item whose ``available`` changed: ``StockLevelChanged`` with the location's kind, country and
  pickup flag and the record's sequence number, so consumers keep the latest level whatever order the bus
  delivers in. A stock item of an unknown location publishes nothing. The locations are read once per
  batch, at its first stock record (the one config item holding every location): a seed's burst of
  stock levels is not one read per record.

A batch's events are published together, ten to a call (``shop_kernel.streams``); the first record that
fails (its release raised, or the bus refused its events) is reported and the stream resumes from it.
"""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools.utilities.typing import LambdaContext

from inventory import wiring
from inventory.adapters.records import reservation_from_item
from inventory.domain.events import StockPlace, events_for_change, stock_level_changed
from inventory.domain.models import Location, LocationKind
from shop_kernel.clock import isoformat
from shop_kernel.dynamo import deserialize
from shop_kernel.events import DomainEvent
from shop_kernel.observability import get_tracer, logger, metrics
from shop_kernel.streams import publish_stream_batch

TTL_PRINCIPAL = "dynamodb.amazonaws.com"
tracer = get_tracer()


def _item(image: dict[str, Any] | None, item_type: str) -> dict[str, Any] | None:
    if not image:
        return None
    item = deserialize(image)
    return item if item.get("type") == item_type else None


def _reservation(image: dict[str, Any] | None) -> dict[str, Any] | None:
    return _item(image, "reservation")


class Places:
    """The places of one batch's stock records: every location, read at the first one asked for."""

    def __init__(self) -> None:
        self._locations: dict[str, Location] | None = None

    def of(self, location_id: str) -> StockPlace | None:
        if self._locations is None:
            self._locations = wiring.container.store().locations()
        location = self._locations.get(location_id)
        if location is None:
            return None
        kind: Literal["warehouse", "store"] = "store" if location.kind == LocationKind.STORE else "warehouse"
        return StockPlace(kind=kind, country=location.address.country, pickup=location.pickup)


def stock_level_events(raw: dict[str, Any], places: Places) -> list[DomainEvent]:
    change = raw.get("dynamodb") or {}
    old, new = _item(change.get("OldImage"), "stock"), _item(change.get("NewImage"), "stock")
    if new is None or (old or {}).get("available") == new.get("available"):
        return []
    return stock_level_changed(
        old,
        new,
        places.of(new["location_id"]),
        str(change["SequenceNumber"]),
        isoformat(wiring.container.clock().now()),
    )


def _deleted_by_ttl(raw: dict[str, Any]) -> bool:
    identity = raw.get("userIdentity") or {}
    return raw.get("eventName") == "REMOVE" and identity.get("principalId") == TTL_PRINCIPAL


def events_of(raw: dict[str, Any], places: Places) -> list[DomainEvent]:
    """What one record publishes; a reservation deleted by TTL while active is released first."""
    change = raw.get("dynamodb") or {}
    if _item(change.get("NewImage") or change.get("OldImage"), "stock") is not None:
        return stock_level_events(raw, places)
    old, new = _reservation(change.get("OldImage")), _reservation(change.get("NewImage"))
    if _deleted_by_ttl(raw) and old is not None and old.get("status") == "active":
        released = wiring.container.store().expire_deleted(
            reservation_from_item(old), wiring.container.clock().now()
        )
        logger.info("expired by TTL", extra={"reservation_id": old["reservation_id"], "released": released})
        return []
    return events_for_change(old, new)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    places = Places()
    return publish_stream_batch(
        event.get("Records") or [], lambda record: events_of(record, places), wiring.container.publisher()
    )
