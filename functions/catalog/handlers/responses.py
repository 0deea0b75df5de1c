"""The catalog API's answers as pydantic models, for the OpenAPI document.

Routes build their bodies as dicts (the public documents are denormalised JSON stored at write time);
these models say what those bodies are, field by field, and the handler tests validate every body they
receive against the document generated from them. Storefront answers are localised: each
``{"en": ..., "uk": ...}`` object becomes one string in the answer's ``locale``, and absent optional
fields are left out rather than sent as ``null``. Admin answers are the stored documents, every locale
kept.

Names start with the business thing (``CatalogProduct``, ``StorefrontProduct``...) because the local
gateway merges every context's document into one and schemas are keyed by class name.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from catalog.domain.models import AttributeKind, Brand, Category, Product, ProductType
from shop_kernel.openapi import LocaleCode

Availability = Literal["in_stock", "low_stock", "sold_out"]
AttributeScalar = bool | int | float | str

_STAMP = "2026-03-01T09:30:00+00:00"
_MERCHANDISER = "7d3f2a10-1c2b-4e5f-9a8b-0c1d2e3f4a5b"


class Answer(BaseModel):
    """Exactly the fields the API sends: a documented answer never carries anything else.

    Built lazily (``defer_build``): routes never validate with these models, only the OpenAPI document
    reads them, so a cold start does not pay for building their validators.
    """

    model_config = ConfigDict(extra="forbid", defer_build=True)


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(extra="forbid", defer_build=True, json_schema_extra={"examples": list(examples)})


# --- storefront: localised reads ----------------------------------------------------------------


class StorefrontSeo(Answer):
    slug: str = Field(description="The product's or category's URL slug in this locale")
    title: str | None = None
    description: str | None = None
    canonical_url: str | None = None


class StorefrontBrandRef(Answer):
    id: str
    name: str


class StorefrontCategoryRef(Answer):
    id: str
    path: list[str] = Field(description="Category ids from the root to the product's category")


class StorefrontAttribute(Answer):
    """A product or variant attribute with its label (and unit, option label) in the answer's locale."""

    code: str
    label: str
    kind: AttributeKind
    value: AttributeScalar
    unit: str | None = Field(default=None, description="Number attributes only, e.g. 'in'")
    value_label: str | None = Field(default=None, description="Enum attributes: the option's label")


class StorefrontPrice(Answer):
    amount: int = Field(description="Minor units of the currency (cents)", examples=[99900])
    currency: str = Field(examples=["EUR"])
    price_list: str = Field(examples=["retail"])


class StorefrontMedia(Answer):
    url: str
    kind: Literal["image", "video"]
    alt: str | None = None


class StorefrontVariant(Answer):
    sku: str
    attributes: list[StorefrontAttribute]
    prices: list[StorefrontPrice]
    media: list[StorefrontMedia]


class StorefrontAlternate(Answer):
    """The product's slug in another locale, for hreflang links and language switchers."""

    locale: LocaleCode
    slug: str


_PRODUCT_EXAMPLE: dict[str, Any] = {
    "id": "01JNR3Q7YB8K2M4P6S8V0X2Z4A",
    "code": "LAP-0001",
    "version": 2,
    "name": "Acme Book 14",
    "description": "A light laptop.",
    "seo": {"slug": "acme-book-14", "title": "Acme Book 14"},
    "brand": {"id": "acme", "name": "Acme"},
    "category": {"id": "laptops", "path": ["electronics", "computers", "laptops"]},
    "product_type_id": "laptop",
    "attributes": [
        {"code": "screen_size", "label": "Screen size", "kind": "number", "value": 14, "unit": "in"}
    ],
    "variants": [
        {
            "sku": "LAP-0001-BLK",
            "attributes": [
                {
                    "code": "colour",
                    "label": "Colour",
                    "kind": "enum",
                    "value": "black",
                    "value_label": "Black",
                }
            ],
            "prices": [{"amount": 99900, "currency": "EUR", "price_list": "retail"}],
            "media": [],
        }
    ],
    "media": [{"url": "https://cdn.example.com/p/1.jpg", "kind": "image", "alt": "front"}],
    "published_at": _STAMP,
    "updated_at": _STAMP,
    "locale": "en",
    "alternates": [{"locale": "en", "slug": "acme-book-14"}, {"locale": "uk", "slug": "acme-buk-14"}],
}


