"""``CheckoutStore`` on DynamoDB: the orders table (``checkout.adapters.records``) plus the carts,
inventory and promotions tables it reads and writes in one transaction.

Calls per checkout (warm): the cart is one consistent ``GetItem``; the SKU facts, the stock of those
SKUs at every warehouse (and the pickup store), the promo codes with both usage counts and the gift
certificates are ONE ``BatchGetItem`` across the three tables (split only above 100 keys); the order is
ONE ``TransactWriteItems``. Inventory's versioned ``locations_config`` item and pricing's
``CONFIG#promotions`` item are read in that same ``BatchGetItem``, so a new location, stock level or
promotion counts on the next checkout and nothing is kept between requests. Which stock keys to ask for
comes from the locations this process saw last; when the config item read names a warehouse it did not
ask for (a new one, or the first checkout of the process), a second ``BatchGetItem`` reads that stock.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from cart.adapters.records import cart_from_item, cart_key, facts_from_item, facts_key
from cart.domain.models import CartOwner, StoredCart
from checkout.adapters.records import (
    GSI,
    PENDING_PAYMENT_GSI_PK,
    order_from_item,
    order_key,
    order_update_item,
    owner_pk,
    velocity_key,
)
from checkout.domain.fraud import VelocityKey
from checkout.domain.models import Order
from checkout.domain.payments import OrderChanged
from checkout.domain.ports import CheckoutInputs, Refusal, TransactionRefused
from checkout.domain.throttle import too_many_checkouts
from inventory.adapters.records import GSI as INVENTORY_GSI
from inventory.adapters.records import (
    LOCATIONS_CONFIG_PK,
    LOCATIONS_GSI_PK,
    LocationDirectory,
    locations_config_key,
    release_transact_items,
    reservation_key,
    stock_key,
)
from inventory.domain.models import Location, StockLevel
from inventory.domain.reservations import Reservation, ReservationStatus
from pricing.adapters.records import (
    code_key,
    gift_certificate_from_item,
    gift_key,
    is_promotions_config,
    promo_code_from_item,
    promotions_config_key,
    promotions_from_config,
    usage_from_items,
    use_key,
)
from pricing.domain import CodeUsage, Customer, GiftCertificate, PromoCode, Promotion, normalise_code
from shop_kernel.dynamo import batch_get_all, batch_get_keys, deserialize, query_all
from shop_kernel.limits import AttemptKey, count_attempt_update

Keys = list[tuple[str, dict[str, Any]]]


class PrefetchedPromotions:
    """``PromotionStore`` + ``CodeRedemptions`` + ``GiftCertificates`` over items read in one batch."""

    def __init__(
        self,
        promotions: Sequence[Promotion],
        items: Sequence[dict[str, Any]],
    ) -> None:
        self._promotions = {p.id: p for p in promotions}
        self._items = list(items)
        self._plain = [deserialize({"pk": i["pk"], "sk": i["sk"]}) for i in self._items]

    def _item(self, pk: str, sk: str) -> dict[str, Any] | None:
        return next(
            (i for i, k in zip(self._items, self._plain, strict=True) if k == {"pk": pk, "sk": sk}), None
        )

    def automatic(self, now: datetime) -> Sequence[Promotion]:
        return [p for p in self._promotions.values() if p.automatic]

    def promotion(self, promotion_id: str) -> Promotion | None:
        return self._promotions.get(promotion_id)

    def find_code(self, code: str) -> PromoCode | None:
        item = self._item(f"CODE#{code}", "CODE")
        return promo_code_from_item(item) if item else None

    def usage(self, code: str, customer_key: str | None) -> CodeUsage:
        return usage_from_items(self._items, code, customer_key)

    def find(self, code: str) -> GiftCertificate | None:
        item = self._item(f"GIFT#{code}", "GIFT")
        return gift_certificate_from_item(code, item) if item else None


def _levels(items: Sequence[dict[str, Any]], locations: set[str]) -> dict[str, dict[str, StockLevel]]:
    """Stock levels by SKU and location, of the ``locations`` planned from (the config item is skipped)."""
    stock: dict[str, dict[str, StockLevel]] = {}
    for raw in items:
        if raw["pk"]["S"] == LOCATIONS_CONFIG_PK:
            continue
        item = deserialize(raw)
        if item["location_id"] not in locations:
            continue
        level = StockLevel(
            sku=item["sku"],
            location_id=item["location_id"],
            on_hand=item["on_hand"],
            reserved=item["reserved"],
            available=item["available"],
            version=item["version"],
        )
        stock.setdefault(level.sku, {})[level.location_id] = level
    return stock


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


# A table's name, or what reads it when the store first needs it (a setting this function may not have).
TableName = str | Callable[[], str]


class DynamoCheckoutStore:
    def __init__(
        self, client: Any, *, orders: TableName, carts: TableName, inventory: TableName, promotions: TableName
    ) -> None:
        """Each table is named, or given by a function read when the store first uses that table: a
        function wires the store once and is given (and granted) only the tables it uses."""
        self._client = client
        self._names = {"orders": orders, "carts": carts, "inventory": inventory, "promotions": promotions}
        # The warehouses of the last locations config read: which stock keys the first call asks for.
        # A guess only: the config item read with them decides, and what it adds is read at once.
        self._last_warehouses: tuple[str, ...] = ()

    def _table(self, role: str) -> str:
        name = self._names[role]
        return name if isinstance(name, str) else name()

    @property
    def orders_table(self) -> str:
        return self._table("orders")

    @property
    def carts_table(self) -> str:
        return self._table("carts")

    @property
    def inventory_table(self) -> str:
        return self._table("inventory")

    @property
    def promotions_table(self) -> str:
        return self._table("promotions")

    # --- reads for a checkout ---------------------------------------------------------------------

    def cart(self, owner: CartOwner) -> StoredCart | None:
        item = self._client.get_item(TableName=self.carts_table, Key=cart_key(owner), ConsistentRead=True)
        return cart_from_item(item["Item"]) if "Item" in item else None

    def inputs(self, cart: StoredCart, customer: Customer, location_ids: Sequence[str]) -> CheckoutInputs:
        skus = list(dict.fromkeys(line.sku for line in cart.lines))
        guessed = [*self._last_warehouses, *(k for k in location_ids if k not in self._last_warehouses)]
        keys: Keys = [(self.carts_table, facts_key(sku)) for sku in skus]
        keys += [
            (self.inventory_table, locations_config_key()),
            (self.promotions_table, promotions_config_key()),
        ]
        keys += self._stock_keys(skus, guessed)
        keys += [(self.promotions_table, k) for k in self._code_keys(cart, customer)]
        # Usage counts and balances decide whether a code or certificate may be used, and the locations
        # which stock may be planned: read them consistently; facts and stock are guarded by the
        # transaction's conditions anyway.
        found = batch_get_keys(self._client, keys, consistent={self.promotions_table, self.inventory_table})
        inventory_items = found.get(self.inventory_table, [])
        directory = self._directory(inventory_items)
        candidates = [
            *sorted(directory.warehouses),
            *(k for k in location_ids if k not in directory.warehouses),
        ]
        if missing := [k for k in candidates if k not in guessed]:
            more = batch_get_keys(
                self._client, self._stock_keys(skus, missing), consistent={self.inventory_table}
            )
            inventory_items = [*inventory_items, *more.get(self.inventory_table, [])]
        self._last_warehouses = tuple(sorted(directory.warehouses))
        facts = {f.sku: f for f in map(facts_from_item, found.get(self.carts_table, []))}
        promotion_items = found.get(self.promotions_table, [])
        config = next((i for i in promotion_items if is_promotions_config(i)), None)
        promotions = PrefetchedPromotions(promotions_from_config(config), promotion_items)
        locations = {k: Location.model_validate(doc) for k, doc in directory.documents.items()}
        stock = _levels(inventory_items, set(candidates))
        return CheckoutInputs(facts=facts, stock=stock, locations=locations, promotions=promotions)

    def _stock_keys(self, skus: Sequence[str], location_ids: Sequence[str]) -> Keys:
        return [(self.inventory_table, stock_key(sku, loc)) for sku in skus for loc in location_ids]

    def _directory(self, inventory_items: Sequence[dict[str, Any]]) -> LocationDirectory:
        config = next((i for i in inventory_items if i["pk"]["S"] == LOCATIONS_CONFIG_PK), None)
        if config is not None:
            return LocationDirectory.from_item(config)
        # Locations written before the config item existed: their index, until the next location write.
        items = query_all(
            self._client,
            TableName=self.inventory_table,
            IndexName=INVENTORY_GSI,
            KeyConditionExpression="gsi1pk = :pk",
            ExpressionAttributeValues={":pk": {"S": LOCATIONS_GSI_PK}},
        )
        docs = [json.loads(deserialize(i)["doc"]) for i in items]
        return LocationDirectory(documents={doc["id"]: doc for doc in docs})

    def _code_keys(self, cart: StoredCart, customer: Customer) -> list[dict[str, Any]]:
        keys = []
        for raw in cart.promo_codes:
            code = normalise_code(raw)
            keys.append(code_key(code))
            if customer.redemption_key:
                keys.append(use_key(code, customer.redemption_key))
        keys += [gift_key(normalise_code(raw)) for raw in cart.gift_certificates]
        return list({(k["pk"]["S"], k["sk"]["S"]): k for k in keys}.values())

    # --- writes ---------------------------------------------------------------------------------

    def transact(self, entries: Sequence[dict[str, Any]]) -> None:
        try:
            self._client.transact_write_items(TransactItems=list(entries))
        except ClientError as exc:
            if _code(exc) != "TransactionCanceledException":
                raise
            reasons = exc.response.get("CancellationReasons") or []
            refusals = [
                Refusal(index=i, code=str(r.get("Code")), item=r.get("Item"))
                for i, r in enumerate(reasons)
                if r.get("Code") not in (None, "None")
            ]
            # ConditionalCheckFailed: a guarded fact changed. TransactionConflict: another transaction
            # held one of the items at that moment; the caller plans again either way.
            raise TransactionRefused(refusals) from exc

    # --- orders ---------------------------------------------------------------------------------

    def count_attempt(self, keys: Sequence[AttemptKey], now: datetime) -> None:
        """One more checkout on each source's counter, in order; the first at its limit is a 429 (the
        sources before it keep the count: a refused attempt was still an attempt)."""
        for key in keys:
            try:
                self._client.update_item(**count_attempt_update(self.orders_table, key))
            except ClientError as exc:
                if _code(exc) == "ConditionalCheckFailedException":
                    raise too_many_checkouts(key, now) from None
                raise

    def save_order(self, order: Order, expected_version: int) -> None:
        """Write the order's next version if it is still at ``expected_version``."""
        try:
            self._client.put_item(**order_update_item(self.orders_table, order, expected_version)["Put"])
        except ClientError as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                raise OrderChanged from exc
            raise

    def release_reservation(self, reservation_id: str, now: datetime) -> bool:
        """Give a cancelled order's stock back, once: False when the reservation was already finished."""
        item = self._client.get_item(
            TableName=self.inventory_table, Key=reservation_key(reservation_id), ConsistentRead=True
        ).get("Item")
        if item is None:
            return False
        reservation = Reservation.from_item(deserialize(item))
        if reservation.status != ReservationStatus.ACTIVE:
            return False
        try:
            self.transact(release_transact_items(reservation, now, table_name=self.inventory_table))
        except TransactionRefused:
            return False  # finished by someone else (expiry, the sweeper) in the meantime
        return True

    def order(self, order_id: str) -> Order | None:
        item = self._client.get_item(
            TableName=self.orders_table, Key=order_key(order_id), ConsistentRead=True
        )
        return order_from_item(item["Item"]) if "Item" in item else None

    def orders(self, order_ids: Sequence[str]) -> list[Order]:
        """The orders with these ids (one BatchGetItem of at most 100), in the order asked."""
        if not order_ids:
            return []
        request = {self.orders_table: {"Keys": [order_key(i) for i in order_ids]}}
        found = {
            o.id: o
            for o in map(order_from_item, batch_get_all(self._client, request).get(self.orders_table, []))
        }
        return [found[i] for i in order_ids if i in found]

    def orders_of(self, kind: str, key: str, limit: int = 20) -> list[str]:
        """The buyer's order ids, newest first."""
        response = self._client.query(
            TableName=self.orders_table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :orders)",
            ExpressionAttributeValues={":pk": {"S": owner_pk(kind, key)}, ":orders": {"S": "ORDER#"}},
            ScanIndexForward=False,
            Limit=limit,
        )
        return [deserialize(i)["order_id"] for i in response.get("Items", [])]

    def unpaid_orders(
        self, now: str, limit: int = 50, after: dict[str, Any] | None = None
    ) -> tuple[list[str], dict[str, Any] | None]:
        """One page of the orders still waiting for payment whose deadline is ``now`` or earlier (oldest
        first), from ``after`` (the previous page's position), and the position after it (None: the end)."""
        query: dict[str, Any] = {
            "TableName": self.orders_table,
            "IndexName": GSI,
            "KeyConditionExpression": "gsi1pk = :pk AND gsi1sk <= :now",
            "ExpressionAttributeValues": {":pk": {"S": PENDING_PAYMENT_GSI_PK}, ":now": {"S": f"{now}#~"}},
            "Limit": limit,
        }
        if after is not None:
            query["ExclusiveStartKey"] = after
        response = self._client.query(**query)
        ids = [deserialize(i)["order_id"] for i in response.get("Items", [])]
        return ids, response.get("LastEvaluatedKey")

    def velocity(self, keys: Sequence[VelocityKey]) -> Mapping[VelocityKey, int]:
        if not keys:
            return {}
        by_key = {(velocity_key(k)["pk"]["S"], k.bucket): k for k in keys}
        request = {self.orders_table: {"Keys": [velocity_key(k) for k in keys], "ConsistentRead": True}}
        counts = {k: 0 for k in keys}
        for raw in batch_get_all(self._client, request).get(self.orders_table, []):
            item = deserialize(raw)
            counts[by_key[(item["pk"], item["sk"])]] = int(item.get("count", 0))
        return counts
