"""Request models for the admin commands. Unknown fields are rejected; absent PATCH fields stay as they are.

A PATCH follows JSON Merge Patch (RFC 7396) where the resource allows it: a field sent replaces the stored
one, and ``null`` clears a field the resource may lack (a description, a brand, a logo). A field the
resource always has (a name, SEO, a list of variants, media or attribute definitions) cannot be cleared,
so ``null`` there changes nothing, as leaving it out does: clients that send every field of their model,
unset ones as ``null``, change only what they set. A product's ``attributes`` are merged key by key.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

from pydantic import BaseModel, Field, model_validator

from catalog.domain.models import (
    AttributeCode,
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


class Patch(Strict):
    """A change to the stored ``CONTENT`` (see the module docstring for what ``null`` means)."""

    CONTENT: ClassVar[type[BaseModel]]

    @model_validator(mode="after")
    def _null_keeps_what_cannot_be_cleared(self) -> Self:
        for name in list(self.model_fields_set):
            stored = self.CONTENT.model_fields[name]
            clearable = not stored.is_required() and stored.default is None and stored.default_factory is None
            if getattr(self, name) is None and not clearable:
                self.__pydantic_fields_set__.discard(name)
        return self

    def merged_into(self, content: dict[str, Any]) -> dict[str, Any]:
        """``content`` (the stored content, dumped) with this change applied."""
        return {**content, **self.model_dump(exclude_unset=True)}


class PatchProduct(Patch):
    """A change to a product: fields sent replace the stored ones, absent fields stay. null clears
    brand_id or description; on any other field null changes nothing (a product always has them).
    attributes are merged: each key sent sets that attribute, a key sent as null removes it, others stay."""

    CONTENT = ProductContent

    product_type_id: Code | None = None
    category_id: Code | None = None
    brand_id: Code | None = None
    name: LocalisedName | None = None
    description: LocalisedText | None = None
    attributes: dict[AttributeCode, AttributeValue | None] | None = Field(
        default=None,
        description="Merged into the product's attributes: a key sets that attribute, a key with null "
        "removes it, attributes not named stay as they are ({} changes nothing)",
    )
    variants: list[ProductVariant] | None = None
    media: list[ProductMedia] | None = None
    seo: SeoMeta | None = None

    def merged_into(self, content: dict[str, Any]) -> dict[str, Any]:
        merged = super().merged_into(content)
        if self.attributes is not None:
            current = {**content.get("attributes", {}), **self.attributes}
            merged["attributes"] = {code: value for code, value in current.items() if value is not None}
        return merged


class CreateProductType(ProductTypeContent):
    id: Code


class PatchProductType(Patch):
    """A change to a product type: fields sent replace the stored ones; absent or null fields stay as they
    are (a type always has a name and a list of attributes, possibly empty: send [] to empty it)."""

    CONTENT = ProductTypeContent

    name: LocalisedName | None = None
    attributes: list[AttributeDefinition] | None = None


class CreateCategory(CategoryContent):
    id: Code
    parent_id: Code | None = None


class PatchCategory(Patch):
    """A change to a category: fields sent replace the stored ones, absent fields stay. null clears the
    description; a null name or seo changes nothing (a category always has them)."""

    CONTENT = CategoryContent

    name: LocalisedName | None = None
    description: LocalisedText | None = None
    seo: SeoMeta | None = None


class MoveCategory(Strict):
    parent_id: Code | None = Field(description="The new parent; null makes the category a root")


class CreateBrand(BrandContent):
    id: Code


class PatchBrand(Patch):
    """A change to a brand: fields sent replace the stored ones, absent fields stay. null clears the
    description or logo_url; a null name changes nothing (a brand always has one)."""

    CONTENT = BrandContent

    name: str | None = Field(default=None, min_length=1, max_length=120)
    description: LocalisedText | None = None
    logo_url: Url | None = None