class StorefrontProduct(Answer):
    """A published product as a shop page shows it, in one locale."""

    model_config = _examples(_PRODUCT_EXAMPLE)

    id: str
    code: str
    version: int = Field(description="Changes whenever the published product changes")
    name: str
    description: str | None = None
    seo: StorefrontSeo
    brand: StorefrontBrandRef | None = None
    category: StorefrontCategoryRef
    product_type_id: str
    attributes: list[StorefrontAttribute]
    variants: list[StorefrontVariant]
    media: list[StorefrontMedia]
    published_at: str
    updated_at: str
    locale: LocaleCode
    alternates: list[StorefrontAlternate]


class StorefrontListingItem(Answer):
    """A product tile on a category page: the lowest price per price list and currency."""

    id: str
    code: str
    name: str
    slug: str
    brand: StorefrontBrandRef | None = None
    image: StorefrontMedia | None = None
    prices: list[StorefrontPrice] = Field(description="The lowest variant price per price list and currency")
    availability: Availability | None = Field(
        default=None,
        description="Stock at a glance, when known. A product delivered electronically (fulfilment digital: "
        "e-certificates) holds no stock and is in_stock for every country and every pickup store",
    )


class StorefrontListingPage(Answer):
    model_config = _examples(
        {
            "items": [
                {
                    "id": "01JNR3Q7YB8K2M4P6S8V0X2Z4A",
                    "code": "LAP-0001",
                    "name": "Acme Book 14",
                    "slug": "acme-book-14",
                    "brand": {"id": "acme", "name": "Acme"},
                    "image": {"url": "https://cdn.example.com/p/1.jpg", "kind": "image", "alt": "front"},
                    "prices": [{"price_list": "retail", "currency": "EUR", "amount": 99900}],
                }
            ],
            "next_cursor": None,
            "locale": "en",
        }
    )

    items: list[StorefrontListingItem]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last page")
    locale: LocaleCode


class StorefrontCategory(Answer):
    id: str
    parent_id: str | None = Field(default=None, description="Absent for a root category")
    path: list[str] = Field(description="Category ids from the root to this one")
    name: str
    description: str | None = None
    seo: StorefrontSeo


class StorefrontCategoryNode(StorefrontCategory):
    children: list[StorefrontCategoryNode]


class StorefrontCategoryTree(Answer):
    model_config = _examples(
        {
            "items": [
                {
                    "id": "electronics",
                    "path": ["electronics"],
                    "name": "Electronics",
                    "seo": {"slug": "electronics"},
                    "children": [
                        {
                            "id": "laptops",
                            "parent_id": "electronics",
                            "path": ["electronics", "laptops"],
                            "name": "Laptops",
                            "seo": {"slug": "laptops"},
                            "children": [],
                        }
                    ],
                }
            ],
            "locale": "en",
        }
    )

    items: list[StorefrontCategoryNode] = Field(description="Root categories, each with its subtree")
    locale: LocaleCode


class StorefrontCategoryDetail(StorefrontCategory):
    model_config = _examples(
        {
            "id": "laptops",
            "parent_id": "computers",
            "path": ["electronics", "computers", "laptops"],
            "name": "Laptops",
            "seo": {"slug": "laptops", "title": "Laptops"},
            "locale": "en",
        }
    )

    locale: LocaleCode


class StorefrontBrand(Answer):
    id: str
    name: str
    description: str | None = None
    logo_url: str | None = None


class StorefrontBrandList(Answer):
    model_config = _examples(
        {
            "items": [{"id": "acme", "name": "Acme", "logo_url": "https://cdn.example.com/acme.svg"}],
            "locale": "en",
        }
    )

    items: list[StorefrontBrand]
    locale: LocaleCode


