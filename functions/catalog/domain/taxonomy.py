"""Commands on the catalog's reference data: categories (create, rename, move), product types, brands.

Ids are the merchandiser's codes (``laptops``, ``acme``) so that import files can name them. A
category move rewrites the ancestors of the whole moved subtree and re-lists the published products
beneath it, so a parent category keeps listing exactly its descendants' products.
"""

from __future__ import annotations

from typing import Any

from catalog.domain.categories import ancestors_under, check_depth, check_move, descendants, rebase
from catalog.domain.changes import Actor, ExpectedVersion, expect_version, history_entry
from catalog.domain.commands import (
    CreateBrand,
    CreateCategory,
    CreateProductType,
    PatchBrand,
    PatchCategory,
    PatchProductType,
)
from catalog.domain.models import (
    Brand,
    BrandContent,
    Category,
    CategoryContent,
    ProductType,
    ProductTypeContent,
)
from catalog.domain.ports import CatalogRepository, HistoryEntry, ReferenceData
from catalog.domain.products import ProductService
from catalog.domain.validation import parse
from shop_kernel.clock import Clock, isoformat
from shop_kernel.errors import NotFound, ValidationFailed


class TaxonomyService:
    def __init__(self, repository: CatalogRepository, clock: Clock, products: ProductService) -> None:
        self._repository = repository
        self._clock = clock
        self._products = products

    def _audit(self, actor: Actor, version: int, created_at: str | None = None) -> dict[str, Any]:
        now = isoformat(self._clock.now())
        return {
            "version": version,
            "created_at": created_at or now,
            "updated_at": now,
            "updated_by": actor.subject,
        }

    def _history(self, kind: str, entity: Any, change: str, actor: Actor, before: Any | None) -> HistoryEntry:
        after = entity.model_dump(mode="json", exclude_none=True)
        old = before.model_dump(mode="json", exclude_none=True) if before is not None else None
        return history_entry(kind, entity.id, entity.version, change, entity.updated_at, actor, old, after)

    # categories -----------------------------------------------------------------------------------

    def category(self, category_id: str) -> Category:
        category = self._repository.get_category(category_id)
        if category is None:
            raise NotFound(f"no category {category_id!r}")
        return category

    def create_category(self, command: CreateCategory, actor: Actor) -> Category:
        parent = None
        if command.parent_id is not None:
            parent = self._repository.get_category(command.parent_id)
            if parent is None:
                raise ValidationFailed.on("body.parent_id", "no such category", "unknown")
        check_depth(parent)
        category = Category.model_validate(
            {**command.model_dump(), "ancestors": ancestors_under(parent), **self._audit(actor, 1)}
        )
        self._repository.save_category(
            category, self._history("category", category, "created", actor, None), None
        )
        return category

    def update_category(
        self, category_id: str, patch: PatchCategory, expected: ExpectedVersion, actor: Actor
    ) -> Category:
        old = self.category(category_id)
        expect_version(old.version, expected)
        stored = old.model_dump(include=set(CategoryContent.model_fields))
        content = parse(CategoryContent, patch.merged_into(stored))
        if content == CategoryContent.model_validate(stored):
            return old
        category = Category.model_validate(
            {
                **old.model_dump(),
                **content.model_dump(),
                **self._audit(actor, old.version + 1, old.created_at),
            }
        )
        self._repository.save_category(
            category, self._history("category", category, "updated", actor, old), old
        )
        return category

    def move_category(
        self, category_id: str, parent_id: str | None, expected: ExpectedVersion, actor: Actor
    ) -> Category:
        categories = {c.id: c for c in self._repository.list_categories()}
        moved = categories.get(category_id)
        if moved is None:
            raise NotFound(f"no category {category_id!r}")
        expect_version(moved.version, expected)
        new_parent = categories.get(parent_id) if parent_id else None
        if parent_id and new_parent is None:
            raise ValidationFailed.on("body.parent_id", "no such category", "unknown")
        check_move(moved, new_parent, list(categories.values()))
        if moved.parent_id == parent_id:
            return moved
        new_ancestors = ancestors_under(new_parent)
        changes = []
        for old in [moved, *descendants(moved.id, categories.values())]:
            updated = Category.model_validate(
                {
                    **old.model_dump(),
                    "parent_id": parent_id if old.id == moved.id else old.parent_id,
                    "ancestors": rebase(old, moved, new_ancestors),
                    **self._audit(actor, old.version + 1, old.created_at),
                }
            )
            changes.append((old, updated, self._history("category", updated, "moved", actor, old)))
            categories[updated.id] = updated
        self._repository.save_category_subtree(changes)
        self._relist_under(moved.id, categories, actor)
        return categories[moved.id]

    def _relist_under(self, category_id: str, categories: dict[str, Category], actor: Actor) -> None:
        refs = self._repository.all_reference_data()
        refs = ReferenceData(product_types=refs.product_types, categories=categories, brands=refs.brands)
        for product_id in self._repository.listed_product_ids(category_id):
            self._products.relist(product_id, refs, actor)

    # product types --------------------------------------------------------------------------------

    def product_type(self, type_id: str) -> ProductType:
        product_type = self._repository.get_product_type(type_id)
        if product_type is None:
            raise NotFound(f"no product type {type_id!r}")
        return product_type

    def create_product_type(self, command: CreateProductType, actor: Actor) -> ProductType:
        product_type = ProductType.model_validate({**command.model_dump(), **self._audit(actor, 1)})
        history = self._history("product_type", product_type, "created", actor, None)
        self._repository.save_product_type(product_type, history, None)
        return product_type

    def update_product_type(
        self, type_id: str, patch: PatchProductType, expected: ExpectedVersion, actor: Actor
    ) -> ProductType:
        old = self.product_type(type_id)
        expect_version(old.version, expected)
        stored = old.model_dump(include=set(ProductTypeContent.model_fields))
        content = parse(ProductTypeContent, patch.merged_into(stored))
        if content == ProductTypeContent.model_validate(stored):
            return old  # nothing changed: no new version, as for products and categories
        product_type = ProductType.model_validate(
            {
                **old.model_dump(),
                **content.model_dump(),
                **self._audit(actor, old.version + 1, old.created_at),
            }
        )
        history = self._history("product_type", product_type, "updated", actor, old)
        self._repository.save_product_type(product_type, history, old)
        return product_type

    # brands ---------------------------------------------------------------------------------------

    def brand(self, brand_id: str) -> Brand:
        brand = self._repository.get_brand(brand_id)
        if brand is None:
            raise NotFound(f"no brand {brand_id!r}")
        return brand

    def create_brand(self, command: CreateBrand, actor: Actor) -> Brand:
        brand = Brand.model_validate({**command.model_dump(), **self._audit(actor, 1)})
        self._repository.save_brand(brand, self._history("brand", brand, "created", actor, None), None)
        return brand

    def update_brand(
        self, brand_id: str, patch: PatchBrand, expected: ExpectedVersion, actor: Actor
    ) -> Brand:
        old = self.brand(brand_id)
        expect_version(old.version, expected)
        stored = old.model_dump(include=set(BrandContent.model_fields))
        content = parse(BrandContent, patch.merged_into(stored))
        if content == BrandContent.model_validate(stored):
            return old  # nothing changed: no new version, as for products and categories
        brand = Brand.model_validate(
            {
                **old.model_dump(),
                **content.model_dump(),
                **self._audit(actor, old.version + 1, old.created_at),
            }
        )
        self._repository.save_brand(brand, self._history("brand", brand, "updated", actor, old), old)
        return brand
