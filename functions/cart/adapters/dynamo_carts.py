"""The carts table (layout: ``cart.domain.records``): carts and the SKU facts projected from the
catalog; stock read from inventory.

Access patterns (no Scan, no index):

* Add to cart / change a quantity: ONE ``BatchGetItem`` (the cart, the SKU's facts, and the SKU's
  stock items ``SKU#<sku>/LOC#<location>`` in the inventory table) and ONE conditional ``PutItem``
  (``version = :read`` or ``attribute_not_exists(pk)``). The inventory's location list (a Query on its
  ``gsi1``) is kept for five minutes per process.
* Read a cart: ``GetItem`` (consistent); its SKU facts: ``BatchGetItem``.
* Merge at sign-in: ``TransactWriteItems`` of the customer cart and the closed guest cart, each
  conditioned on the version read.
* ``expires_at`` (epoch seconds) is the table's TTL attribute, pushed out on every write.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError

from cart.domain.models import CartOwner, SkuFacts, StoredCart
from cart.domain.ports import CartRead, Stock, VersionConflict
from cart.domain.records import CART_SK, cart_from_item, cart_item, cart_key, facts_from_item, facts_key
from inventory.domain.records import GSI as INVENTORY_GSI
from inventory.domain.records import LOCATIONS_GSI_PK, stock_key
from shop_kernel.dynamo import batch_get_all, deserialize, query_all

BATCH_GET_LIMIT = 100
LOCATIONS_TTL_S = 300.0


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class InventoryStock:
    """Stock items of the inventory table (layout: ``inventory.domain.records``), read-only."""

    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self.table = table
        self._locations: tuple[float, dict[str, dict[str, Any]]] | None = None

    def locations(self) -> dict[str, dict[str, Any]]:
        cached = self._locations
        if cached is not None and time.monotonic() - cached[0] < LOCATIONS_TTL_S:
            return cached[1]
        items = query_all(
            self._client,
            TableName=self.table,
            IndexName=INVENTORY_GSI,
            KeyConditionExpression="gsi1pk = :pk",
            ExpressionAttributeValues={":pk": {"S": LOCATIONS_GSI_PK}},
        )
        found = {doc["id"]: doc for doc in (json.loads(deserialize(item)["doc"]) for item in items)}
        self._locations = (time.monotonic(), found)
        return found

    def keys(self, skus: Sequence[str]) -> list[dict[str, Any]]:
        return [stock_key(sku, location) for sku in skus for location in self.locations()]

    def stock(self, items: Sequence[dict[str, Any]]) -> Stock:
        levels: dict[str, dict[str, int]] = {}
        for raw in items:
            item = deserialize(raw)
            levels.setdefault(item["sku"], {})[item["location_id"]] = int(item.get("available", 0))
        locations = self.locations()
        return Stock(
            levels=levels,
            warehouses=frozenset(k for k, v in locations.items() if v.get("kind") == "warehouse"),
            pickup_stores=frozenset(
                k for k, v in locations.items() if v.get("kind") == "store" and v.get("pickup")
            ),
        )


class DynamoCartStore:
    """``CartStore`` on DynamoDB. ``inventory`` is None where availability is not checked."""

    def __init__(self, client: Any, table: str, inventory: InventoryStock | None = None) -> None:
        self._client = client
        self.table = table
        self._inventory = inventory

    def _batch_get(self, request: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        return batch_get_all(self._client, request)

    def load(self, owner: CartOwner, skus: Sequence[str], *, with_stock: bool) -> CartRead:
        skus = list(dict.fromkeys(skus))
        # The cart is read consistently: its version decides whether our write may land.
        request: dict[str, Any] = {
            self.table: {"Keys": [cart_key(owner), *(facts_key(s) for s in skus)], "ConsistentRead": True}
        }
        inventory = self._inventory if with_stock and skus else None
        if inventory is not None and (keys := inventory.keys(skus)):
            request[inventory.table] = {"Keys": keys[: BATCH_GET_LIMIT - len(request[self.table]["Keys"])]}
        found = self._batch_get(request)
        cart, facts = None, {}
        for item in found.get(self.table, []):
            if item["sk"]["S"] == CART_SK:
                cart = cart_from_item(item)
            else:
                fact = facts_from_item(item)
                facts[fact.sku] = fact
        stock = inventory.stock(found.get(inventory.table, [])) if inventory is not None else None
        if with_stock and not skus and self._inventory is not None:
            stock = self._inventory.stock([])
        return CartRead(cart=cart, facts=facts, stock=stock)

    def get(self, owner: CartOwner) -> StoredCart | None:
        item = self._client.get_item(TableName=self.table, Key=cart_key(owner), ConsistentRead=True).get(
            "Item"
        )
        return cart_from_item(item) if item else None

    def facts(self, skus: Sequence[str]) -> Mapping[str, SkuFacts]:
        unique = list(dict.fromkeys(skus))
        facts: dict[str, SkuFacts] = {}
        for start in range(0, len(unique), BATCH_GET_LIMIT):
            keys = [facts_key(s) for s in unique[start : start + BATCH_GET_LIMIT]]
            for item in self._batch_get({self.table: {"Keys": keys}}).get(self.table, []):
                fact = facts_from_item(item)
                facts[fact.sku] = fact
        return facts

    def _put(self, owner: CartOwner, cart: StoredCart, expected_version: int) -> dict[str, Any]:
        put: dict[str, Any] = {"TableName": self.table, "Item": cart_item(owner, cart)}
        if expected_version == 0:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "version = :v"
            put["ExpressionAttributeValues"] = {":v": {"N": str(expected_version)}}
        return put

    def save(self, owner: CartOwner, cart: StoredCart, expected_version: int) -> None:
        try:
            self._client.put_item(**self._put(owner, cart, expected_version))
        except ClientError as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                raise VersionConflict from exc
            raise

    def save_merge(
        self,
        customer: CartOwner,
        cart: StoredCart,
        expected_version: int,
        guest: CartOwner,
        closed_guest: StoredCart,
        guest_version: int,
    ) -> None:
        items = [
            {"Put": self._put(customer, cart, expected_version)},
            {"Put": self._put(guest, closed_guest, guest_version)},
        ]
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if _code(exc) == "TransactionCanceledException":
                raise VersionConflict from exc
            raise