class StorefrontAttributeOption(Answer):
    code: str
    label: str


class StorefrontAttributeDefinition(Answer):
    code: str
    label: str
    kind: AttributeKind
    unit: str | None = None
    options: list[StorefrontAttributeOption] = Field(description="Enum attributes only; empty otherwise")
    required: bool
    variant: bool = Field(description="True when each variant has its own value (colour, size)")


class StorefrontProductType(Answer):
    """A product type's attributes with labels in one locale, for building filters and spec tables."""

    model_config = _examples(
        {
            "id": "laptop",
            "name": "Laptop",
            "attributes": [
                {
                    "code": "colour",
                    "label": "Colour",
                    "kind": "enum",
                    "options": [{"code": "black", "label": "Black"}],
                    "required": False,
                    "variant": True,
                }
            ],
            "locale": "en",
        }
    )

    id: str
    name: str
    attributes: list[StorefrontAttributeDefinition]
    locale: LocaleCode


# --- admin: the stored documents -----------------------------------------------------------------

_AUDIT: dict[str, Any] = {
    "version": 1,
    "created_at": _STAMP,
    "updated_at": _STAMP,
    "updated_by": _MERCHANDISER,
}
_BRAND_EXAMPLE: dict[str, Any] = {
    "id": "acme",
    "name": "Acme",
    "logo_url": "https://cdn.example.com/acme.svg",
    **_AUDIT,
}
_CATEGORY_EXAMPLE: dict[str, Any] = {
    "id": "laptops",
    "parent_id": "computers",
    "ancestors": ["electronics", "computers"],
    "name": {"en": "Laptops", "uk": "Ноутбуки"},
    "seo": {"slug": {"en": "laptops", "uk": "noutbuky"}},
    **_AUDIT,
}
_TYPE_EXAMPLE: dict[str, Any] = {
    "id": "laptop",
    "name": {"en": "Laptop", "uk": "Ноутбук"},
    "attributes": [
        {
            "code": "screen_size",
            "label": {"en": "Screen size", "uk": "Діагональ"},
            "kind": "number",
            "unit": "in",
            "options": [],
            "required": True,
            "variant": False,
        }
    ],
    **_AUDIT,
}
_ADMIN_PRODUCT_EXAMPLE: dict[str, Any] = {
    "id": "01JNR3Q7YB8K2M4P6S8V0X2Z4A",
    "code": "LAP-0001",
    "status": "draft",
    "product_type_id": "laptop",
    "category_id": "laptops",
    "brand_id": "acme",
    "name": {"en": "Acme Book 14", "uk": "Acme Бук 14"},
    "attributes": {"screen_size": 14},
    "variants": [
        {
            "sku": "LAP-0001-BLK",
            "attributes": {"colour": "black"},
            "prices": [{"amount": 99900, "currency": "EUR", "price_list": "retail"}],
            "media": [],
        }
    ],
    "media": [],
    "seo": {"slug": {"en": "acme-book-14", "uk": "acme-buk-14"}},
    **_AUDIT,
}


def _stored_document(example: dict[str, Any]) -> ConfigDict:
    """An admin answer: the stored model dumped without its null fields, so every field whose default is
    not null (a status, an empty list) is always sent and is required in the document."""

    def extra(schema: dict[str, Any], model: type[BaseModel]) -> None:
        always = [
            name
            for name, field in model.model_fields.items()
            if field.is_required() or field.default is not None or field.default_factory is not None
        ]
        schema["required"] = always
        schema["examples"] = [example]

    return ConfigDict(defer_build=True, json_schema_extra=extra)


class CatalogBrand(Brand):
    """A brand as merchandisers edit it, with its version (also sent as the ETag)."""

    model_config = _stored_document(_BRAND_EXAMPLE)


class CatalogCategory(Category):
    """A category as merchandisers edit it: every locale, its ancestors and its version."""

    model_config = _stored_document(_CATEGORY_EXAMPLE)


class CatalogProductType(ProductType):
    model_config = _stored_document(_TYPE_EXAMPLE)


