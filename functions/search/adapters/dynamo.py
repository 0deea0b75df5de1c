"""DynamoDB access of the search functions: merchandisers' search settings and published products.

``search`` table (this context's):

=====================  ==================  ===========  =============================================
item                   pk                  sk           attributes
=====================  ==================  ===========  =============================================
synonym groups         SYNONYMS            SET          groups (JSON), version, updated_at, updated_by
related products       RELATED#<id>        LINKS        product_ids (list), updated_at, updated_by
=====================  ==================  ===========  =============================================

Access patterns: synonyms GetItem / conditional PutItem (``version = :expected``, so two merchandisers
cannot overwrite each other); related links GetItem / PutItem per product.

``catalog`` table (read only): published product documents by id, BatchGetItem ``PRODUCT#<id>``
(projection ``status, public``) -- one call per result page; and, for a reindex, Query gsi1
``PRODUCTS#published`` page by page (never a Scan).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from botocore.exceptions import ClientError

from shop_kernel.clock import Clock, utc_now_iso
from shop_kernel.dynamo import deserialize, serialize
from shop_kernel.errors import PreconditionFailed

SYNONYMS_KEY = {"pk": "SYNONYMS", "sk": "SET"}
BATCH_GET_LIMIT = 100


def related_key(product_id: str) -> dict[str, str]:
    return {"pk": f"RELATED#{product_id}", "sk": "LINKS"}


class DynamoSearchSettings:
    def __init__(self, client: Any, table_name: str, clock: Clock) -> None:
        self._client = client
        self._table = table_name
        self._clock = clock

    def synonyms(self) -> tuple[list[list[str]], int]:
        item = self._client.get_item(TableName=self._table, Key=serialize(SYNONYMS_KEY)).get("Item")
        if not item:
            return [], 0
        data = deserialize(item)
        return json.loads(data["groups"]), int(data["version"])

    def put_synonyms(self, groups: list[list[str]], expected_version: int | None, actor: str) -> int:
        current = expected_version if expected_version is not None else self.synonyms()[1]
        version = current + 1
        condition = "attribute_not_exists(pk)" if current == 0 else "#v = :expected"
        request: dict[str, Any] = {
            "TableName": self._table,
            "Item": serialize(
                {
                    **SYNONYMS_KEY,
                    "type": "synonyms",
                    "groups": json.dumps(groups, ensure_ascii=False),
                    "version": version,
                    "updated_at": utc_now_iso(self._clock),
                    "updated_by": actor,
                }
            ),
            "ConditionExpression": condition,
        }
        if current:
            request["ExpressionAttributeNames"] = {"#v": "version"}
            request["ExpressionAttributeValues"] = {":expected": {"N": str(current)}}
        try:
            self._client.put_item(**request)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise PreconditionFailed("the synonyms changed since you read them; read them again") from exc
            raise
        return version

    def related(self, product_id: str) -> list[str]:
        item = self._client.get_item(TableName=self._table, Key=serialize(related_key(product_id))).get(
            "Item"
        )
        return list(deserialize(item).get("product_ids") or []) if item else []

    def put_related(self, product_id: str, related_ids: list[str], actor: str) -> None:
        item = {
            **related_key(product_id),
            "type": "related",
            "product_ids": related_ids,
            "updated_at": utc_now_iso(self._clock),
            "updated_by": actor,
        }
        self._client.put_item(TableName=self._table, Item=serialize(item))


class CatalogProducts:
    """Published products from the catalog table (read only)."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def public_documents(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), BATCH_GET_LIMIT):
            keys = [
                serialize({"pk": f"PRODUCT#{i}", "sk": "PRODUCT"})
                for i in unique[start : start + BATCH_GET_LIMIT]
            ]
            pending: dict[str, Any] = {
                self._table: {
                    "Keys": keys,
                    "ProjectionExpression": "#s, #p",
                    "ExpressionAttributeNames": {"#s": "status", "#p": "public"},
                }
            }
            while pending:
                response = self._client.batch_get_item(RequestItems=pending)
                for raw in response.get("Responses", {}).get(self._table, []):
                    item = deserialize(raw)
                    if item.get("status") == "published" and item.get("public"):
                        public = json.loads(item["public"])
                        found[public["id"]] = public
                pending = response.get("UnprocessedKeys") or {}
        return found

    def published_items(self, page_size: int = 100) -> Iterator[list[dict[str, Any]]]:
        """Every published product item, a page at a time (Query gsi1 ``PRODUCTS#published``)."""
        return self.items_with_status("published", page_size)

    def items_with_status(self, status: str, page_size: int = 100) -> Iterator[list[dict[str, Any]]]:
        """Every product item in ``status``, a page at a time (Query gsi1 ``PRODUCTS#<status>``)."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "gsi1",
            "KeyConditionExpression": "gsi1pk = :p",
            "ExpressionAttributeValues": {":p": {"S": f"PRODUCTS#{status}"}},
            "Limit": page_size,
        }
        while True:
            response = self._client.query(**request)
            yield [deserialize(i) for i in response.get("Items", [])]
            if not response.get("LastEvaluatedKey"):
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def count_published(self) -> int:
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "gsi1",
            "KeyConditionExpression": "gsi1pk = :p",
            "ExpressionAttributeValues": {":p": {"S": "PRODUCTS#published"}},
            "Select": "COUNT",
        }
        total = 0
        while True:
            response = self._client.query(**request)
            total += int(response.get("Count", 0))
            if not response.get("LastEvaluatedKey"):
                return total
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
