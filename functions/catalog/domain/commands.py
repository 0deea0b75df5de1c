"""Request models for the admin commands. Unknown fields are rejected; absent PATCH fields stay as they are."""

from __future__ import annotations

from pydantic import Field

from catalog.domain.models import (
    AttributeDefinition,
    AttributeValue,
    BrandContent,
    CategoryContent,
    Code,
    LocalisedName,
    LocalisedText,
    ProductCode,
    ProductContent,
    ProductMedia,
    ProductStatus,
    ProductTypeContent,
    ProductVariant,
    SeoMeta,
    Strict,
    Url,
)


class CreateProduct(ProductContent):
    code: ProductCode = Field(description="The merchant's product number; unique, never changes")


MAX_IMPORT_ROWS = 500


class ImportRow(CreateProduct):
    status: ProductStatus = ProductStatus.DRAFT


class PatchProduct(Strict):
    product_type_id: Code | None = None
    category_id: Code | None = None
    brand_id: Code | None = None
    name: LocalisedName | None = None
    description: LocalisedText | None = None
    attributes: dict[str, AttributeValue] | None = None
    variants: list[ProductVariant] | None = None
    media: list[ProductMedia] | None = None
    seo: SeoMeta | None = None


class CreateProductType(ProductTypeContent):
    id: Code


class PatchProductType(Strict):
    name: LocalisedName | None = None
    attributes: list[AttributeDefinition] | None = None


class CreateCategory(CategoryContent):
    id: Code
    parent_id: Code | None = None


class PatchCategory(Strict):
    name: LocalisedName | None = None
    description: LocalisedText | None = None
    seo: SeoMeta | None = None


class MoveCategory(Strict):
    parent_id: Code | None = Field(description="The new parent; null makes the category a root")


class CreateBrand(BrandContent):
    id: Code


class PatchBrand(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    description: LocalisedText | None = None
    logo_url: Url | None = None
