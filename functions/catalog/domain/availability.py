"""Category listings say whether a product can be bought where the shopper is (pure).

Catalog keeps its own copy of inventory's ``StockLevelChanged`` events (one item per SKU per location in
the catalog table, never inventory's table) and stores on each listing entry the product's availability
per context (``any``, ``country:<CC>``, ``store:<id>``), reduced with ``shop_kernel.availability`` exactly
as search does, so a listing and a search hit cannot disagree. A stock change is kept only when it is
later than the stored one (inventory's stream sequence), so SQS's order does not matter.

``StockUpdate`` and ``stock_update`` are the kernel's (search reads the same event).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from shop_kernel.availability import StockUpdate, stock_update, store_latest

STOCK_LEVEL_CHANGED = "StockLevelChanged"


class ListingAvailability(Protocol):
    def save_stocks(self, updates: Sequence[StockUpdate]) -> list[bool]:
        """Store each SKU's stock at one location unless a later change is stored; True for each one
        stored, in order. The updates name distinct levels (``latest_per_level``)."""

    def products_of_skus(self, skus: Sequence[str]) -> dict[str, str]:
        """SKU -> the product it belongs to, for the SKUs a product has (one look-up for all of them)."""

    def refresh_listing(self, product_id: str) -> int:
        """Write the product's current availability on its listing entries; returns how many."""


def record_stock_updates(store: ListingAvailability, updates: Sequence[StockUpdate]) -> list[str]:
    """Store a batch's changes (the latest of each level, all in one go); returns the SKUs stored, whose
    products' listings must be refreshed (an older change than the stored one is not). The batch then
    looks up the products of all those SKUs at once (``refresh_products_of``): a seed's burst of levels
    is neither one write nor one look-up per level."""
    return [update.stock.sku for update in store_latest(updates, store.save_stocks)]


def record_stock_event(store: ListingAvailability, data: dict[str, Any]) -> str | None:
    """Store one change; returns its SKU, or None for an older change than the stored one."""
    stored = record_stock_updates(store, [stock_update(data)])
    return stored[0] if stored else None


def refresh_products_of(store: ListingAvailability, skus: Sequence[str]) -> int:
    """Refresh the listings of each product these SKUs belong to, once each; entries written. A SKU no
    product has yet is skipped: its product's publication reads the stored levels."""
    products = store.products_of_skus(list(dict.fromkeys(skus)))
    return sum(store.refresh_listing(product_id) for product_id in sorted(set(products.values())))


def apply_stock_event(store: ListingAvailability, data: dict[str, Any]) -> int:
    """Store the change and refresh the listings of the product the SKU belongs to; entries written."""
    sku = record_stock_event(store, data)
    return refresh_products_of(store, [sku]) if sku else 0


def skus_of(public: dict[str, Any] | None) -> Sequence[str]:
    return [v["sku"] for v in (public or {}).get("variants") or [] if v.get("sku")]
