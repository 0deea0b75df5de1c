"""Product commands: create, update, publish, archive, and the write every one of them ends in.

A write validates the product against its product type, category and brand, bumps the version,
records a history entry with the field-level diff and, when the product is published, renders the
public document and listing entry that storefront reads use. Writing something identical to what is
stored changes nothing (no version bump), which is what makes imports idempotent.
"""

from __future__ import annotations

from typing import Any

from catalog.domain.changes import Actor, ExpectedVersion, expect_version, history_entry
from catalog.domain.commands import CreateProduct, PatchProduct
from catalog.domain.models import Product, ProductContent, ProductStatus
from catalog.domain.ports import CatalogRepository, IdGenerator, ProductWrite, ReferenceData, StoredProduct
from catalog.domain.validation import attribute_errors, join, parse
from catalog.domain.views import listing_entry, public_document
from shop_kernel.clock import Clock, isoformat
from shop_kernel.errors import Conflict, DomainError, FieldError, NotFound, ValidationFailed
from shop_kernel.ids import new_id


def reference_errors(content: ProductContent, refs: ReferenceData, prefix: str = "body") -> list[FieldError]:
    errors = []
    if content.category_id not in refs.categories:
        errors.append(
            FieldError(field=join(prefix, "category_id"), message="no such category", code="unknown")
        )
    if content.brand_id is not None and content.brand_id not in refs.brands:
        errors.append(FieldError(field=join(prefix, "brand_id"), message="no such brand", code="unknown"))
    product_type = refs.product_types.get(content.product_type_id)
    if product_type is None:
        errors.append(
            FieldError(field=join(prefix, "product_type_id"), message="no such product type", code="unknown")
        )
    else:
        errors += attribute_errors(content, product_type, prefix)
    return errors


class ProductService:
    def __init__(self, repository: CatalogRepository, clock: Clock, ids: IdGenerator = new_id) -> None:
        self._repository = repository
        self._clock = clock
        self._ids = ids

    def get(self, product_id: str) -> StoredProduct:
        stored = self._repository.get_product(product_id)
        if stored is None:
            raise NotFound(f"no product {product_id!r}")
        return stored

    def create(
        self,
        command: CreateProduct,
        actor: Actor,
        *,
        status: ProductStatus = ProductStatus.DRAFT,
        refs: ReferenceData | None = None,
        prefix: str = "body",
        change: str = "created",
    ) -> Product:
        content = ProductContent.model_validate(command.model_dump(include=set(ProductContent.model_fields)))
        refs = refs or self._refs_for(content)
        now = isoformat(self._clock.now())
        product = Product.model_validate(
            {
                **content.model_dump(),
                "id": self._ids("prod"),
                "code": command.code,
                "status": status,
                "version": 1,
                "created_at": now,
                "updated_at": now,
                "updated_by": actor.subject,
                "published_at": now if status == ProductStatus.PUBLISHED else None,
            }
        )
        self._write(product, None, change, actor, refs, prefix)
        return product

    def update(
        self, product_id: str, patch: PatchProduct, expected: ExpectedVersion, actor: Actor
    ) -> Product:
        stored = self.get(product_id)
        expect_version(stored.product.version, expected)
        content = parse(ProductContent, patch.merged_into(stored.product.content().model_dump()))
        return self.apply(stored, content, stored.product.status, "updated", actor)

    def publish(self, product_id: str, expected: ExpectedVersion, actor: Actor) -> Product:
        stored = self.get(product_id)
        expect_version(stored.product.version, expected)
        if stored.product.status == ProductStatus.PUBLISHED:
            raise Conflict("the product is already published")
        return self.apply(stored, stored.product.content(), ProductStatus.PUBLISHED, "published", actor)

    def archive(self, product_id: str, expected: ExpectedVersion, actor: Actor) -> Product:
        stored = self.get(product_id)
        expect_version(stored.product.version, expected)
        if stored.product.status == ProductStatus.ARCHIVED:
            raise Conflict("the product is already archived")
        return self.apply(stored, stored.product.content(), ProductStatus.ARCHIVED, "archived", actor)

    def apply(
        self,
        stored: StoredProduct,
        content: ProductContent,
        status: ProductStatus,
        change: str,
        actor: Actor,
        refs: ReferenceData | None = None,
        prefix: str = "body",
    ) -> Product:
        """Write ``content`` with ``status`` over ``stored``; nothing happens if neither changed."""
        old = stored.product
        if content == old.content() and status == old.status:
            return old
        refs = refs or self._refs_for(content)
        now = isoformat(self._clock.now())
        product = Product.model_validate(
            {
                **old.model_dump(),
                **content.model_dump(),
                "status": status,
                "version": old.version + 1,
                "updated_at": now,
                "updated_by": actor.subject,
                "published_at": now
                if status == ProductStatus.PUBLISHED and old.status != status
                else old.published_at,
            }
        )
        self._write(product, stored, change, actor, refs, prefix)
        return product

    def relist(self, product_id: str, refs: ReferenceData, actor: Actor) -> None:
        """A new version of a published product whose category moved, so its listings follow it."""
        stored = self._repository.get_product(product_id)
        if stored is None or stored.product.status != ProductStatus.PUBLISHED:
            return
        old = stored.product
        now = isoformat(self._clock.now())
        product = Product.model_validate(
            {**old.model_dump(), "version": old.version + 1, "updated_at": now, "updated_by": actor.subject}
        )
        self._write(product, stored, "relisted", actor, refs, "body")

    def _refs_for(self, content: ProductContent) -> ReferenceData:
        brands = [content.brand_id] if content.brand_id else []
        return self._repository.reference_data([content.product_type_id], brands)

    def _projections(
        self, product: Product, refs: ReferenceData
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None, tuple[str, ...]]:
        if product.status != ProductStatus.PUBLISHED:
            return None, None, ()
        category = refs.categories[product.category_id]
        brand = refs.brands.get(product.brand_id) if product.brand_id else None
        public = public_document(product, refs.product_types[product.product_type_id], category, brand)
        return public, listing_entry(product, public), tuple(category.path)

    def _write(
        self,
        product: Product,
        previous: StoredProduct | None,
        change: str,
        actor: Actor,
        refs: ReferenceData,
        prefix: str,
    ) -> None:
        errors = reference_errors(product.content(), refs, prefix)
        if errors:
            raise ValidationFailed("the product does not match its type, category or brand", errors=errors)
        public, listing, listed_in = self._projections(product, refs)
        before = previous.product.document() if previous else None
        history = history_entry(
            "product",
            product.id,
            product.version,
            change,
            product.updated_at,
            actor,
            before,
            product.document(),
        )
        write = ProductWrite(
            product=product,
            history=history,
            previous=previous,
            public=public,
            listing=listing,
            listed_in=listed_in,
            correlation_id=actor.correlation_id,
        )
        try:
            self._repository.save_product(write)
        except DomainError as exc:
            # The repository names fields relative to the product; say where the product came from.
            exc.errors = [e.model_copy(update={"field": join(prefix, e.field)}) for e in exc.errors]
            raise
