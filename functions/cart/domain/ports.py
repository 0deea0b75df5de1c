"""What the cart domain needs from storage, as protocols the DynamoDB and in-memory adapters implement.

``CartStore.load`` is the read of a write: the cart, the facts of the SKUs the write touches and their
stock, all in one round trip (one ``BatchGetItem`` in DynamoDB). ``save`` is conditional on the version
that was read, so two concurrent writes cannot both win; the loser reads again and re-applies its change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from cart.domain.models import CartOwner, SkuFacts, StoredCart


class VersionConflict(Exception):
    """The cart changed (or appeared, or was closed) since it was read."""


@dataclass(frozen=True)
class Stock:
    """Available units (on hand - reserved) per SKU per location, and which locations do what.

    Delivery ships from warehouses only and may split a line over them; a pickup line is never split:
    it comes whole from the store or whole from one warehouse by transfer (inventory's allocation rules).
    """

    levels: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    warehouses: frozenset[str] = frozenset()
    pickup_stores: frozenset[str] = frozenset()

    def available(self, sku: str, pickup_location_id: str | None) -> int:
        at = self.levels.get(sku, {})
        from_warehouses = [max(at.get(loc, 0), 0) for loc in self.warehouses]
        if pickup_location_id is None:
            return sum(from_warehouses)
        return max([max(at.get(pickup_location_id, 0), 0), *from_warehouses])


@dataclass(frozen=True)
class CartRead:
    cart: StoredCart | None
    facts: Mapping[str, SkuFacts]
    # None when availability is not known to this deployment (no inventory table): lines are then
    # accepted and checkout's reservation is the only stock check.
    stock: Stock | None


class CartStore(Protocol):
    def load(self, owner: CartOwner, skus: Sequence[str], *, with_stock: bool) -> CartRead: ...

    def get(self, owner: CartOwner) -> StoredCart | None: ...

    def facts(self, skus: Sequence[str]) -> Mapping[str, SkuFacts]: ...

    def save(self, owner: CartOwner, cart: StoredCart, expected_version: int) -> None:
        """Write ``cart`` if the stored one still has ``expected_version`` (0: none exists yet)."""
        ...

    def save_merge(
        self,
        customer: CartOwner,
        cart: StoredCart,
        expected_version: int,
        guest: CartOwner,
        closed_guest: StoredCart,
        guest_version: int,
    ) -> None:
        """Both writes or neither (one transaction); ``VersionConflict`` when either changed."""
        ...
