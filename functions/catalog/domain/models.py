"""The catalog's content model: products with variants, product types, categories and brands.

Every model forbids unknown fields, so a typo or a server-computed field sent by a client is a 422
naming it. Localised text is an object with one key per supported locale; the default locale (``en``)
is required so every reader has something to fall back to. A price is the kernel's ``Money`` (integer
minor units in a known ISO-4217 currency) in a price list.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, field_validator

from shop_kernel.locale import DEFAULT_LOCALE, SUPPORTED_LOCALES, localise
from shop_kernel.money import Money
from shop_kernel.openapi import NOT_SPACE

MAX_VARIANTS = 30
MAX_CATEGORY_DEPTH = 5

Code = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,62}$", examples=["laptops"])]
AttributeCode = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$", examples=["screen_size"])]
PriceListCode = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,19}$", examples=["retail"])]
ProductCode = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", examples=["LAP-0001"])]
Sku = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", examples=["LAP-0001-16-512"])]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=120, examples=["ultrabook-14"])]
Url = Annotated[str, Field(pattern=rf"^https?://{NOT_SPACE}+$", max_length=2048)]
FiniteFloat = Annotated[float, Field(strict=True, allow_inf_nan=False)]
AttributeValue = StrictBool | StrictInt | FiniteFloat | StrictStr


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalisedModel(Strict):
    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if v}

    def in_locale(self, locale: str) -> str:
        return localise(self.as_dict(), locale, DEFAULT_LOCALE) or ""


class LocalisedName(LocalisedModel):
    """A short localised text: ``en`` is required, ``uk`` falls back to ``en`` when absent."""

    en: str = Field(min_length=1, max_length=200)
    uk: str | None = Field(default=None, min_length=1, max_length=200)


class LocalisedText(LocalisedModel):
    en: str = Field(min_length=1, max_length=10_000)
    uk: str | None = Field(default=None, min_length=1, max_length=10_000)


class LocalisedSlug(LocalisedModel):
    en: Slug
    uk: Slug | None = None


class LocalisedUrl(LocalisedModel):
    en: Url
    uk: Url | None = None


assert tuple(LocalisedName.model_fields) == SUPPORTED_LOCALES, (
    "localised models must list every supported locale"
)


class SeoMeta(Strict):
    """Search-engine meta; slugs are unique per locale across products (and across categories)."""

    slug: LocalisedSlug
    title: LocalisedName | None = None
    description: LocalisedText | None = None
    canonical_url: LocalisedUrl | None = None


class ProductStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class AttributeKind(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    ENUM = "enum"
    BOOLEAN = "boolean"


class AttributeOption(Strict):
    code: AttributeCode
    label: LocalisedName


class AttributeDefinition(Strict):
    """One attribute a product type declares. ``variant`` attributes differ per SKU (colour, size)."""

    code: AttributeCode
    label: LocalisedName
    kind: AttributeKind
    unit: str | None = Field(default=None, max_length=20, examples=["GB", "in", "kg"])
    options: list[AttributeOption] = Field(default_factory=list, max_length=200)
    required: bool = False
    variant: bool = False

    def option(self, code: str) -> AttributeOption | None:
        return next((o for o in self.options if o.code == code), None)


class ProductTypeContent(Strict):
    name: LocalisedName
    attributes: list[AttributeDefinition] = Field(default_factory=list, max_length=100)

    @field_validator("attributes")
    @classmethod
    def _consistent(cls, attributes: list[AttributeDefinition]) -> list[AttributeDefinition]:
        codes = [a.code for a in attributes]
        if len(codes) != len(set(codes)):
            raise ValueError("attribute codes must be unique")
        for a in attributes:
            if a.kind == AttributeKind.ENUM and not a.options:
                raise ValueError(f"enum attribute {a.code!r} needs at least one option")
            if a.kind != AttributeKind.ENUM and a.options:
                raise ValueError(f"only enum attributes have options ({a.code!r} is {a.kind})")
            if a.unit and a.kind != AttributeKind.NUMBER:
                raise ValueError(f"only number attributes have a unit ({a.code!r} is {a.kind})")
        return attributes

    def definition(self, code: str) -> AttributeDefinition | None:
        return next((a for a in self.attributes if a.code == code), None)


class Audit(Strict):
    version: int
    created_at: str
    updated_at: str
    updated_by: str


class ProductType(ProductTypeContent, Audit):
    id: Code


class CategoryContent(Strict):
    name: LocalisedName
    description: LocalisedText | None = None
    seo: SeoMeta


class Category(CategoryContent, Audit):
    id: Code
    parent_id: Code | None = None
    ancestors: list[str] = Field(default_factory=list, description="Ancestor ids, root first")

    @property
    def path(self) -> list[str]:
        return [*self.ancestors, self.id]


class BrandContent(Strict):
    name: str = Field(min_length=1, max_length=120)
    description: LocalisedText | None = None
    logo_url: Url | None = None


class Brand(BrandContent, Audit):
    id: Code


# The kernel's Money with a price list: a subclass rather than a ``money`` field, so the API and the
# events keep the flat ``{amount, currency, price_list}`` they always had; arithmetic gives plain Money.
class VariantPrice(Money):
    """A variant's price in one price list: minor units of an ISO-4217 currency, never negative."""

    amount: StrictInt = Field(ge=0, description="Minor units of the currency (cents)")
    price_list: PriceListCode = "retail"


class ProductMedia(Strict):
    url: Url
    kind: str = Field(default="image", pattern=r"^(image|video)$")
    alt: LocalisedName | None = None


class ProductVariant(Strict):
    sku: Sku
    attributes: dict[AttributeCode, AttributeValue] = Field(default_factory=dict)
    prices: list[VariantPrice] = Field(min_length=1, max_length=50)
    media: list[ProductMedia] = Field(default_factory=list, max_length=30)

    @field_validator("prices")
    @classmethod
    def _one_price_per_list_and_currency(cls, prices: list[VariantPrice]) -> list[VariantPrice]:
        keys = [(p.price_list, p.currency) for p in prices]
        if len(keys) != len(set(keys)):
            raise ValueError("one price per (price_list, currency)")
        return prices


class ProductContent(Strict):
    """What a merchandiser edits. Everything else on a product is computed by the server."""

    product_type_id: Code
    category_id: Code
    brand_id: Code | None = None
    name: LocalisedName
    description: LocalisedText | None = None
    attributes: dict[AttributeCode, AttributeValue] = Field(default_factory=dict)
    variants: list[ProductVariant] = Field(min_length=1, max_length=MAX_VARIANTS)
    media: list[ProductMedia] = Field(default_factory=list, max_length=30)
    seo: SeoMeta

    @field_validator("variants")
    @classmethod
    def _unique_skus(cls, variants: list[ProductVariant]) -> list[ProductVariant]:
        skus = [v.sku for v in variants]
        if len(skus) != len(set(skus)):
            raise ValueError("variant SKUs must be unique")
        return variants


class Product(ProductContent, Audit):
    id: str
    code: ProductCode
    status: ProductStatus = ProductStatus.DRAFT
    published_at: str | None = None

    def content(self) -> ProductContent:
        return ProductContent.model_validate(self.model_dump(include=set(ProductContent.model_fields)))

    def document(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)
