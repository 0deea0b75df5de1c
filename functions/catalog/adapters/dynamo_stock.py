"""Catalog's copy of inventory's stock levels and the availability on its listing entries (catalog table).

===================  ==================  ===============  ====================================================
item [type]          pk                  sk               attributes
===================  ==================  ===============  ====================================================
stock level [stock]  STOCK#<sku>         <location id>    sku, location_id, kind, country, pickup, available,
                                                          threshold, sequence (zero-padded stream sequence)
listing entry        LISTING#<category>  <product id>     ... + avail (JSON context -> level), buyable (string
                                                          set of contexts not sold out; absent when none)
===================  ==================  ===============  ====================================================

Access patterns: a stock change is a conditional put (``sequence < :s``; a batch's changes go together,
``shop_kernel.dynamo.put_each_if``: up to 100 per TransactWriteItems); the SKU's product is its
``UNIQUE#sku#<sku>`` claim (``owner``; one BatchGetItem for the SKUs of a batch of changes); a product's stock is one Query ``STOCK#<sku>`` per SKU;
its listing entries (``listed_in`` on the product item) get one conditional UpdateItem each
(``attribute_exists(pk)``: an entry removed meanwhile is not recreated). Inventory's table is never read.
A product delivered electronically (``fulfilment`` ``digital``) has no levels: its ``avail`` is
``{"everywhere": "in_stock"}`` and ``buyable`` holds ``everywhere``, which every ``in_stock`` filter matches.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from catalog.domain.availability import skus_of
from shop_kernel.availability import (
    LocationStock,
    StockUpdate,
    buyable_contexts,
    digital_skus,
    product_availability,
)
from shop_kernel.dynamo import batch_get_keys, deserialize, put_each_if, query_all, serialize, serialize_value

SKU_CLAIM_PREFIX = "UNIQUE#sku#"


def _sku_claim_key(sku: str) -> dict[str, str]:
    return {"pk": f"{SKU_CLAIM_PREFIX}{sku}", "sk": "UNIQUE"}


def _conditional_failure(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def listing_availability_attributes(availability: dict[str, str]) -> dict[str, Any]:
    """The attributes a listing entry carries for availability (plain values, ``serialize`` drops None)."""
    buyable = buyable_contexts(availability)
    return {"avail": json.dumps(availability, sort_keys=True), "buyable": set(buyable) if buyable else None}


class DynamoListingAvailability:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def save_stocks(self, updates: Sequence[StockUpdate]) -> list[bool]:
        return put_each_if(self._client, [self._stock_put(update) for update in updates])

    def _stock_put(self, update: StockUpdate) -> dict[str, Any]:
        stock = update.stock
        item = {
            "pk": f"STOCK#{stock.sku}",
            "sk": stock.location_id,
            "type": "stock",
            "sku": stock.sku,
            "location_id": stock.location_id,
            "kind": stock.kind,
            "country": stock.country,
            "pickup": stock.pickup,
            "available": stock.available,
            "threshold": stock.threshold,
            "sequence": update.sequence,
        }
        return {
            "TableName": self._table,
            "Item": serialize(item),
            "ConditionExpression": "attribute_not_exists(pk) OR #s < :s",
            "ExpressionAttributeNames": {"#s": "sequence"},
            "ExpressionAttributeValues": {":s": {"S": update.sequence}},
        }

    def stock(self, skus: Sequence[str]) -> list[LocationStock]:
        found: list[LocationStock] = []
        for sku in dict.fromkeys(skus):
            items = query_all(
                self._client,
                TableName=self._table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": f"STOCK#{sku}"}},
            )
            found += [_stock(deserialize(raw)) for raw in items]
        return found

    def availability(self, public: dict[str, Any] | None) -> dict[str, Any]:
        """Context -> level for a published product (its public snapshot), from catalog's copy of the stock
        levels; its electronically delivered SKUs hold no stock: in stock everywhere, no levels read."""
        skus, digital = skus_of(public), digital_skus(public or {})
        return dict(product_availability(skus, self.stock([s for s in skus if s not in digital]), digital))

    def products_of_skus(self, skus: Sequence[str]) -> dict[str, str]:
        keys = [(self._table, serialize(_sku_claim_key(sku))) for sku in dict.fromkeys(skus)]
        found = batch_get_keys(self._client, keys).get(self._table, [])
        claims = [deserialize(raw) for raw in found]
        return {str(claim["pk"]).removeprefix(SKU_CLAIM_PREFIX): str(claim["owner"]) for claim in claims}

    def refresh_listing(self, product_id: str) -> int:
        raw = self._client.get_item(
            TableName=self._table,
            Key=serialize({"pk": f"PRODUCT#{product_id}", "sk": "PRODUCT"}),
            ConsistentRead=True,
        ).get("Item")
        product = deserialize(raw) if raw else {}
        listed_in = list(product.get("listed_in") or [])
        if not listed_in or not product.get("public"):
            return 0
        attributes = listing_availability_attributes(self.availability(json.loads(product["public"])))
        written = 0
        for category_id in listed_in:
            written += self._update_entry(category_id, product_id, attributes)
        return written

    def _update_entry(self, category_id: str, product_id: str, attributes: dict[str, Any]) -> int:
        update = "SET #avail = :avail" + (", #buyable = :buyable" if attributes["buyable"] else "")
        update += "" if attributes["buyable"] else " REMOVE #buyable"
        values = {":avail": serialize_value(attributes["avail"])}
        if attributes["buyable"]:
            values[":buyable"] = serialize_value(attributes["buyable"])
        try:
            self._client.update_item(
                TableName=self._table,
                Key=serialize({"pk": f"LISTING#{category_id}", "sk": product_id}),
                UpdateExpression=update,
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#avail": "avail", "#buyable": "buyable"},
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if _conditional_failure(exc):
                return 0
            raise
        return 1


def _stock(item: dict[str, Any]) -> LocationStock:
    return LocationStock(
        sku=str(item["sku"]),
        location_id=str(item["location_id"]),
        kind=str(item["kind"]),
        country=str(item["country"]),
        pickup=bool(item.get("pickup")),
        available=int(item["available"]),
        threshold=int(item["threshold"]),
    )
