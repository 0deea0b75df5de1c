"""``CheckoutStore`` on DynamoDB: the orders, carts, inventory, promotions and loyalty tables it reads and
writes in one transaction, through their owners' contract modules (``orders.contract``, ``cart.contract``,
``inventory.contract``, ``pricing.contract``, ``loyalty.contract`` for gift certificates and points), and
checkout's own counters (``checkout.adapters.counters``).

Calls per checkout (warm): the cart is one consistent ``GetItem``; the SKU facts, the stock of those
SKUs at every warehouse (and the pickup store), the promo codes with both usage counts and the gift
certificates (and, when the customer pays with points, their loyalty summary and the redemption rules)
are ONE ``BatchGetItem`` across the tables (split only above 100 keys); the order is
ONE ``TransactWriteItems`` (``DynamoUnitOfWork``). Inventory's versioned ``locations_config`` item and
pricing's ``CONFIG#promotions`` item are read in that same ``BatchGetItem``, so a new location, stock
level or promotion counts on the next checkout and nothing is kept between requests. Which stock keys to
ask for comes from the locations this process saw last; when the config item read names a warehouse it
did not ask for (a new one, or the first checkout of the process), a second ``BatchGetItem`` reads that
stock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError
from loyalty import contract as loyalty_contract

from cart import contract as cart_contract
from cart.domain.models import CartOwner, StoredCart
from checkout.adapters import counters
from checkout.adapters.counters import velocity_key
from checkout.domain.fraud import VelocityKey
from checkout.domain.points import MemberPoints
from checkout.domain.ports import CheckoutInputs
from checkout.domain.throttle import too_many_checkouts
from inventory import contract as inventory_contract
from inventory.domain.allocation import ReservationPlan
from inventory.domain.models import Location, StockLevel
from inventory.domain.reservations import HoldFinished, Reservation, ReservationStatus, ReservedLine
from orders import contract as orders_contract
from orders.domain.models import Order, PointsTender
from pricing import contract as pricing_contract
from pricing.domain import (
    CodeRedemption,
    CodeUsage,
    Customer,
    GiftCertificate,
    GiftCertificateRedemption,
    PromoCode,
    Promotion,
    normalise_code,
)
from shop_kernel.dynamo import batch_get_all, batch_get_keys, deserialize
from shop_kernel.limits import AttemptKey, count_attempt_update
from shop_kernel.money import Money
from shop_kernel.transact import Reason, TransactPart, WriteContended, refusal

Keys = list[tuple[str, dict[str, Any]]]


def _levels(
    levels: Mapping[str, Mapping[str, StockLevel]], locations: set[str]
) -> dict[str, dict[str, StockLevel]]:
    """The stock levels at the ``locations`` planned from."""
    return {sku: {loc: level for loc, level in at.items() if loc in locations} for sku, at in levels.items()}


def _moment(at: str) -> datetime:
    return datetime.fromisoformat(at.replace("Z", "+00:00"))


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


# A table's name, or what reads it when the store first needs it (a setting this function may not have).
TableName = str | Callable[[], str]


class DynamoUnitOfWork:
    """``UnitOfWork``: the parts of one ``TransactWriteItems``, checkout's own (``counters``) and the
    owners' (their contract modules); a cancellation is handed back to each part to name its error."""

    def __init__(self, client: Any, table: Callable[[str], str]) -> None:
        self._client = client
        self._table = table
        self.parts: list[TransactPart] = []

    def __len__(self) -> int:
        return sum(len(part) for part in self.parts)

    def close_cart(
        self, owner: CartOwner, cart: StoredCart, order_id: str, checkout_ref: str, at: str
    ) -> None:
        self.parts.append(
            cart_contract.close_cart(self._table("carts"), owner, cart, order_id, checkout_ref, at)
        )

    def add_order(self, order: Order) -> None:
        self.parts.append(orders_contract.new_order(self._table("orders"), order))

    def update_order(self, order: Order, expected_version: int) -> None:
        self.parts.append(orders_contract.update_order(self._table("orders"), order, expected_version))

    def reserve(self, plan: ReservationPlan, reservation_id: str, order_id: str, hold: timedelta) -> None:
        table = self._table("inventory")
        self.parts.append(inventory_contract.reserve(table, plan, reservation_id, order_id, hold))

    def extend_hold(self, reservation_id: str, expires_at: int) -> None:
        self.parts.append(
            inventory_contract.extend_hold(self._table("inventory"), reservation_id, expires_at)
        )

    def redeem_code(self, redemption: CodeRedemption) -> None:
        self.parts.append(pricing_contract.redeem_code(self._table("promotions"), redemption))

    def debit_certificate(self, redemption: GiftCertificateRedemption, order_id: str, at: str) -> None:
        self.parts.append(
            loyalty_contract.debit_certificate(
                self._table("loyalty"),
                redemption.code,
                redemption.amount,
                redemption.expected_balance,
                order_id,
                at,
            )
        )

    def record_answer(self, part: TransactPart) -> None:
        self.parts.append(part)

    def debit_points(self, points: PointsTender, order_id: str, at: str) -> None:
        table = self._table("loyalty")
        self.parts.append(
            loyalty_contract.debit_points(table, points.member_id, points.points, order_id, _moment(at))
        )

    def restore_points(self, points: PointsTender, order_id: str, at: str) -> None:
        table = self._table("loyalty")
        self.parts.append(
            loyalty_contract.restore_points(table, points.member_id, points.points, order_id, _moment(at))
        )

    def restore_code(self, redemption: CodeRedemption) -> None:
        self.parts.append(pricing_contract.restore_code(self._table("promotions"), redemption))

    def restore_certificate(self, code: str, amount: Money, order_id: str, at: str) -> None:
        table = self._table("loyalty")
        self.parts.append(loyalty_contract.restore_certificate(table, code, amount, order_id, at))

    def count_velocity(self, keys: Sequence[VelocityKey], now: datetime) -> None:
        self.parts.append(counters.velocity_counts(self._table("orders"), list(keys), now))

    def commit_stock(self, reservation: Reservation, lines: Sequence[ReservedLine], now: datetime) -> None:
        self.parts.append(inventory_contract.commit_lines(self._table("inventory"), reservation, lines, now))

    def release_stock(self, reservation: Reservation, lines: Sequence[ReservedLine], now: datetime) -> None:
        self.parts.append(inventory_contract.release_lines(self._table("inventory"), reservation, lines, now))

    def release(self, reservation: Reservation, now: datetime) -> None:
        """A cancelled order's stock given back (the orders stream's own transaction, after the cancel)."""
        self.parts.append(inventory_contract.release(self._table("inventory"), reservation, now))

    def commit(self) -> None:
        """All parts or none. ConditionalCheckFailed: a guarded fact changed, and the part it belongs to
        names the error; TransactionConflict alone: another transaction held an item (``WriteContended``)."""
        try:
            self._client.transact_write_items(TransactItems=[e for part in self.parts for e in part.entries])
        except ClientError as exc:
            if _code(exc) != "TransactionCanceledException":
                raise
            reasons = [Reason.from_response(r) for r in exc.response.get("CancellationReasons") or []]
            raise refusal(self.parts, reasons) from exc


