"""The carts table (layout: ``cart.adapters.records``): carts and the SKU facts projected from the
catalog; stock and locations read from inventory, promotions from pricing's table (through their
``contract`` modules).

Access patterns (no Scan, no index):

* Add to cart / change a quantity: ONE ``BatchGetItem`` (the cart, the SKU's facts, inventory's
  versioned ``locations_config`` item and the SKU's stock items ``SKU#<sku>/LOC#<location>``) and ONE
  conditional ``PutItem`` (``version = :read`` or ``attribute_not_exists(pk)``). Which stock keys to ask
  for comes from the locations this process saw last; when the config item read names one it did not
  ask for (a new location, or the first request of the process), a second ``BatchGetItem`` reads that
  stock. Nothing about locations or stock outlives the request, so a new location or a stock change
  counts on the next request.
* Read a cart: ``GetItem`` (consistent); its SKU facts and pricing's ``CONFIG#promotions`` item: ONE
  ``BatchGetItem`` (``pricing_reads``). A signed-in customer's cart adds to that same call loyalty's member
  summary and redemption rules (``loyalty.contract.member_key``/``loyalty_rules_key``, eventually
  consistent: a preview), so the cart shows what their points are worth without another call.
* Merge at sign-in: ``TransactWriteItems`` of the customer cart and the closed guest cart, each
  conditioned on the version read.
* Enter a promo code or gift certificate: one conditional ``UpdateItem`` per counter of the window (the
  cart's and the address's, ``ATTEMPTS#codes-...``), each refused at its limit.
* ``expires_at`` (epoch seconds) is the table's TTL attribute, pushed out on every write.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from cart.adapters.records import CART_SK, cart_from_item, cart_item, cart_key, facts_from_item, facts_key
from cart.domain.code_entries import too_many_entries
from cart.domain.models import CartOwner, SkuFacts, StoredCart
from cart.domain.ports import CartRead, Stock, VersionConflict

if TYPE_CHECKING:
    from cart.domain.points import MemberPoints
from inventory import contract as inventory_contract
from pricing import contract as pricing_contract
from pricing.domain import Promotion
from shop_kernel.dynamo import batch_get_keys
from shop_kernel.limits import AttemptKey, count_attempt_update

Keys = list[tuple[str, dict[str, Any]]]


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class InventoryStock:
    """Stock and every location, read from the inventory table through ``inventory.contract`` with each
    request (read-only)."""

    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self.table = table
        # The location ids of the last config item read: which stock keys to ask for in the first call.
        # A guess only: the config item read with them decides, and what it adds is read at once.
        self._last_seen: tuple[str, ...] = ()

    @property
    def last_seen(self) -> tuple[str, ...]:
        return self._last_seen

    def keys(self, skus: Sequence[str]) -> Keys:
        """The config item and the stock of ``skus`` at the locations seen last."""
        return [
            (self.table, inventory_contract.locations_config_key()),
            *((self.table, k) for k in inventory_contract.stock_keys(skus, self._last_seen)),
        ]

    def stock(self, skus: Sequence[str], items: Sequence[dict[str, Any]], asked: Sequence[str]) -> Stock:
        """Stock from the items the ``keys`` read found (at the ``asked`` locations), completed for
        locations it did not ask for."""
        directory = inventory_contract.read_directory(self._client, self.table, items)
        missing = inventory_contract.stock_keys(skus, [loc for loc in directory.ids if loc not in set(asked)])
        found = list(items)
        if missing:
            more = batch_get_keys(self._client, [(self.table, k) for k in missing], consistent={self.table})
            found += more.get(self.table, [])
        self._last_seen = directory.ids
        levels = {
            sku: {loc: level.available for loc, level in at.items()}
            for sku, at in inventory_contract.stock_levels(found).items()
        }
        return Stock(levels=levels, warehouses=directory.warehouses, pickup_stores=directory.pickup_stores)


class DynamoCartStore:
    """``CartStore`` on DynamoDB. ``inventory`` is None where availability is not checked."""

    def __init__(
        self,
        client: Any,
        table: str,
        inventory: InventoryStock | None = None,
        promotions_table: str | None = None,
        loyalty_table: str | None = None,
    ) -> None:
        self._client = client
        self.table = table
        self._inventory = inventory
        self.promotions_table = promotions_table
        self.loyalty_table = loyalty_table

    def load(self, owner: CartOwner, skus: Sequence[str], *, with_stock: bool) -> CartRead:
        skus = list(dict.fromkeys(skus))
        # The cart is read consistently: its version decides whether our write may land. Stock and
        # locations too: a level or a location changed a moment ago must count now.
        keys: Keys = [(self.table, cart_key(owner)), *((self.table, facts_key(s)) for s in skus)]
        inventory = self._inventory if with_stock else None
        asked = inventory.last_seen if inventory is not None else ()
        stock_keys = inventory.keys(skus) if inventory is not None else []
        consistent = {self.table} | ({inventory.table} if inventory is not None else set())
        found = batch_get_keys(self._client, [*keys, *stock_keys], consistent=consistent)
        cart, facts = None, {}
        for item in found.get(self.table, []):
            if item["sk"]["S"] == CART_SK:
                cart = cart_from_item(item)
            else:
                fact = facts_from_item(item)
                facts[fact.sku] = fact
        stock = None
        if inventory is not None:
            stock = inventory.stock(skus, found.get(inventory.table, []), asked)
        return CartRead(cart=cart, facts=facts, stock=stock)

    def get(self, owner: CartOwner) -> StoredCart | None:
        item = self._client.get_item(TableName=self.table, Key=cart_key(owner), ConsistentRead=True).get(
            "Item"
        )
        return cart_from_item(item) if item else None

    def facts(self, skus: Sequence[str]) -> Mapping[str, SkuFacts]:
        return self.pricing_reads(skus, with_promotions=False)[0]

    def pricing_reads(
        self, skus: Sequence[str], *, with_promotions: bool = True
    ) -> tuple[Mapping[str, SkuFacts], list[Promotion]]:
        """The SKUs' facts and every promotion (pricing's config item), in one ``BatchGetItem``."""
        facts, promotions, _ = self.display_reads(skus, None, with_promotions=with_promotions)
        return facts, promotions

    def display_reads(
        self, skus: Sequence[str], member_id: str | None, *, with_promotions: bool = True
    ) -> tuple[Mapping[str, SkuFacts], list[Promotion], MemberPoints | None]:
        """``pricing_reads`` and, for a loyalty member, their points and the redemption rules: one
        ``BatchGetItem`` whatever it holds."""
        keys: Keys = [(self.table, facts_key(s)) for s in dict.fromkeys(skus)]
        if with_promotions and self.promotions_table is not None:
            keys.append((self.promotions_table, pricing_contract.promotions_config_key()))
        member_keys = self._member_keys(member_id)
        if not keys and not member_keys:
            return {}, [], None
        found = batch_get_keys(self._client, [*keys, *member_keys])
        facts = {f.sku: f for f in map(facts_from_item, found.get(self.table, []))}
        promotions = pricing_contract.read_promotions(found.get(self.promotions_table or "", []))
        member = None
        if member_keys and member_id is not None:
            member = self._member(member_id, found.get(self.loyalty_table or "", []))
        return facts, promotions, member

    def _member_keys(self, member_id: str | None) -> Keys:
        if member_id is None or self.loyalty_table is None:
            return []
        from loyalty import contract as loyalty_contract  # a customer's cart only (see cart.domain.points)

        return [
            (self.loyalty_table, loyalty_contract.member_key(member_id)),
            (self.loyalty_table, loyalty_contract.loyalty_rules_key()),
        ]

    def _member(self, member_id: str, items: Sequence[dict[str, Any]]) -> MemberPoints:
        from loyalty import contract as loyalty_contract

        from cart.domain.points import MemberPoints

        return MemberPoints(
            member_id=member_id,
            available=loyalty_contract.available_points(items, member_id),
            rules=loyalty_contract.redemption_rules(items),
        )

    def _put(self, owner: CartOwner, cart: StoredCart, expected_version: int) -> dict[str, Any]:
        put: dict[str, Any] = {"TableName": self.table, "Item": cart_item(owner, cart)}
        if expected_version == 0:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "version = :v"
            put["ExpressionAttributeValues"] = {":v": {"N": str(expected_version)}}
        return put

    def count_code_entry(self, keys: Sequence[AttemptKey], now: datetime) -> None:
        """One more code entry on each counter, in order; the first at its limit is a 429."""
        for key in keys:
            try:
                self._client.update_item(**count_attempt_update(self.table, key))
            except ClientError as exc:
                if _code(exc) == "ConditionalCheckFailedException":
                    raise too_many_entries(key, now) from None
                raise

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
