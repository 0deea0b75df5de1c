"""Catalog product items -> search documents and result summaries (pure functions).

The indexer reads the catalog table's ``product`` items (stream images, or a reindex page): a published
product carries its public document (``public``, JSON: localised name/description, brand, category path,
attributes, variants with prices and media, slugs). Anything else -- a draft, an archived product, a
deleted item -- must not be findable, so ``search_document`` returns ``None`` and the indexer deletes it.
"""

from __future__ import annotations

import json
from typing import Any

from search.domain.model import AttributeScalar, SearchDocument, price_key
from shop_kernel.locale import localise

PUBLISHED = "published"


def _public(item: dict[str, Any]) -> dict[str, Any] | None:
    raw = item.get("public")
    if not raw:
        return None
    return json.loads(raw) if isinstance(raw, str) else dict(raw)


def is_searchable(item: dict[str, Any] | None) -> bool:
    if not item:
        return False
    return item.get("type") == "product" and item.get("status") == PUBLISHED and bool(item.get("public"))


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


def _lowest_prices(public: dict[str, Any]) -> dict[str, int]:
    lowest: dict[str, int] = {}
    for variant in public.get("variants") or []:
        for price in variant.get("prices") or []:
            key = price_key(price["currency"], price.get("price_list", "retail"))
            lowest[key] = min(int(price["amount"]), lowest.get(key, int(price["amount"])))
    return lowest


def search_document(item: dict[str, Any] | None) -> SearchDocument | None:
    """The document to index for a catalog item, or ``None`` when it must not be findable."""
    if not is_searchable(item):
        return None
    public = _public(item)  # type: ignore[arg-type]
    if public is None:
        return None
    brand = public.get("brand") or {}
    path = (public.get("category") or {}).get("path") or []
    return SearchDocument(
        product_id=public["id"],
        name={k: v for k, v in (public.get("name") or {}).items() if v},
        description={k: v for k, v in (public.get("description") or {}).items() if v},
        brand_id=brand.get("id"),
        brand_name=brand.get("name"),
        category_ids=list(reversed(path)),
        attributes=_attributes(public),
        prices=_lowest_prices(public),
        skus=[v["sku"] for v in public.get("variants") or [] if v.get("sku")],
        slugs=dict((public.get("seo") or {}).get("slug") or {}),
        published_at=public.get("published_at") or public.get("updated_at") or "1970-01-01T00:00:00.000Z",
    )


def product_id_of(keys: dict[str, Any]) -> str | None:
    """``PRODUCT#<id>`` keys -> ``<id>`` (a removed item has only its keys left)."""
    pk = str(keys.get("pk") or "")
    return pk.removeprefix("PRODUCT#") if pk.startswith("PRODUCT#") and keys.get("sk") == "PRODUCT" else None


def summary(public: dict[str, Any], locale: str) -> dict[str, Any]:
    """What a search result shows for one product, in ``locale`` (``en`` fallback)."""
    variants = public.get("variants") or []
    image = next(iter(public.get("media") or []), None) or next(
        (m for v in variants for m in v.get("media") or []), None
    )
    brand = public.get("brand")
    return {
        "id": public["id"],
        "code": public.get("code"),
        "name": localise(public.get("name"), locale),
        "slug": localise((public.get("seo") or {}).get("slug"), locale),
        "brand": {"id": brand["id"], "name": brand["name"]} if brand else None,
        "image": image,
        "prices": [
            {"price_list": key.split(":")[1], "currency": key.split(":")[0], "amount": amount}
            for key, amount in sorted(_lowest_prices(public).items())
        ],
    }
