"""DynamoDB access of the search functions: merchandisers' search settings and search's own projection
of the catalog's and inventory's events. Search reads no other context's table.

``search`` table (this context's):

==================  ==================  ===========  ======================================================
item [type]         pk                  sk           attributes
==================  ==================  ===========  ======================================================
synonym groups      SYNONYMS            SET          groups (JSON), version, updated_at, updated_by
related products    RELATED#<id>        LINKS        product_ids (list), updated_at, updated_by
product [product]   PRODUCT#<id>        STATE        product_id, version, status (published|archived),
                                                     snapshot (JSON, published only), revision, projected_at
sku [sku_link]      SKU#<sku>           PRODUCT      product_id, projected_at
stock [stock]       SKU#<sku>           STOCK#<loc>  location_id, kind, country, pickup, available,
                                                     threshold, sequence (zero-padded), projected_at
==================  ==================  ===========  ======================================================

Access patterns: synonyms GetItem / conditional PutItem (``version = :expected``, so two merchandisers
cannot overwrite each other); related links GetItem / PutItem per product. Product state: conditional
PutItem ``version <= :v`` (older events never overwrite newer ones, archived included), GetItem
(consistent) when a document is rebuilt; prices patched with a conditional PutItem on the ``revision``
read; the products a batch of events touched: one BatchGetItem (consistent). Stock: conditional put
``sequence < :s``, a batch's levels together (``shop_kernel.dynamo.put_each_if``: up to 100 per
TransactWriteItems); Query ``SKU#<sku>`` ``begins_with(sk, STOCK#)`` per SKU of a product. SKU -> product:
GetItem, or one BatchGetItem for the SKUs of a batch of stock changes. The reindex tool reads every product state with a filtered
Scan (an offline rebuild, never a request path).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from botocore.exceptions import ClientError

from search.domain.indexing import PriceUpdate, ProductState, patched_snapshot
from shop_kernel.availability import LocationStock, StockUpdate
from shop_kernel.clock import Clock, utc_now_iso
from shop_kernel.dynamo import batch_get_keys, deserialize, pages, put_each_if, query_all, serialize
from shop_kernel.errors import PreconditionFailed
from shop_kernel.ids import new_ulid

SYNONYMS_KEY = {"pk": "SYNONYMS", "sk": "SET"}
BATCH_WRITE_LIMIT = 25
PUBLISHED, ARCHIVED = "published", "archived"


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


def _conditional_failure(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def product_key(product_id: str) -> dict[str, str]:
    return {"pk": f"PRODUCT#{product_id}", "sk": "STATE"}


def sku_link_key(sku: str) -> dict[str, str]:
    return {"pk": f"SKU#{sku}", "sk": "PRODUCT"}


def stock_key(sku: str, location_id: str) -> dict[str, str]:
    return {"pk": f"SKU#{sku}", "sk": f"STOCK#{location_id}"}


class DynamoSearchProjection:
    """``SearchProjection`` on the search table: products and stock as the events told them."""

    def __init__(self, client: Any, table_name: str, clock: Clock) -> None:
        self._client = client
        self._table = table_name
        self._clock = clock

    def _put(self, item: dict[str, Any], condition: str, values: dict[str, Any]) -> bool:
        try:
            self._client.put_item(
                TableName=self._table,
                Item=serialize(item),
                ConditionExpression=condition,
                ExpressionAttributeNames={"#v": item_version_attribute(item)},
                ExpressionAttributeValues=serialize(values),
            )
        except ClientError as exc:
            if _conditional_failure(exc):
                return False
            raise
        return True

    def save_product(self, state: ProductState) -> bool:
        item = self._product_item(state)
        stored = self._put(item, "attribute_not_exists(pk) OR #v <= :v", {":v": state.version})
        if stored and state.snapshot is not None:
            self._link_skus(state.product_id, [v["sku"] for v in state.snapshot.get("variants") or []])
        return stored

    def _product_item(self, state: ProductState) -> dict[str, Any]:
        return {
            **product_key(state.product_id),
            "type": "product",
            "product_id": state.product_id,
            "version": state.version,
            "status": PUBLISHED if state.snapshot is not None else ARCHIVED,
            "snapshot": json.dumps(state.snapshot, ensure_ascii=False) if state.snapshot else None,
            # A fresh token per write: a price patch is conditioned on the one it read.
            "revision": new_ulid(),
            "projected_at": utc_now_iso(self._clock),
        }

    def patch_prices(self, update: PriceUpdate) -> bool:
        current = self._read(update.product_id)
        if current is None or current.get("status") != PUBLISHED or int(current["version"]) >= update.version:
            return False
        state = _state(current)
        patched = ProductState(
            state.product_id, state.version, patched_snapshot(state.snapshot or {}, update)
        )
        item = self._product_item(patched)
        # The revision read: a publication or archival stored meanwhile wins, and this patch is dropped.
        try:
            self._client.put_item(
                TableName=self._table,
                Item=serialize(item),
                ConditionExpression="revision = :r",
                ExpressionAttributeValues={":r": {"S": str(current.get("revision"))}},
            )
        except ClientError as exc:
            if _conditional_failure(exc):
                return False
            raise
        return True

    def _link_skus(self, product_id: str, skus: Sequence[str]) -> None:
        now = utc_now_iso(self._clock)
        requests = [
            {
                "PutRequest": {
                    "Item": serialize(
                        {**sku_link_key(s), "type": "sku_link", "product_id": product_id, "projected_at": now}
                    )
                }
            }
            for s in dict.fromkeys(skus)
        ]
        for start in range(0, len(requests), BATCH_WRITE_LIMIT):
            pending: dict[str, Any] = {self._table: requests[start : start + BATCH_WRITE_LIMIT]}
            while pending:
                pending = self._client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    def save_stocks(self, updates: Sequence[StockUpdate]) -> list[bool]:
        now = utc_now_iso(self._clock)
        return put_each_if(self._client, [self._stock_put(update, now) for update in updates])

    def _stock_put(self, update: StockUpdate, now: str) -> dict[str, Any]:
        stock = update.stock
        item = {
            **stock_key(stock.sku, stock.location_id),
            "type": "stock",
            "sku": stock.sku,
            "location_id": stock.location_id,
            "kind": stock.kind,
            "country": stock.country,
            "pickup": stock.pickup,
            "available": stock.available,
            "threshold": stock.threshold,
            "sequence": update.sequence,
            "projected_at": now,
        }
        return {
            "TableName": self._table,
            "Item": serialize(item),
            "ConditionExpression": "attribute_not_exists(pk) OR #v < :v",
            "ExpressionAttributeNames": {"#v": "sequence"},
            "ExpressionAttributeValues": serialize({":v": update.sequence}),
        }

    def _read(self, product_id: str) -> dict[str, Any] | None:
        item = self._client.get_item(
            TableName=self._table, Key=serialize(product_key(product_id)), ConsistentRead=True
        ).get("Item")
        return deserialize(item) if item else None

    def product(self, product_id: str) -> ProductState | None:
        item = self._read(product_id)
        return _state(item) if item else None

    def product_of_sku(self, sku: str) -> str | None:
        item = self._client.get_item(TableName=self._table, Key=serialize(sku_link_key(sku))).get("Item")
        return str(deserialize(item)["product_id"]) if item else None

    def products_of_skus(self, skus: Sequence[str]) -> dict[str, str]:
        keys = [(self._table, serialize(sku_link_key(sku))) for sku in dict.fromkeys(skus)]
        links = [deserialize(raw) for raw in batch_get_keys(self._client, keys).get(self._table, [])]
        return {str(link["pk"]).removeprefix("SKU#"): str(link["product_id"]) for link in links}

    def products(self, product_ids: Sequence[str]) -> dict[str, ProductState]:
        keys = [(self._table, serialize(product_key(pid))) for pid in dict.fromkeys(product_ids)]
        found = batch_get_keys(self._client, keys, consistent=[self._table]).get(self._table, [])
        states = [_state(deserialize(raw)) for raw in found]
        return {state.product_id: state for state in states}

    def stock(self, skus: Sequence[str]) -> list[LocationStock]:
        found: list[LocationStock] = []
        for sku in dict.fromkeys(skus):
            items = query_all(
                self._client,
                TableName=self._table,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :stock)",
                ExpressionAttributeValues={":pk": {"S": f"SKU#{sku}"}, ":stock": {"S": "STOCK#"}},
            )
            found += [_stock(deserialize(raw)) for raw in items]
        return found

    def _scan(
        self, condition: str, names: dict[str, str], values: dict[str, Any]
    ) -> Iterator[list[dict[str, Any]]]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "FilterExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": serialize(values),
        }
        for page in pages(self._client.scan, **request):
            yield [deserialize(raw) for raw in page.get("Items", [])]

    def published_products(self) -> Iterator[list[ProductState]]:
        for page in self._scan(*_PUBLISHED_FILTER):
            if page:
                yield [_state(item) for item in page]

    def count_published(self) -> int:
        condition, names, values = _PUBLISHED_FILTER
        request: dict[str, Any] = {
            "TableName": self._table,
            "FilterExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": serialize(values),
            "Select": "COUNT",
        }
        return sum(int(page.get("Count", 0)) for page in pages(self._client.scan, **request))

    def changed_since(self, since: str) -> set[str]:
        changed: set[str] = set()
        names = {"#t": "type", "#at": "projected_at"}
        values = {":p": "product", ":s": "stock", ":since": since}
        for page in self._scan("(#t = :p OR #t = :s) AND #at >= :since", names, values):
            for item in page:
                product_id = item.get("product_id") or self.product_of_sku(str(item.get("sku")))
                if product_id:
                    changed.add(str(product_id))
        return changed


_PUBLISHED_FILTER: tuple[str, dict[str, str], dict[str, Any]] = (
    "#t = :t AND #s = :s",
    {"#t": "type", "#s": "status"},
    {":t": "product", ":s": PUBLISHED},
)


def item_version_attribute(item: dict[str, Any]) -> str:
    """What orders writes of an item: a product's catalog version, a stock level's stream sequence."""
    return "sequence" if item.get("type") == "stock" else "version"


def _state(item: dict[str, Any]) -> ProductState:
    snapshot = (
        json.loads(item["snapshot"]) if item.get("status") == PUBLISHED and item.get("snapshot") else None
    )
    return ProductState(product_id=str(item["product_id"]), version=int(item["version"]), snapshot=snapshot)


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
