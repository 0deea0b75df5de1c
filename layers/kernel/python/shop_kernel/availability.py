"""Whether a product can be bought where the shopper is: one rule for every read model that shows it.

Inventory announces each SKU's stock at each location (``StockLevelChanged``: available, low-stock
threshold, the location's kind, country and pickup flag). Search and catalog keep their own copies and
reduce them with the functions below, so a search hit and a category listing can never disagree:

* one SKU at one location is ``sold_out`` (nothing available), ``low_stock`` (fewer than its threshold)
  or ``in_stock``;
* a product is as available as its best variant at its best location for the shopper's context:
  ``country:<CC>`` (delivery: the warehouses in that country), ``store:<id>`` (pickup at that store) or
  ``any`` (anywhere at all, when the shopper said nothing);
* a product can be bought in a context unless it is ``sold_out`` there;
* a product with a SKU delivered electronically (the catalog's ``fulfilment`` attribute is ``digital``, on
  the product or the variant) holds no stock and is ``in_stock`` in every context: its availability says
  so once, under ``everywhere``, rather than in fake stock levels for each country and store.

Each copy keeps a level only over an older one (``StockUpdate``: the event's level and its stream sequence,
zero-padded so later changes sort after earlier ones), so SQS's order does not matter; a batch stores only
the latest change of each level it holds (``latest_per_level``; ``store_latest`` stores them).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

StockLevelName = Literal["in_stock", "low_stock", "sold_out"]
IN_STOCK: StockLevelName = "in_stock"
LOW_STOCK: StockLevelName = "low_stock"
SOLD_OUT: StockLevelName = "sold_out"
DEFAULT_LOW_STOCK_THRESHOLD = 5
ANYWHERE = "any"
EVERYWHERE = "everywhere"  # every context at once: electronic goods, which no location stocks
FULFILMENT_ATTRIBUTE, DIGITAL = "fulfilment", "digital"
_RANK: dict[str, int] = {SOLD_OUT: 0, LOW_STOCK: 1, IN_STOCK: 2}


def stock_level(available: int, threshold: int = DEFAULT_LOW_STOCK_THRESHOLD) -> StockLevelName:
    if available <= 0:
        return SOLD_OUT
    return LOW_STOCK if available < threshold else IN_STOCK


def best_level(levels: Iterable[str]) -> StockLevelName:
    """The best of ``levels``; ``sold_out`` when there are none."""
    best: StockLevelName = SOLD_OUT
    for level in levels:
        if _RANK.get(level, 0) > _RANK[best]:
            best = level  # type: ignore[assignment]
    return best


def country_context(country: str) -> str:
    return f"country:{country.upper()}"


def store_context(location_id: str) -> str:
    return f"store:{location_id}"


def shopper_contexts(country: str | None, store: str | None) -> list[str]:
    """The contexts a shopper asks about: delivery to ``country`` and/or pickup at ``store``, else anywhere."""
    contexts = [country_context(country)] if country else []
    contexts += [store_context(store)] if store else []
    return contexts or [ANYWHERE]


@dataclass(frozen=True)
class LocationStock:
    """One SKU at one location, as the last ``StockLevelChanged`` said."""

    sku: str
    location_id: str
    kind: str  # "warehouse" or "store"
    country: str
    pickup: bool
    available: int
    threshold: int = DEFAULT_LOW_STOCK_THRESHOLD

    @property
    def level(self) -> StockLevelName:
        return stock_level(self.available, self.threshold)

    @property
    def contexts(self) -> list[str]:
        """Where this stock can reach a shopper: delivery from a warehouse, pickup at a pickup store."""
        if self.kind == "warehouse":
            return [ANYWHERE, country_context(self.country)]
        if self.pickup:
            return [ANYWHERE, store_context(self.location_id)]
        return []


SEQUENCE_WIDTH = 40  # stream sequence numbers have up to 40 digits; zero-padded they compare as text


@dataclass(frozen=True)
class StockUpdate:
    """A ``StockLevelChanged``'s level and its place in inventory's stream."""

    stock: LocationStock
    sequence: str  # zero-padded, so later changes sort after earlier ones


def stock_update(data: Mapping[str, Any]) -> StockUpdate:
    """A ``StockLevelChanged`` event's data (version 1.x) -> the level a read model stores."""
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


def latest_per_level(updates: Iterable[StockUpdate]) -> list[StockUpdate]:
    """The latest change of each SKU at each location, in the order the levels first came: what a batch
    stores (an earlier change of a level in the same batch changes nothing)."""
    latest: dict[tuple[str, str], StockUpdate] = {}
    for update in updates:
        key = (update.stock.sku, update.stock.location_id)
        if key not in latest or latest[key].sequence < update.sequence:
            latest[key] = update
    return list(latest.values())


def store_latest(
    updates: Iterable[StockUpdate], save: Callable[[Sequence[StockUpdate]], Sequence[bool]]
) -> list[StockUpdate]:
    """A batch's changes stored with ``save`` (a read model's conditional write of distinct levels, True for
    each one kept): the latest change of each level, and of those the ones stored (an older change than the
    stored one is not), whose products the read model refreshes."""
    latest = latest_per_level(updates)
    return [update for update, kept in zip(latest, save(latest), strict=True) if kept]


def product_availability(
    skus: Sequence[str], stock: Iterable[LocationStock], digital: Collection[str] = ()
) -> dict[str, StockLevelName]:
    """Context -> the best level of any of ``skus`` there; contexts where nothing was ever stocked are absent.
    When one of ``skus`` is ``digital`` (delivered electronically), ``everywhere`` is in stock."""
    wanted = set(skus)
    levels: dict[str, StockLevelName] = {EVERYWHERE: IN_STOCK} if wanted & set(digital) else {}
    for entry in stock:
        if entry.sku not in wanted:
            continue
        for context in entry.contexts:
            levels[context] = best_level([levels.get(context, SOLD_OUT), entry.level])
    return levels


def level_for(availability: Mapping[str, str], contexts: Sequence[str]) -> StockLevelName:
    """The best level over the shopper's contexts (a delivery country and/or a pickup store)."""
    return best_level(availability.get(context, SOLD_OUT) for context in (*contexts, EVERYWHERE))


def buyable_contexts(availability: Mapping[str, str]) -> list[str]:
    """The contexts where the product can be bought: what an ``in_stock=true`` filter matches on."""
    return sorted(context for context, level in availability.items() if level != SOLD_OUT)


def buyable_filter(contexts: Sequence[str]) -> list[str]:
    """What an ``in_stock=true`` filter for the shopper's ``contexts`` matches in ``buyable_contexts``: any
    of them, or ``everywhere`` (electronic goods)."""
    return [*dict.fromkeys(contexts), EVERYWHERE]


def digital_skus(snapshot: Mapping[str, Any]) -> list[str]:
    """The SKUs of a published product (the catalog's ``ProductSnapshot``) delivered electronically: its
    ``fulfilment`` attribute is ``digital``, on the product or, when the product says nothing, the variant."""
    shared = _attribute(snapshot.get("attributes") or [])
    return [
        variant["sku"]
        for variant in snapshot.get("variants") or []
        if variant.get("sku") and (shared or _attribute(variant.get("attributes") or [])) == DIGITAL
    ]


def _attribute(attributes: Iterable[Mapping[str, Any]]) -> Any:
    return next((a.get("value") for a in attributes if a.get("code") == FULFILMENT_ATTRIBUTE), None)
