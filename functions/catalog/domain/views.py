"""What the public sees: the published product document, its listing summary, and localisation.

The public document is denormalised at write time (attribute labels and units from the product type,
the brand name, the category path) so that a storefront read is one key lookup. It keeps every
locale; ``localised`` turns it into the shape a client gets for one locale, falling back to ``en``.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from catalog.domain.models import (
    AttributeDefinition,
    Brand,
    Category,
    Product,
    ProductType,
    ProductVariant,
    VariantPrice,
)
from shop_kernel.locale import DEFAULT_LOCALE, SUPPORTED_LOCALES, localise


def facet_value(value: Any) -> str:
    """Attribute values as the strings filters compare with (``true``, ``16``, ``15.6``, ``black``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(value, "g") if value != int(value) else str(int(value))
    return str(value)


def _attribute(definition: AttributeDefinition | None, code: str, value: Any) -> dict[str, Any]:
    if definition is None:  # the type lost the attribute after the product was written
        return {"code": code, "label": {DEFAULT_LOCALE: code}, "kind": "text", "value": value}
    view: dict[str, Any] = {
        "code": code,
        "label": definition.label.as_dict(),
        "kind": definition.kind.value,
        "value": value,
    }
    if definition.unit:
        view["unit"] = definition.unit
    option = definition.option(value) if isinstance(value, str) else None
    if option is not None:
        view["value_label"] = option.label.as_dict()
    return view


def _attributes(values: dict[str, Any], product_type: ProductType) -> list[dict[str, Any]]:
    return [_attribute(product_type.definition(code), code, value) for code, value in values.items()]


def _variant(variant: ProductVariant, product_type: ProductType) -> dict[str, Any]:
    return {
        "sku": variant.sku,
        "attributes": _attributes(variant.attributes, product_type),
        "prices": [p.model_dump() for p in variant.prices],
        "media": [m.model_dump(exclude_none=True) for m in variant.media],
    }


def public_document(
    product: Product, product_type: ProductType, category: Category, brand: Brand | None
) -> dict[str, Any]:
    seo = product.seo.model_dump(exclude_none=True)
    return {
        "id": product.id,
        "code": product.code,
        "version": product.version,
        "name": product.name.as_dict(),
        "description": product.description.as_dict() if product.description else None,
        "seo": seo,
        "brand": {"id": brand.id, "name": brand.name} if brand else None,
        "category": {"id": category.id, "path": category.path},
        "product_type_id": product_type.id,
        "attributes": _attributes(product.attributes, product_type),
        "variants": [_variant(v, product_type) for v in product.variants],
        "media": [m.model_dump(exclude_none=True) for m in product.media],
        "published_at": product.published_at,
        "updated_at": product.updated_at,
    }


def lowest_prices(product: Product) -> list[VariantPrice]:
    """The lowest variant price per price list and currency, ordered by (price list, currency)."""
    lowest: dict[tuple[str, str], VariantPrice] = {}
    for variant in product.variants:
        for price in variant.prices:
            key = (price.price_list, price.currency)
            lowest[key] = min(price, lowest.get(key, price))
    return [lowest[key] for key in sorted(lowest)]


def facets(product: Product) -> dict[str, list[str]]:
    values: dict[str, set[str]] = {}
    for code, value in product.attributes.items():
        values.setdefault(code, set()).add(facet_value(value))
    for variant in product.variants:
        for code, value in variant.attributes.items():
            values.setdefault(code, set()).add(facet_value(value))
    return {code: sorted(v) for code, v in values.items()}


def listing_entry(product: Product, public: dict[str, Any]) -> dict[str, Any]:
    """The summary a category page shows, plus the values its filters match on."""
    image = next(iter(product.media), None) or next((m for v in product.variants for m in v.media), None)
    lowest = lowest_prices(product)
    return {
        "summary": {
            "id": product.id,
            "code": product.code,
            "name": public["name"],
            "slug": public["seo"]["slug"],
            "brand": public["brand"],
            "image": image.model_dump(exclude_none=True) if image else None,
            "prices": [price.model_dump() for price in lowest],
        },
        "brand_id": product.brand_id,
        "lowest_prices": {f"{p.price_list}/{p.currency}": p.amount for p in lowest},
        "facets": facets(product),
    }


def _is_localised(value: dict[str, Any]) -> bool:
    return bool(value) and DEFAULT_LOCALE in value and set(value) <= set(SUPPORTED_LOCALES)


def localised(document: Any, locale: str) -> Any:
    """Every ``{"en": ..., "uk": ...}`` object replaced by its value in ``locale`` (``en`` fallback)."""
    if isinstance(document, dict):
        if _is_localised(document) and all(isinstance(v, str) for v in document.values()):
            return localise(document, locale)
        return {k: localised(v, locale) for k, v in document.items() if v is not None}
    if isinstance(document, list):
        return [localised(v, locale) for v in document]
    return document


def visible_prices(prices: list[dict[str, Any]], price_lists: Collection[str]) -> list[dict[str, Any]]:
    """The prices of the lists a caller may see: negotiated (B2B) lists only for their own customers."""
    return [p for p in prices if p.get("price_list", "retail") in price_lists]


def public_product_response(
    document: dict[str, Any], locale: str, price_lists: Collection[str]
) -> dict[str, Any]:
    document = {
        **document,
        "variants": [
            {**v, "prices": visible_prices(v.get("prices") or [], price_lists)}
            for v in document.get("variants") or []
        ],
    }
    body = localised(document, locale)
    body["locale"] = locale
    body["alternates"] = [
        {"locale": loc, "slug": slug} for loc, slug in sorted(document["seo"]["slug"].items())
    ]
    return body
