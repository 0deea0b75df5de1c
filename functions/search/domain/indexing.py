"""Keeping the index in step with the catalog's and inventory's events (rule -> queue -> search-indexer).

Search owns a projection of what it was told (in its own table, see ``search.adapters.dynamo``): the last
published snapshot of every product with its version, and the stock of every SKU at every location. A
document is always rebuilt from that projection, never from the event alone, so the order in which SQS
delivers events does not matter:

* ``ProductPublished`` / ``ProductUpdated`` store the snapshot unless a newer version is stored;
  ``ProductArchived`` stores an archived marker the same way, so a late or duplicate publication of an
  older version can never bring an archived product back.
* ``PriceChanged`` patches the stored snapshot's prices only while it is older than the change (the
  ``ProductUpdated`` of the same version carries the same prices, so either order ends the same).
* ``StockLevelChanged`` stores one SKU at one location unless a later change of it is stored (inventory's
  stream sequence), then refreshes the product that SKU belongs to.

After each applied change the product's document is rebuilt (published: upsert with its availability;
archived: delete). Replays and duplicates re-apply the same state: idempotent.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from search.domain.documents import search_document, skus_of
from search.domain.model import SearchDocument
from search.domain.ports import SearchIndex
from shop_kernel.availability import (
    LocationStock,
    StockUpdate,
    digital_skus,
    product_availability,
    stock_update,
    store_latest,
)
from shop_kernel.money import Money

CATALOG_EVENTS = ("ProductPublished", "ProductUpdated", "ProductArchived", "PriceChanged")
STOCK_EVENTS = ("StockLevelChanged",)
HANDLED = {"shop.catalog": CATALOG_EVENTS, "shop.inventory": STOCK_EVENTS}


@dataclass(frozen=True)
class ProductState:
    """A product as search last heard of it: its snapshot while published, ``None`` once archived."""

    product_id: str
    version: int
    snapshot: dict[str, Any] | None

    @property
    def published(self) -> bool:
        return self.snapshot is not None


@dataclass(frozen=True)
class PriceUpdate:
    product_id: str
    version: int
    # (sku, price list, currency) -> the new price, or None when the price was removed
    changes: dict[tuple[str, str, str], Money | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Stale:
    """What a recorded event made stale: a product, or the product a SKU belongs to (looked up with the
    rest of the batch's SKUs in one call, so a burst of stock levels is not one look-up per level)."""

    product_id: str | None = None
    sku: str | None = None


class SearchProjection(Protocol):
    def save_product(self, state: ProductState) -> bool:
        """Store ``state`` unless a newer version is stored; True when stored (an equal version re-applies)."""

    def patch_prices(self, update: PriceUpdate) -> bool:
        """Apply the price changes to a stored snapshot older than the update; True when applied."""

    def save_stocks(self, updates: Sequence[StockUpdate]) -> list[bool]:
        """Store each SKU's stock at one location unless a later change is stored; True for each one
        stored, in order. The updates name distinct levels (``latest_per_level``)."""

    def product(self, product_id: str) -> ProductState | None: ...

    def product_of_sku(self, sku: str) -> str | None: ...

    def products_of_skus(self, skus: Sequence[str]) -> dict[str, str]:
        """SKU -> its product, for the SKUs a product has (one look-up for all of them)."""

    def products(self, product_ids: Sequence[str]) -> dict[str, ProductState]:
        """The stored state of each product that has one (one look-up for all of them)."""

    def stock(self, skus: Sequence[str]) -> list[LocationStock]: ...

    def published_products(self) -> Iterator[list[ProductState]]:
        """Every published product of the projection, a page at a time (the reindex)."""

    def count_published(self) -> int: ...

    def changed_since(self, since: str) -> set[str]:
        """Ids of the products whose state or stock was written at or after ``since`` (UTC ISO-8601)."""


def handles(source: str | None, detail_type: str | None) -> bool:
    """Whether search keeps a projection of this event (anything else is dropped, never retried)."""
    return detail_type in HANDLED.get(source or "", ())


def product_state(detail_type: str, data: dict[str, Any]) -> ProductState:
    if detail_type == "ProductArchived":
        return ProductState(product_id=data["product_id"], version=int(data["version"]), snapshot=None)
    product = data["product"]
    return ProductState(product_id=product["id"], version=int(product["version"]), snapshot=dict(product))


def price_update(data: dict[str, Any]) -> PriceUpdate:
    """A ``PriceChanged`` (version 1.0: amounts in minor units of each change's currency) as Money."""
    changes = {
        (c["sku"], c.get("price_list", "retail"), c["currency"]): (
            None if c.get("new_amount") is None else Money.of(int(c["new_amount"]), c["currency"])
        )
        for c in data.get("changes") or []
    }
    return PriceUpdate(product_id=data["product_id"], version=int(data["version"]), changes=changes)


def patched_snapshot(snapshot: dict[str, Any], update: PriceUpdate) -> dict[str, Any]:
    """``snapshot`` with ``update``'s prices set or removed (pure; the input is not changed)."""
    variants = []
    for variant in snapshot.get("variants") or []:
        prices = {
            (p.get("price_list", "retail"), p["currency"]): dict(p) for p in variant.get("prices") or []
        }
        for (sku, price_list, currency), price in update.changes.items():
            if sku != variant.get("sku"):
                continue
            if price is None:
                prices.pop((price_list, currency), None)
            else:
                # The snapshot keeps the catalog's wire shape: it is what the events said.
                prices[price_list, currency] = {**price.to_item(), "price_list": price_list}
        variants.append({**variant, "prices": list(prices.values())})
    return {**snapshot, "variants": variants}


class SearchIndexer:
    def __init__(self, projection: SearchProjection, index: SearchIndex) -> None:
        self._projection = projection
        self._index = index

    def apply(self, source: str, detail_type: str, data: dict[str, Any]) -> str | None:
        """Apply one event and rebuild its product's document; returns that product's id, or None."""
        stale = self.record(source, detail_type, data)
        refreshed = self.refresh_stale([stale] if stale else [])
        return refreshed[0] if refreshed else None

    def record(self, source: str, detail_type: str, data: dict[str, Any]) -> Stale | None:
        """Store one event in the projection; returns what must be rebuilt (``refresh_stale``), or None."""
        if detail_type in STOCK_EVENTS:
            stored = self.record_stock([stock_update(data)])
            return stored[0] if stored else None
        if detail_type == "PriceChanged":
            prices = price_update(data)
            return Stale(product_id=prices.product_id) if self._projection.patch_prices(prices) else None
        if detail_type in CATALOG_EVENTS:
            state = product_state(detail_type, data)
            return Stale(product_id=state.product_id) if self._projection.save_product(state) else None
        raise ValueError(f"search does not handle {source} {detail_type}")

    def record_stock(self, updates: Sequence[StockUpdate]) -> list[Stale]:
        """Store a batch's stock levels at once (the latest change of each level); the SKUs stored, whose
        products must be rebuilt (an older change than the stored one is not)."""
        return [Stale(sku=update.stock.sku) for update in store_latest(updates, self._projection.save_stocks)]

    def refresh_stale(self, stale: Sequence[Stale]) -> list[str]:
        """Rebuild the documents of what a batch made stale, each product once; the ids rebuilt. A SKU no
        product has yet is skipped: its product's publication reads the stored levels."""
        skus = [s.sku for s in stale if s.sku]
        of_skus = self._projection.products_of_skus(list(dict.fromkeys(skus))) if skus else {}
        product_ids = sorted({s.product_id for s in stale if s.product_id} | set(of_skus.values()))
        self.refresh_many(product_ids)
        return product_ids

    def refresh(self, product_id: str) -> None:
        """Make the index show the projection's current state of one product."""
        self.refresh_many([product_id])

    def refresh_many(self, product_ids: Sequence[str]) -> None:
        """Make the index show the projection's current state of these products, in one write each way."""
        if not product_ids:
            return
        wanted = list(dict.fromkeys(product_ids))
        stored = self._projection.products(wanted)
        gone = [pid for pid in wanted if pid not in stored or not stored[pid].published]
        self._index.delete(gone)
        self._index.upsert([self.document(stored[pid]) for pid in wanted if pid not in gone])

    def document(self, state: ProductState) -> SearchDocument:
        assert state.snapshot is not None
        skus = skus_of(state.snapshot)
        digital = digital_skus(state.snapshot)  # electronic goods: in stock everywhere, no levels read
        stock = self._projection.stock([sku for sku in skus if sku not in digital])
        availability = product_availability(skus, stock, digital)
        return search_document(state.snapshot, availability)

    def documents(self, states: Sequence[ProductState]) -> list[SearchDocument]:
        return [self.document(state) for state in states if state.published]