class _Lookups:
    """Promotions and codes (pricing's, prefetched) and gift certificates (loyalty's), as one checkout
    read them: the ``PromotionLookups`` the service prices with."""

    def __init__(self, promotions: pricing_contract.Prefetched, loyalty_items: Sequence[dict[str, Any]]):
        self._promotions = promotions
        self._certificates = {(i["pk"]["S"], i["sk"]["S"]): i for i in loyalty_items}

    def automatic(self, now: datetime) -> Sequence[Promotion]:
        return self._promotions.automatic(now)

    def promotion(self, promotion_id: str) -> Promotion | None:
        return self._promotions.promotion(promotion_id)

    def find_code(self, code: str) -> PromoCode | None:
        return self._promotions.find_code(code)

    def usage(self, code: str, customer_key: str | None) -> CodeUsage:
        return self._promotions.usage(code, customer_key)

    def find(self, code: str) -> GiftCertificate | None:
        key = loyalty_contract.certificate_key(code)
        found = loyalty_contract.read_certificate(
            code, self._certificates.get((key["pk"]["S"], key["sk"]["S"]))
        )
        if found is None:
            return None
        return GiftCertificate(code=found.code, balance=found.balance, expires_at=found.expires_at)


class DynamoCheckoutStore:
    def __init__(
        self,
        client: Any,
        *,
        orders: TableName,
        carts: TableName,
        inventory: TableName,
        promotions: TableName,
        loyalty: TableName,
    ) -> None:
        """Each table is named, or given by a function read when the store first uses that table: a
        function wires the store once and is given (and granted) only the tables it uses. Loyalty's
        table is used only by orders paid with gift certificates or points (their debit and give-back)."""
        self._client = client
        self._names = {
            "orders": orders,
            "carts": carts,
            "inventory": inventory,
            "promotions": promotions,
            "loyalty": loyalty,
        }
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

    @property
    def loyalty_table(self) -> str:
        return self._table("loyalty")

    # --- reads for a checkout ---------------------------------------------------------------------

    def cart(self, owner: CartOwner) -> StoredCart | None:
        key = cart_contract.cart_key(owner)
        item = self._client.get_item(TableName=self.carts_table, Key=key, ConsistentRead=True)
        return cart_contract.read_cart(item["Item"]) if "Item" in item else None

    def inputs(
        self, cart: StoredCart, customer: Customer, location_ids: Sequence[str], member_id: str | None = None
    ) -> CheckoutInputs:
        skus = list(dict.fromkeys(line.sku for line in cart.lines))
        guessed = [*self._last_warehouses, *(k for k in location_ids if k not in self._last_warehouses)]
        keys: Keys = [(self.carts_table, cart_contract.facts_key(sku)) for sku in skus]
        keys += [
            (self.inventory_table, inventory_contract.locations_config_key()),
            (self.promotions_table, pricing_contract.promotions_config_key()),
        ]
        keys += self._stock_keys(skus, guessed)
        keys += [(self.promotions_table, k) for k in self._code_keys(cart, customer)]
        keys += self._certificate_keys(cart)
        consistent = {self.promotions_table, self.inventory_table}
        if cart.gift_certificates:
            consistent.add(self.loyalty_table)
        if member_id is not None:
            keys += [
                (self.loyalty_table, loyalty_contract.member_key(member_id)),
                (self.loyalty_table, loyalty_contract.loyalty_rules_key()),
            ]
            consistent.add(self.loyalty_table)
        # Usage counts, balances and points decide whether a code, certificate or points may be used, and
        # the locations which stock may be planned: read them consistently; facts and stock are guarded by
        # the transaction's conditions anyway.
        found = batch_get_keys(self._client, keys, consistent=consistent)
        inventory_items = found.get(self.inventory_table, [])
        directory = inventory_contract.read_directory(self._client, self.inventory_table, inventory_items)
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
        facts = {f.sku: f for f in map(cart_contract.read_facts, found.get(self.carts_table, []))}
        promotions = _Lookups(
            pricing_contract.Prefetched(found.get(self.promotions_table, [])),
            found.get(self.loyalty_table, []) if cart.gift_certificates else [],
        )
        locations = {k: Location.model_validate(doc) for k, doc in directory.documents.items()}
        stock = _levels(inventory_contract.stock_levels(inventory_items), set(candidates))
        member = None
        if member_id is not None:
            held = found.get(self.loyalty_table, [])
            member = MemberPoints(
                member_id=member_id,
                available=loyalty_contract.available_points(held, member_id),
                rules=loyalty_contract.redemption_rules(held),
            )
        return CheckoutInputs(
            facts=facts, stock=stock, locations=locations, promotions=promotions, member=member
        )

    def _stock_keys(self, skus: Sequence[str], location_ids: Sequence[str]) -> Keys:
        return [(self.inventory_table, k) for k in inventory_contract.stock_keys(skus, location_ids)]

    def _code_keys(self, cart: StoredCart, customer: Customer) -> list[dict[str, Any]]:
        keys = []
        for raw in cart.promo_codes:
            keys += pricing_contract.usage_keys(normalise_code(raw), customer.redemption_key)
        return list({(k["pk"]["S"], k["sk"]["S"]): k for k in keys}.values())

    def _certificate_keys(self, cart: StoredCart) -> Keys:
        """Loyalty's certificates by code; the table is named only when the cart holds one (a function
        that never sees certificates needs no loyalty table)."""
        if not cart.gift_certificates:
            return []
        keys = [loyalty_contract.certificate_key(normalise_code(raw)) for raw in cart.gift_certificates]
        unique = {(k["pk"]["S"], k["sk"]["S"]): k for k in keys}.values()
        return [(self.loyalty_table, k) for k in unique]

    # --- writes ---------------------------------------------------------------------------------

    def unit_of_work(self) -> DynamoUnitOfWork:
        return DynamoUnitOfWork(self._client, self._table)

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
        """Write the order's next version if it is still at ``expected_version`` (else ``OrderChanged``)."""
        orders_contract.save_order(self._client, self.orders_table, order, expected_version)

    def release_reservation(self, reservation_id: str, now: datetime) -> bool:
        """Give a cancelled order's stock back, once: False when the reservation was already finished."""
        reservation = inventory_contract.read_reservation(self._client, self.inventory_table, reservation_id)
        if reservation is None or reservation.status != ReservationStatus.ACTIVE:
            return False
        work = self.unit_of_work()
        work.release(reservation, now)
        try:
            work.commit()
        except (HoldFinished, WriteContended):
            return False  # finished by someone else (expiry, the sweeper) in the meantime, or contended
        return True

    def reservation(self, reservation_id: str) -> Reservation | None:
        """The order's stock hold as it is now (one consistent GetItem, through inventory's contract)."""
        return inventory_contract.read_reservation(self._client, self.inventory_table, reservation_id)

    def order(self, order_id: str) -> Order | None:
        return orders_contract.read_order(self._client, self.orders_table, order_id)

    def order_progress(self, order_id: str) -> orders_contract.OrderProgress | None:
        """The order with its stage, timeline and shipments (the orders context's projection)."""
        return orders_contract.read_progress(self._client, self.orders_table, order_id)

    def orders(self, order_ids: Sequence[str]) -> list[Order]:
        """The orders with these ids (one BatchGetItem of at most 100), in the order asked."""
        return orders_contract.read_orders(self._client, self.orders_table, order_ids)

    def orders_of(self, kind: str, key: str, limit: int = 20) -> list[str]:
        """The buyer's order ids, newest first."""
        return orders_contract.orders_of(self._client, self.orders_table, kind, key, limit)

    def unpaid_orders(
        self, now: str, limit: int = 50, after: dict[str, Any] | None = None
    ) -> tuple[list[str], dict[str, Any] | None]:
        """One page of the orders still waiting for payment whose deadline is ``now`` or earlier (oldest
        first), from ``after`` (the previous page's position), and the position after it (None: the end)."""
        return orders_contract.unpaid_orders(self._client, self.orders_table, now, limit, after)

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
