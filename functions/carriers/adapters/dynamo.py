"""The shipments table: shipments, tracking-number lookups, webhook deliveries seen.

Items (string keys ``pk``/``sk``):

* shipment ``SHIPMENT#<shipment id>`` / ``SHIPMENT`` (``type`` shipment): order id, carrier, status,
  history, tracking number, the carrier's reference, label key and format, price, ``version``. While
  not final it is on ``gsi1``: ``gsi1pk`` = ``OPEN#<carrier>``, ``gsi1sk`` = ``<last update>#<shipment id>``.
* tracking lookup ``TRACKING#<carrier>#<tracking number>`` / ``TRACKING``: the shipment id. Written in
  the transaction that records the booking, so the number is findable exactly when it is ours.
* webhook delivery ``WEBHOOK#<carrier>#<delivery id>`` / ``WEBHOOK``: a delivery already handled, with
  ``expires_at`` (TTL) a week on.

Access patterns:

* a shipment by id (GetItem, consistent) - workflow tasks, the stream's decoding of images;
* a shipment by (carrier, tracking number) (two consistent GetItems) - webhooks, the poller;
* a carrier's open shipments, oldest update first, optionally only those quiet since a time (Query
  gsi1) - the poller, the stuck-shipment check;
* create a shipment once (PutItem ``attribute_not_exists``), save it by version (PutItem on
  ``version = :expected``, or TransactWriteItems with the new tracking lookup);
* a webhook delivery seen? (GetItem) / remember it (PutItem).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter

from carriers.domain.models import Destination, Parcel, ShipmentStatus
from carriers.domain.ports import ConcurrentUpdate
from carriers.domain.shipment import Shipment, StatusChange
from shop_kernel.clock import isoformat
from shop_kernel.dynamo import deserialize, query_all, serialize
from shop_kernel.money import Money

_DESTINATION: TypeAdapter[Destination] = TypeAdapter(Destination)


def shipment_key(shipment_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"SHIPMENT#{shipment_id}"}, "sk": {"S": "SHIPMENT"}}


def tracking_key(carrier: str, tracking_number: str) -> dict[str, Any]:
    return {"pk": {"S": f"TRACKING#{carrier}#{tracking_number}"}, "sk": {"S": "TRACKING"}}


def delivery_key(carrier: str, delivery_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"WEBHOOK#{carrier}#{delivery_id}"}, "sk": {"S": "WEBHOOK"}}


def to_item(shipment: Shipment) -> dict[str, Any]:
    item: dict[str, Any] = {
        "pk": f"SHIPMENT#{shipment.shipment_id}",
        "sk": "SHIPMENT",
        "type": "shipment",
        "shipment_id": shipment.shipment_id,
        "order_id": shipment.order_id,
        "carrier": shipment.carrier,
        "status": shipment.status.value,
        "version": shipment.version,
        "destination": shipment.destination.model_dump_json(),
        "parcel": shipment.parcel.model_dump_json(),
        "history": [_change_item(change) for change in shipment.history],
        "seen_event_ids": list(shipment.seen_event_ids),
        "updated_at": isoformat(shipment.last_update),
    }
    for name in ("tracking_number", "carrier_reference", "label_key", "label_format"):
        if getattr(shipment, name) is not None:
            item[name] = getattr(shipment, name)
    if shipment.price is not None:
        item["price"] = shipment.price.to_item()
    if not shipment.is_final:
        item["gsi1pk"] = f"OPEN#{shipment.carrier}"
        item["gsi1sk"] = f"{isoformat(shipment.last_update)}#{shipment.shipment_id}"
    return serialize(item)


def _change_item(change: StatusChange) -> dict[str, Any]:
    item = {
        "status": change.status.value,
        "occurred_at": isoformat(change.occurred_at),
        "source": change.source,
    }
    if change.event_id is not None:
        item["event_id"] = change.event_id
    if change.description is not None:
        item["description"] = change.description
    return item


def from_item(raw: dict[str, Any]) -> Shipment:
    """A shipment from its stored item (attribute values, as GetItem and stream images carry them)."""
    item = deserialize(raw)
    price = item.get("price")
    return Shipment(
        shipment_id=item["shipment_id"],
        order_id=item["order_id"],
        carrier=item["carrier"],
        destination=_DESTINATION.validate_json(item["destination"]),
        parcel=Parcel.model_validate_json(item["parcel"]),
        status=ShipmentStatus(item["status"]),
        history=tuple(
            StatusChange(
                status=ShipmentStatus(change["status"]),
                occurred_at=datetime.fromisoformat(change["occurred_at"]),
                source=change["source"],
                event_id=change.get("event_id"),
                description=change.get("description"),
            )
            for change in item["history"]
        ),
        tracking_number=item.get("tracking_number"),
        carrier_reference=item.get("carrier_reference"),
        label_key=item.get("label_key"),
        label_format=item.get("label_format"),
        price=Money(amount=price["amount"], currency=price["currency"]) if price else None,
        version=item["version"],
        seen_event_ids=tuple(item.get("seen_event_ids") or ()),
    )


class DynamoShipmentStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get(self, shipment_id: str) -> Shipment | None:
        item = self._client.get_item(
            TableName=self._table, Key=shipment_key(shipment_id), ConsistentRead=True
        )
        return from_item(item["Item"]) if "Item" in item else None

    def create(self, shipment: Shipment) -> Shipment | None:
        stored = replace(shipment, version=1)
        try:
            self._client.put_item(
                TableName=self._table,
                Item=to_item(stored),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return None
        return stored

    def save(self, shipment: Shipment) -> Shipment:
        stored = replace(shipment, version=shipment.version + 1)
        put = {
            "TableName": self._table,
            "Item": to_item(stored),
            "ConditionExpression": "version = :expected",
            "ExpressionAttributeValues": {":expected": {"N": str(shipment.version)}},
        }
        # The booking is the one change that gives a shipment its tracking number.
        just_booked = shipment.status is ShipmentStatus.BOOKED and shipment.history[-1].source == "booking"
        try:
            if just_booked and shipment.tracking_number:
                lookup = serialize(
                    {"type": "tracking", "shipment_id": shipment.shipment_id, "carrier": shipment.carrier}
                )
                self._client.transact_write_items(
                    TransactItems=[
                        {"Put": put},
                        {
                            "Put": {
                                "TableName": self._table,
                                "Item": {
                                    **tracking_key(shipment.carrier, str(shipment.tracking_number)),
                                    **lookup,
                                },
                            }
                        },
                    ]
                )
            else:
                self._client.put_item(**put)
        except (
            self._client.exceptions.ConditionalCheckFailedException,
            self._client.exceptions.TransactionCanceledException,
        ) as exc:
            raise ConcurrentUpdate(shipment.shipment_id) from exc
        return stored

    def find_by_tracking(self, carrier: str, tracking_number: str) -> Shipment | None:
        item = self._client.get_item(
            TableName=self._table, Key=tracking_key(carrier, tracking_number), ConsistentRead=True
        )
        if "Item" not in item:
            return None
        return self.get(item["Item"]["shipment_id"]["S"])

    def open_shipments(self, carrier: str, updated_before: datetime | None = None) -> list[Shipment]:
        condition = "gsi1pk = :open"
        values: dict[str, Any] = {":open": {"S": f"OPEN#{carrier}"}}
        if updated_before is not None:
            condition += " AND gsi1sk < :before"
            values[":before"] = {"S": isoformat(updated_before)}
        items = query_all(
            self._client,
            TableName=self._table,
            IndexName="gsi1",
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
        )
        return [from_item(item) for item in items]

    def delivery_seen(self, carrier: str, delivery_id: str) -> bool:
        item = self._client.get_item(
            TableName=self._table, Key=delivery_key(carrier, delivery_id), ConsistentRead=True
        )
        return "Item" in item

    def remember_delivery(self, carrier: str, delivery_id: str, until: datetime) -> None:
        self._client.put_item(
            TableName=self._table,
            Item={
                **delivery_key(carrier, delivery_id),
                **serialize({"type": "webhook-delivery", "expires_at": int(until.timestamp())}),
            },
        )
