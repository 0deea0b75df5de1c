"""Category listings say whether a product can be bought where the shopper is (pure).

Catalog keeps its own copy of inventory's ``StockLevelChanged`` events (one item per SKU per location in
the catalog table, never inventory's table) and stores on each listing entry the product's availability
per context (``any``, ``country:<CC>``, ``store:<id>``), reduced with ``shop_kernel.availability`` exactly
as search does, so a listing and a search hit cannot disagree. A stock change is kept only when it is
later than the stored one (inventory's stream sequence), so SQS's order does not matter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from shop_kernel.availability import DEFAULT_LOW_STOCK_THRESHOLD, LocationStock

STOCK_LEVEL_CHANGED = "StockLevelChanged"
SEQUENCE_WIDTH = 40  # stream sequence numbers have up to 40 digits; zero-padded they compare as text


@dataclass(frozen=True)
class StockUpdate:
    stock: LocationStock
    sequence: str


def stock_update(data: dict[str, Any]) -> StockUpdate:
    """A ``StockLevelChanged`` event's data -> what catalog stores."""
    stock = LocationStock(
        sku=data["sku"],
        location_id=data["location_id"],
        kind=data["location_kind"],
        country=data["country"],
        pickup=bool(data.get("pickup")),
        available=int(data["available"]),
        threshold=int(data.get("threshold") or DEFAULT_LOW_STOCK_THRESHOLD),
    )
    return StockUpdate(stock=stock, sequence=str(data["sequence"]).zfill(SEQUENCE_WIDTH))


class ListingAvailability(Protocol):
    def save_stock(self, update: StockUpdate) -> bool:
        """Store one SKU's stock at one location unless a later change is stored; True when stored."""

    def products_of_skus(self, skus: Sequence[str]) -> dict[str, str]:
        """SKU -> the product it belongs to, for the SKUs a product has (one look-up for all of them)."""

    def refresh_listing(self, product_id: str) -> int:
        """Write the product's current availability on its listing entries; returns how many."""


def record_stock_event(store: ListingAvailability, data: dict[str, Any]) -> str | None:
    """Store the change; returns its SKU, whose product's listings must be refreshed (None: an older
    change). A batch looks up the products of all the SKUs it stored at once, after its records
    (``refresh_products_of``): a seed's burst of levels is not one look-up per level."""
    update = stock_update(data)
    return update.stock.sku if store.save_stock(update) else None


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
