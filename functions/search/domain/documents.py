"""Catalog product snapshots -> search documents, and search documents -> what a result shows (pure).

The indexer receives the catalog's ``ProductPublished`` / ``ProductUpdated`` events, whose ``product`` is the
published product as the storefront shows it (localised name/description, brand, category path,
attributes, variants with prices and media, slugs, version). ``search_document`` turns one into the
document the index holds, with the product's availability (``shop_kernel.availability``) beside it. A
result page is built from the indexed documents alone (``summary``), so what a page counts is what it
shows: nothing is looked up, and nothing dropped, after retrieval.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from search.domain.model import AttributeScalar, SearchDocument, key_price_list, price_key
from shop_kernel.availability import StockLevelName, level_for
from shop_kernel.locale import localise
from shop_kernel.money import Money


def _scalar(value: Any) -> AttributeScalar:
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return format(value, "g") if value != int(value) else int(value)
    return str(value)


def _attributes(public: dict[str, Any]) -> dict[str, AttributeScalar]:
    values: dict[str, AttributeScalar] = {}
    # Variant attributes (colour, size) first, so a product-level value of the same code wins; a
    # document holds one value per code, the first variant's.
    for variant in public.get("variants") or []:
        for attribute in variant.get("attributes") or []:
            values.setdefault(attribute["code"], _scalar(attribute["value"]))
    for attribute in public.get("attributes") or []:
        values[attribute["code"]] = _scalar(attribute["value"])
    return values


def _lowest_prices(public: dict[str, Any]) -> dict[str, Money]:
    lowest: dict[str, Money] = {}
    for variant in public.get("variants") or []:
        for price in variant.get("prices") or []:
            amount = Money.of(int(price["amount"]), price["currency"])
            key = price_key(amount.currency, price.get("price_list", "retail"))
            lowest[key] = min(amount, lowest.get(key, amount))
    return lowest


def _image(snapshot: dict[str, Any]) -> dict[str, Any] | None:
    variants = snapshot.get("variants") or []
    image = next(iter(snapshot.get("media") or []), None) or next(
        (m for v in variants for m in v.get("media") or []), None
    )
    return dict(image) if image else None


def search_document(
    snapshot: dict[str, Any], availability: dict[str, StockLevelName] | None = None
) -> SearchDocument:
    """The document to index for a published product (a ``ProductSnapshot`` as a dict)."""
    brand = snapshot.get("brand") or {}
    path = (snapshot.get("category") or {}).get("path") or []
    return SearchDocument(
        product_id=snapshot["id"],
        code=snapshot.get("code"),
        version=int(snapshot.get("version") or 0),
        name={k: v for k, v in (snapshot.get("name") or {}).items() if v},
        description={k: v for k, v in (snapshot.get("description") or {}).items() if v},
        brand_id=brand.get("id"),
        brand_name=brand.get("name"),
        category_ids=list(reversed(path)),
        attributes=_attributes(snapshot),
        prices=_lowest_prices(snapshot),
        skus=skus_of(snapshot),
        slugs=dict((snapshot.get("seo") or {}).get("slug") or {}),
        image=_image(snapshot),
        published_at=snapshot.get("published_at") or snapshot.get("updated_at") or "1970-01-01T00:00:00.000Z",
        availability=dict(availability or {}),
    )


def skus_of(snapshot: dict[str, Any]) -> list[str]:
    return [v["sku"] for v in snapshot.get("variants") or [] if v.get("sku")]


def summary(
    doc: SearchDocument, locale: str, contexts: Sequence[str], price_lists: Collection[str]
) -> dict[str, Any]:
    """What a search result shows for one product, in ``locale`` (``en`` fallback), with its availability
    for the shopper's contexts (delivery country and/or pickup store, else anywhere) and its prices in the
    lists the caller may see (the index holds every list, for the callers who may filter by them)."""
    return {
        "id": doc.product_id,
        "code": doc.code,
        "name": localise(doc.name, locale),
        "slug": localise(doc.slugs, locale),
        "brand": {"id": doc.brand_id, "name": doc.brand_name} if doc.brand_id else None,
        "image": doc.image,
        "prices": [
            {"price_list": key_price_list(key), "currency": price.currency, "amount": price.amount}
            for key, price in sorted(doc.prices.items())
            if key_price_list(key) in price_lists
        ],
        "availability": level_for(doc.availability, contexts),
    }
