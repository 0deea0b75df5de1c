"""The fulfilment table's layout: allocations and shipments, with the workflow's waiting task tokens.

==========  =======================  ============  ==================================================
item        pk                       sk            attributes
==========  =======================  ============  ==================================================
allocation  ORDER#<order id>         ALLOCATION    shipment_ids, doc (the shipments as planned)
review      ORDER#<order id>         REVIEW        status (waiting|approve|reject), task_token,
                                                   held_at, decided_by, decided_at
shipment    SHIPMENT#<shipment id>   SHIPMENT      order_id, status, version, doc, pick_token,
                                                   delivery_token, collection_token
request     ORDER#<order id>         CANCELLATION  doc (how a cancellation request was answered)
                                     #<request id>
pending     ORDER#<order id>         CANCEL        request_id: the whole order cancelled before the
                                     _PENDING      workflow held it for review or allocated it
==========  =======================  ============  ==================================================

Access patterns (no Scan, no index): an order's allocation and its review hold by order id (GetItem);
a shipment by id (GetItem: the packed callback, the tracking consumer); a cancellation request by order and
request id (GetItem). Tokens are top-level attributes
written by their own updates (a retried task keeps the newest), so every write of a shipment's ``doc``
updates, never replaces.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from fulfilment.domain.cancellation import CancelledByRequest
from fulfilment.domain.models import OrderLine, Shipment
from fulfilment.domain.ports import (
    AllocationExists,
    CancellationRace,
    CancellationRecord,
    ReviewHold,
    ShipmentChanged,
    StoredShipment,
)
from shop_kernel.dynamo import deserialize, serialize


def allocation_key(order_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"ORDER#{order_id}"}, "sk": {"S": "ALLOCATION"}}


def review_key(order_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"ORDER#{order_id}"}, "sk": {"S": "REVIEW"}}


def pending_key(order_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"ORDER#{order_id}"}, "sk": {"S": "CANCEL_PENDING"}}


def cancellation_key(order_id: str, request_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"ORDER#{order_id}"}, "sk": {"S": f"CANCELLATION#{request_id}"}}


def shipment_key(shipment_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"SHIPMENT#{shipment_id}"}, "sk": {"S": "SHIPMENT"}}


def _failed_condition(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in (
        "ConditionalCheckFailedException",
        "TransactionCanceledException",
    )


class DynamoFulfilmentStore:
    def __init__(self, client: Any, table: str) -> None:
        self._client, self._table = client, table

    def allocation(self, order_id: str) -> list[Shipment] | None:
        item = self._client.get_item(TableName=self._table, Key=allocation_key(order_id), ConsistentRead=True)
        if "Item" not in item:
            return None
        return [Shipment.model_validate(doc) for doc in json.loads(deserialize(item["Item"])["doc"])]

    def save_allocation(
        self, order_id: str, shipments: Sequence[Shipment], order_lines: Sequence[OrderLine] = ()
    ) -> None:
        """The allocation and every shipment in one transaction, only if the order has none yet and no
        whole-order cancellation is pending."""
        allocation = {
            "type": "allocation",
            "order_id": order_id,
            "shipment_ids": [s.id for s in shipments],
            "doc": json.dumps([s.model_dump(mode="json") for s in shipments]),
            "order_lines": json.dumps([line.model_dump(mode="json") for line in order_lines]),
        }
        puts: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {**allocation_key(order_id), **serialize(allocation)},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            self._no_item(pending_key(order_id)),
        ]
        for shipment in shipments:
            item = {"type": "shipment", "order_id": order_id, "status": shipment.status.value, "version": 1}
            item["doc"] = shipment.model_dump_json()
            puts.append(
                {"Put": {"TableName": self._table, "Item": {**shipment_key(shipment.id), **serialize(item)}}}
            )
        try:
            self._client.transact_write_items(TransactItems=puts)
        except ClientError as exc:
            if not _failed_condition(exc):
                raise
            if self._exists(pending_key(order_id)):
                raise CancelledByRequest(f"order {order_id} was cancelled by request") from exc
            raise AllocationExists(order_id) from exc

    def order_lines(self, order_id: str) -> list[OrderLine]:
        item = self._client.get_item(TableName=self._table, Key=allocation_key(order_id), ConsistentRead=True)
        doc = deserialize(item["Item"]).get("order_lines") if "Item" in item else None
        return [OrderLine.model_validate(line) for line in json.loads(doc or "[]")]

    # --- cancellation requests ---------------------------------------------------------------------

    def cancellation(self, order_id: str, request_id: str) -> CancellationRecord | None:
        key = cancellation_key(order_id, request_id)
        item = self._client.get_item(TableName=self._table, Key=key, ConsistentRead=True)
        if "Item" not in item:
            return None
        return CancellationRecord.model_validate_json(deserialize(item["Item"])["doc"])

    def record_cancellation(
        self, record: CancellationRecord, changes: Sequence[tuple[StoredShipment, Shipment]]
    ) -> None:
        writes = [self._record(record)]
        for stored, shipment in changes:
            writes.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": shipment_key(shipment.id),
                        "UpdateExpression": "SET #status = :status, doc = :doc, version = :next",
                        "ConditionExpression": "version = :read",
                        "ExpressionAttributeNames": {"#status": "status"},
                        "ExpressionAttributeValues": serialize(
                            {
                                ":status": shipment.status.value,
                                ":doc": shipment.model_dump_json(),
                                ":next": stored.version + 1,
                                ":read": stored.version,
                            }
                        ),
                    }
                }
            )
        self._transact(writes)

    def cancel_review(self, record: CancellationRecord) -> None:
        review = {
            "Update": {
                "TableName": self._table,
                "Key": review_key(record.order_id),
                "UpdateExpression": "SET #status = :cancelled, decided_by = :by, decided_at = :at",
                "ConditionExpression": "#status = :waiting",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": serialize(
                    {
                        ":cancelled": "cancelled",
                        ":waiting": "waiting",
                        ":by": f"request:{record.request_id}",
                        ":at": record.decided_at,
                    }
                ),
            }
        }
        self._transact([self._record(record), review])

    def hold_cancellation(self, record: CancellationRecord) -> None:
        pending = {"type": "cancel_pending", "request_id": record.request_id, "at": record.decided_at}
        self._transact(
            [
                self._record(record),
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": {**pending_key(record.order_id), **serialize(pending)},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                self._no_item(allocation_key(record.order_id)),
                self._no_item(review_key(record.order_id)),
            ]
        )

    def _record(self, record: CancellationRecord) -> dict[str, Any]:
        item = {"type": "cancellation", "order_id": record.order_id, "doc": record.model_dump_json()}
        return {
            "Put": {
                "TableName": self._table,
                "Item": {**cancellation_key(record.order_id, record.request_id), **serialize(item)},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def _no_item(self, key: dict[str, Any]) -> dict[str, Any]:
        return {
            "ConditionCheck": {
                "TableName": self._table,
                "Key": key,
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def _exists(self, key: dict[str, Any]) -> bool:
        return "Item" in self._client.get_item(TableName=self._table, Key=key, ConsistentRead=True)

    def _transact(self, writes: list[dict[str, Any]]) -> None:
        try:
            self._client.transact_write_items(TransactItems=writes)
        except ClientError as exc:
            if _failed_condition(exc):
                raise CancellationRace("the order changed while the request was decided") from exc
            raise

    def shipment(self, shipment_id: str) -> StoredShipment | None:
        answer = self._client.get_item(
            TableName=self._table, Key=shipment_key(shipment_id), ConsistentRead=True
        )
        if "Item" not in answer:
            return None
        item = deserialize(answer["Item"])
        return StoredShipment(
            shipment=Shipment.model_validate_json(item["doc"]),
            version=int(item["version"]),
            pick_token=item.get("pick_token"),
            delivery_token=item.get("delivery_token"),
            collection_token=item.get("collection_token"),
        )

    def request_pick(self, shipment: Shipment, token: str) -> StoredShipment:
        """Keep ``token`` (the newest: a retried task issues a new one) and mark the pick requested."""
        from fulfilment.domain.models import ShipmentStatus

        requested = shipment.model_copy(update={"status": ShipmentStatus.PICK_REQUESTED})
        answer = self._client.update_item(
            TableName=self._table,
            Key=shipment_key(shipment.id),
            UpdateExpression="SET pick_token = :token, #status = :status, doc = :doc ADD version :one",
            ConditionExpression="#status IN (:planned, :status)",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=serialize(
                {
                    ":token": token,
                    ":status": requested.status.value,
                    ":planned": ShipmentStatus.PLANNED.value,
                    ":doc": requested.model_dump_json(),
                    ":one": 1,
                }
            ),
            ReturnValues="ALL_NEW",
        )
        item = deserialize(answer["Attributes"])
        return StoredShipment(requested, int(item["version"]), token, item.get("delivery_token"))

    def save(self, stored: StoredShipment, shipment: Shipment) -> None:
        """The shipment's new state, only if nobody changed it since ``stored`` was read."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=shipment_key(shipment.id),
                UpdateExpression="SET #status = :status, doc = :doc, version = :next",
                ConditionExpression="version = :read",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=serialize(
                    {
                        ":status": shipment.status.value,
                        ":doc": shipment.model_dump_json(),
                        ":next": stored.version + 1,
                        ":read": stored.version,
                    }
                ),
            )
        except ClientError as exc:
            if _failed_condition(exc):
                raise ShipmentChanged(shipment.id) from exc
            raise

    def hold_for_review(self, order_id: str, token: str, at: str) -> None:
        """Keep ``token`` while the order waits (a retried task's newer token replaces it); a decided
        review is left as it is."""
        hold = {
            "Update": {
                "TableName": self._table,
                "Key": review_key(order_id),
                "UpdateExpression": "SET #type = :type, task_token = :token, #status = :waiting, held_at = :at",
                "ConditionExpression": "attribute_not_exists(pk) OR #status = :waiting",
                "ExpressionAttributeNames": {"#type": "type", "#status": "status"},
                "ExpressionAttributeValues": serialize(
                    {":type": "review", ":token": token, ":waiting": "waiting", ":at": at}
                ),
            }
        }
        try:
            self._client.transact_write_items(TransactItems=[hold, self._no_item(pending_key(order_id))])
        except ClientError as exc:
            if not _failed_condition(exc):
                raise
            if self._exists(pending_key(order_id)):
                raise CancelledByRequest(f"order {order_id} was cancelled by request") from exc

    def review(self, order_id: str) -> ReviewHold | None:
        answer = self._client.get_item(TableName=self._table, Key=review_key(order_id), ConsistentRead=True)
        if "Item" not in answer:
            return None
        item = deserialize(answer["Item"])
        return ReviewHold(order_id, item["task_token"], item["status"], item.get("decided_by"))

    def decide_review(self, order_id: str, decision: str, by: str, at: str) -> bool:
        """The decision recorded, only while the order waits; False when it was decided (or cancelled)."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=review_key(order_id),
                UpdateExpression="SET #status = :decision, decided_by = :by, decided_at = :at",
                ConditionExpression="#status = :waiting",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=serialize(
                    {":decision": decision, ":by": by, ":at": at, ":waiting": "waiting"}
                ),
            )
        except ClientError as exc:
            if _failed_condition(exc):
                return False
            raise
        return True

    def close_review(self, order_id: str, at: str) -> None:
        self._client.update_item(
            TableName=self._table,
            Key=review_key(order_id),
            UpdateExpression="SET #status = :closed, decided_at = :at",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=serialize({":closed": "closed", ":at": at}),
        )

    def await_delivery(self, shipment_id: str, token: str) -> bool:
        """Keep the token the carrier's last tracking update answers; False for an unknown shipment."""
        return self._keep_token(shipment_id, "delivery_token", token)

    def await_collection(self, shipment_id: str, token: str) -> bool:
        """Keep the token the store's confirmation of the collection answers, only while the shipment
        waits in the store (a cancellation request decides on the same item: it finds the token, or the
        token finds it cancelled); False for an unknown shipment or one no longer waiting."""
        from fulfilment.domain.models import ShipmentStatus

        waiting = {":packed": ShipmentStatus.PACKED.value, ":at_store": ShipmentStatus.AT_STORE.value}
        return self._keep_token(
            shipment_id, "collection_token", token, "#status IN (:packed, :at_store)", waiting
        )

    def _keep_token(
        self,
        shipment_id: str,
        attribute: str,
        token: str,
        condition: str | None = None,
        values: dict[str, str] | None = None,
    ) -> bool:
        extra = {"ExpressionAttributeNames": {"#status": "status"}} if condition else {}
        try:
            self._client.update_item(
                TableName=self._table,
                Key=shipment_key(shipment_id),
                UpdateExpression=f"SET {attribute} = :token",
                ConditionExpression="attribute_exists(pk)" + (f" AND {condition}" if condition else ""),
                ExpressionAttributeValues=serialize({":token": token, **(values or {})}),
                **extra,
            )
        except ClientError as exc:
            if _failed_condition(exc):
                return False
            raise
        return True
