"""Writes the catalog's product events into the carts table's SKU facts (layout: ``dynamo_carts``).

Every write is conditioned on ``product_version`` being older than the event's, so a redelivered or
late event changes nothing and the newest version always wins, whatever order SQS delivers them in.
``last_event_id`` records which event wrote an item (support; deduplication is by version).
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from cart.adapters.records import facts_from_item, facts_key
from cart.domain.models import SkuFacts, SkuStatus
from cart.domain.projection import Archival, PriceUpdate, ProductFacts, apply_prices
from shop_kernel.dynamo import deserialize, put_each_if, serialize

PRODUCT_SK = "SKUS"
OLDER = "attribute_not_exists(pk) OR product_version < :v"


def product_key(product_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"PRODUCT#{product_id}"}, "sk": {"S": PRODUCT_SK}}


def _skipped(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class DynamoSkuProjection:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self.table = table

    def apply(self, change: ProductFacts | PriceUpdate | Archival, event_id: str) -> int:
        """Applies one event; returns how many items it changed (0: already applied or superseded)."""
        if isinstance(change, ProductFacts):
            return self._product(change, event_id)
        if isinstance(change, PriceUpdate):
            return self._prices(change, event_id)
        return self._archive(change, event_id)

    def _conditional(self, call: str, **kwargs: Any) -> int:
        try:
            getattr(self._client, call)(TableName=self.table, **kwargs)
        except ClientError as exc:
            if _skipped(exc):
                return 0
            raise
        return 1

    def _put_facts(
        self, facts: SkuFacts, event_id: str, condition: str, values: dict[str, Any], **extra: Any
    ) -> int:
        return self._conditional("put_item", **self._facts_put(facts, event_id, condition, values, **extra))

    def _facts_put(
        self, facts: SkuFacts, event_id: str, condition: str, values: dict[str, Any], **extra: Any
    ) -> dict[str, Any]:
        doc = facts.model_dump(mode="json", exclude={"status", "product_version"})
        item = {
            "pk": f"SKU#{facts.sku}",
            "sk": "FACTS",
            "type": "sku",
            "product_id": facts.product_id,
            "product_version": facts.product_version,
            "status": facts.status.value,
            "last_event_id": event_id,
            "doc": json.dumps(doc, ensure_ascii=False, separators=(",", ":")),
            **extra,
        }
        return {
            "Item": serialize(item),
            "ConditionExpression": condition,
            "ExpressionAttributeValues": values,
        }

    def _known_skus(self, product_id: str) -> list[str]:
        item = self._client.get_item(
            TableName=self.table, Key=product_key(product_id), ConsistentRead=True
        ).get("Item")
        return list(deserialize(item).get("skus") or []) if item else []

    def _set_status(self, sku: str, status: SkuStatus, version: int, event_id: str) -> int:
        return self._conditional(
            "update_item",
            Key=facts_key(sku),
            UpdateExpression="SET #s = :s, product_version = :v, last_event_id = :e",
            ConditionExpression="attribute_exists(pk) AND product_version < :v",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={
                ":s": {"S": status.value},
                ":v": {"N": str(version)},
                ":e": {"S": event_id},
            },
        )

    def _remember(self, product_id: str, version: int, skus: list[str], event_id: str) -> int:
        item = {
            "pk": f"PRODUCT#{product_id}",
            "sk": PRODUCT_SK,
            "type": "product",
            "product_version": version,
            "skus": skus,
            "last_event_id": event_id,
        }
        return self._conditional(
            "put_item",
            Item=serialize(item),
            ConditionExpression=OLDER,
            ExpressionAttributeValues={":v": {"N": str(version)}},
        )

    def _product(self, change: ProductFacts, event_id: str) -> int:
        values = {":v": {"N": str(change.version)}}
        # Its SKUs' facts together, each on its own condition (one transaction, not a request per SKU).
        puts = [{"TableName": self.table, **self._facts_put(f, event_id, OLDER, values)} for f in change.skus]
        written = sum(put_each_if(self._client, puts))
        current = {f.sku for f in change.skus}
        gone = [sku for sku in self._known_skus(change.product_id) if sku not in current]
        written += sum(self._set_status(sku, SkuStatus.WITHDRAWN, change.version, event_id) for sku in gone)
        # Last: a retry after a failed withdrawal still finds the SKUs the product had.
        return written + self._remember(change.product_id, change.version, sorted(current), event_id)

    def _prices(self, change: PriceUpdate, event_id: str) -> int:
        written = 0
        for sku, prices in change.changes.items():
            item = self._client.get_item(TableName=self.table, Key=facts_key(sku), ConsistentRead=True).get(
                "Item"
            )
            if item is None:
                continue  # not projected yet: its ProductPublished/Updated carries the prices
            facts = facts_from_item(item)
            prices_version = deserialize(item).get("prices_version", 0)
            if facts.product_version >= change.version or prices_version >= change.version:
                continue
            # The facts keep their product version: the ProductUpdated of this version, if it comes
            # later, still applies in full (it carries these prices too).
            updated = apply_prices(facts, prices, facts.product_version)
            condition = (
                "product_version = :read AND (attribute_not_exists(prices_version) OR prices_version < :v)"
            )
            values = {":read": {"N": str(facts.product_version)}, ":v": {"N": str(change.version)}}
            written += self._put_facts(updated, event_id, condition, values, prices_version=change.version)
        return written

    def _archive(self, change: Archival, event_id: str) -> int:
        skus = self._known_skus(change.product_id)
        written = sum(self._set_status(sku, SkuStatus.ARCHIVED, change.version, event_id) for sku in skus)
        return written + self._remember(change.product_id, change.version, skus, event_id)