class CatalogProduct(Product):
    """A product as merchandisers edit it, in any status, every locale kept."""

    model_config = _stored_document(_ADMIN_PRODUCT_EXAMPLE)


class CatalogBrandList(Answer):
    model_config = _examples({"items": [_BRAND_EXAMPLE]})

    items: list[CatalogBrand]


class CatalogCategoryList(Answer):
    model_config = _examples({"items": [_CATEGORY_EXAMPLE]})

    items: list[CatalogCategory] = Field(
        description="Every category, flat; parent_id and ancestors give the tree"
    )


class CatalogProductTypeList(Answer):
    model_config = _examples({"items": [_TYPE_EXAMPLE]})

    items: list[CatalogProductType]


class CatalogProductPage(Answer):
    model_config = _examples({"items": [_ADMIN_PRODUCT_EXAMPLE], "next_cursor": None})

    items: list[CatalogProduct]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last page")


# --- content history -----------------------------------------------------------------------------


class CatalogFieldChange(Answer):
    field: str = Field(
        description="Dotted path; list elements by identity",
        examples=["variants[SKU1].prices[retail/EUR].amount"],
    )
    old: Any = Field(description="The value before; null when the field was added")
    new: Any = Field(description="The value after; null when the field was removed")


class CatalogHistoryEntry(Answer):
    version: int
    change: str = Field(description="What kind of change made this version", examples=["updated"])
    at: str = Field(description="When (ISO 8601, UTC)")
    by: str = Field(description="The merchandiser's user id, or the importer")
    diff: list[CatalogFieldChange]


_HISTORY_EXAMPLE: dict[str, Any] = {
    "version": 2,
    "change": "updated",
    "at": _STAMP,
    "by": _MERCHANDISER,
    "diff": [{"field": "variants[LAP-0001-BLK].prices[retail/EUR].amount", "old": 99900, "new": 94900}],
}


class CatalogHistoryPage(Answer):
    model_config = _examples({"items": [_HISTORY_EXAMPLE], "next_cursor": None})

    items: list[CatalogHistoryEntry] = Field(description="Newest first")
    next_cursor: str | None = Field(description="Pass as ?cursor= for older versions; null at the first one")


class CatalogVersion(CatalogHistoryEntry):
    """One past version: the change that made it and the whole document as it was then."""

    model_config = _examples({**_HISTORY_EXAMPLE, "document": _ADMIN_PRODUCT_EXAMPLE})

    document: dict[str, Any] = Field(description="The entity as it was at this version (admin shape)")


# --- bulk import ----------------------------------------------------------------------------------


class CatalogImportError(Answer):
    field: str = Field(description="Dotted path in the row; empty when the whole row is refused")
    message: str
    code: str
    line: int = Field(description="The line of the file that holds the field")


class CatalogImportRow(Answer):
    line: int = Field(description="The row's first line in the file")
    code: str | None = Field(description="The row's product code; null when it could not be read")
    outcome: Literal["created", "updated", "unchanged", "failed"]
    product_id: str | None = Field(default=None, description="Absent for failed rows")
    version: int | None = Field(default=None, description="The product's version after the import")
    errors: list[CatalogImportError] | None = Field(default=None, description="Failed rows only")


class CatalogImportReport(Answer):
    model_config = _examples(
        {
            "rows": 2,
            "created": 1,
            "updated": 0,
            "unchanged": 0,
            "failed": 1,
            "results": [
                {
                    "line": 1,
                    "code": "LAP-0001",
                    "outcome": "created",
                    "product_id": "01JNR3Q7YB",
                    "version": 1,
                },
                {
                    "line": 2,
                    "code": "LAP-0002",
                    "outcome": "failed",
                    "errors": [
                        {
                            "field": "category_id",
                            "message": "no category 'tablets'",
                            "code": "unknown",
                            "line": 2,
                        }
                    ],
                },
            ],
        }
    )

    rows: int
    created: int
    updated: int
    unchanged: int
    failed: int
    results: list[CatalogImportRow] = Field(description="One entry per row, in file order")
