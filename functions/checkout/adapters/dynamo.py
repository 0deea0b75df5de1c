"""``CheckoutStore`` on DynamoDB: the orders table (``checkout.domain.records``) plus the carts,
inventory and promotions tables it reads and writes in one transaction.

Calls per checkout (warm): the cart is one consistent ``GetItem``; the SKU facts, the stock of those
SKUs at every warehouse (and the pickup store), the promo codes with both usage counts and the gift
certificates are ONE ``BatchGetItem`` across the three tables (split only above 100 keys); the order is
ONE ``TransactWriteItems``. Locations and automatic promotions change rarely and are kept for a minute
per process.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from cart.domain.models import CartOwner, SkuFacts, StoredCart
from cart.domain.records import cart_from_item, cart_key, facts_from_item, facts_key
from checkout.domain.fraud import VelocityKey
from checkout.domain.models import Order
from checkout.domain.payments import OrderChanged
from checkout.domain.ports import CheckoutInputs, Refusal, TransactionRefused
from checkout.domain.records import (
    GSI,
    PENDING_PAYMENT_GSI_PK,
    order_from_item,
    order_key,
    order_update_item,
    owner_pk,
    velocity_key,
)
from inventory.domain.models import Location, LocationKind, StockLevel
from inventory.domain.records import GSI as INVENTORY_GSI
from inventory.domain.records import LOCATIONS_GSI_PK, ReservationStatus, reservation_key, stock_key
from inventory.domain.reservations import Reservation, release_transact_items
from pricing.domain import CodeUsage, Customer, GiftCertificate, PromoCode, Promotion, normalise_code
from pricing.domain.records import (
    PROMOTIONS_PK,
    code_key,
    gift_certificate_from_item,
    gift_key,
    promo_code_from_item,
    promotion_from_item,
    usage_from_items,
    use_key,
)
from shop_kernel.dynamo import batch_get_all, deserialize, query_all

CACHE_TTL_S = 60.0
BATCH_GET_LIMIT = 100


class _Cached:
    """A value read at most once per ``CACHE_TTL_S`` in this process."""

    def __init__(self) -> None:
        self._at = 0.0
        self._value: Any = None

    def get(self, load: Any) -> Any:
        if self._value is None or time.monotonic() - self._at >= CACHE_TTL_S:
            self._value, self._at = load(), time.monotonic()
        return self._value


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


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class DynamoCheckoutStore:
    def __init__(self, client: Any, *, orders: str, carts: str, inventory: str, promotions: str) -> None:
        self._client = client
        self.orders_table, self.carts_table = orders, carts
        self.inventory_table, self.promotions_table = inventory, promotions
        self._locations = _Cached()
        self._promotions = _Cached()

    # --- reads for a checkout ---------------------------------------------------------------------

    def cart(self, owner: CartOwner) -> StoredCart | None:
        item = self._client.get_item(TableName=self.carts_table, Key=cart_key(owner), ConsistentRead=True)
        return cart_from_item(item["Item"]) if "Item" in item else None

    def locations(self) -> dict[str, Location]:
        def load() -> dict[str, Location]:
            items = query_all(
                self._client,
                TableName=self.inventory_table,
                IndexName=INVENTORY_GSI,
                KeyConditionExpression="gsi1pk = :pk",
                ExpressionAttributeValues={":pk": {"S": LOCATIONS_GSI_PK}},
            )
            found = [Location.model_validate_json(deserialize(i)["doc"]) for i in items]
            return {location.id: location for location in found}

        return self._locations.get(load)  # type: ignore[no-any-return]

    def all_promotions(self) -> list[Promotion]:
        def load() -> list[Promotion]:
            items = query_all(
                self._client,
                TableName=self.promotions_table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": PROMOTIONS_PK}},
            )
            return [promotion_from_item(i) for i in items]

        return self._promotions.get(load)  # type: ignore[no-any-return]

    def inputs(self, cart: StoredCart, customer: Customer, location_ids: Sequence[str]) -> CheckoutInputs:
        locations = self.locations()
        candidates = [k for k, v in locations.items() if v.kind == LocationKind.WAREHOUSE]
        candidates += [k for k in location_ids if k not in candidates]
        skus = list(dict.fromkeys(line.sku for line in cart.lines))
        keys: list[tuple[str, dict[str, Any]]] = [(self.carts_table, facts_key(sku)) for sku in skus]
        keys += [(self.inventory_table, stock_key(sku, loc)) for sku in skus for loc in candidates]
        keys += [(self.promotions_table, k) for k in self._code_keys(cart, customer)]
        found = self._batch(keys)
        facts: dict[str, SkuFacts] = {}
        for item in found.get(self.carts_table, []):
            fact = facts_from_item(item)
            facts[fact.sku] = fact
        stock: dict[str, dict[str, StockLevel]] = {}
        for raw in found.get(self.inventory_table, []):
            item = deserialize(raw)
            level = StockLevel(
                sku=item["sku"],
                location_id=item["location_id"],
                on_hand=item["on_hand"],
                reserved=item["reserved"],
                available=item["available"],
                version=item["version"],
            )
            stock.setdefault(level.sku, {})[level.location_id] = level
        promotions = PrefetchedPromotions(self.all_promotions(), found.get(self.promotions_table, []))
        return CheckoutInputs(facts=facts, stock=stock, locations=locations, promotions=promotions)

    def _code_keys(self, cart: StoredCart, customer: Customer) -> list[dict[str, Any]]:
        keys = []
        for raw in cart.promo_codes:
            code = normalise_code(raw)
            keys.append(code_key(code))
            if customer.redemption_key:
                keys.append(use_key(code, customer.redemption_key))
        keys += [gift_key(normalise_code(raw)) for raw in cart.gift_certificates]
        return list({(k["pk"]["S"], k["sk"]["S"]): k for k in keys}.values())

    def _batch(self, keys: Sequence[tuple[str, dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {}
        for start in range(0, len(keys), BATCH_GET_LIMIT):
            request: dict[str, Any] = {}
            for table, key in keys[start : start + BATCH_GET_LIMIT]:
                # Usage counts and balances decide whether a code or certificate may be used: read them
                # consistently; facts and stock are guarded by the transaction's conditions anyway.
                entry = request.setdefault(table, {"Keys": []})
                entry["Keys"].append(key)
                if table == self.promotions_table:
                    entry["ConsistentRead"] = True
            for table, items in batch_get_all(self._client, request).items():
                found.setdefault(table, []).extend(items)
        return found

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

    def unpaid_orders(self, now: str, limit: int = 50) -> list[str]:
        """Orders still waiting for payment whose deadline is ``now`` or earlier (oldest first)."""
        response = self._client.query(
            TableName=self.orders_table,
            IndexName=GSI,
            KeyConditionExpression="gsi1pk = :pk AND gsi1sk <= :now",
            ExpressionAttributeValues={":pk": {"S": PENDING_PAYMENT_GSI_PK}, ":now": {"S": f"{now}#~"}},
            Limit=limit,
        )
        return [deserialize(i)["order_id"] for i in response.get("Items", [])]

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
