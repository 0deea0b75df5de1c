"""The fulfilment table's layout: allocations and shipments, with the workflow's waiting task tokens.

==========  =======================  ============  ==================================================
item        pk                       sk            attributes
==========  =======================  ============  ==================================================
allocation  ORDER#<order id>         ALLOCATION    shipment_ids, doc (the shipments as planned)
review      ORDER#<order id>         REVIEW        status (waiting|approve|reject), task_token,
                                                   held_at, decided_by, decided_at
shipment    SHIPMENT#<shipment id>   SHIPMENT      order_id, status, version, doc, pick_token,
                                                   delivery_token
==========  =======================  ============  ==================================================

Access patterns (no Scan, no index): an order's allocation and its review hold by order id (GetItem);
a shipment by id (GetItem: the packed callback, the tracking consumer). Tokens are top-level attributes
written by their own updates (a retried task keeps the newest), so every write of a shipment's ``doc``
updates, never replaces.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from fulfilment.domain.models import Shipment
from fulfilment.domain.ports import AllocationExists, ReviewHold, ShipmentChanged, StoredShipment
from shop_kernel.dynamo import deserialize, serialize


def allocation_key(order_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"ORDER#{order_id}"}, "sk": {"S": "ALLOCATION"}}


def review_key(order_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"ORDER#{order_id}"}, "sk": {"S": "REVIEW"}}


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

    def save_allocation(self, order_id: str, shipments: Sequence[Shipment]) -> None:
        """The allocation and every shipment in one transaction, only if the order has none yet."""
        allocation = {
            "type": "allocation",
            "order_id": order_id,
            "shipment_ids": [s.id for s in shipments],
            "doc": json.dumps([s.model_dump(mode="json") for s in shipments]),
        }
        puts = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {**allocation_key(order_id), **serialize(allocation)},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
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
            if _failed_condition(exc):
                raise AllocationExists(order_id) from exc
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
        try:
            self._client.update_item(
                TableName=self._table,
                Key=review_key(order_id),
                UpdateExpression="SET #type = :type, task_token = :token, #status = :waiting, held_at = :at",
                ConditionExpression="attribute_not_exists(pk) OR #status = :waiting",
                ExpressionAttributeNames={"#type": "type", "#status": "status"},
                ExpressionAttributeValues=serialize(
                    {":type": "review", ":token": token, ":waiting": "waiting", ":at": at}
                ),
            )
        except ClientError as exc:
            if not _failed_condition(exc):
                raise

    def review(self, order_id: str) -> ReviewHold | None:
        answer = self._client.get_item(TableName=self._table, Key=review_key(order_id), ConsistentRead=True)
        if "Item" not in answer:
            return None
        item = deserialize(answer["Item"])
        return ReviewHold(order_id, item["task_token"], item["status"], item.get("decided_by"))

    def decide_review(self, order_id: str, decision: str, by: str, at: str) -> None:
        self._client.update_item(
            TableName=self._table,
            Key=review_key(order_id),
            UpdateExpression="SET #status = :decision, decided_by = :by, decided_at = :at",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=serialize({":decision": decision, ":by": by, ":at": at}),
        )

    def await_delivery(self, shipment_id: str, token: str) -> bool:
        """Keep the token the carrier's last tracking update answers; False for an unknown shipment."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=shipment_key(shipment_id),
                UpdateExpression="SET delivery_token = :token",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues=serialize({":token": token}),
            )
        except ClientError as exc:
            if _failed_condition(exc):
                return False
            raise
        return True
