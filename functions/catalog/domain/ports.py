"""What the catalog domain needs from the outside world, as protocols the adapters implement.

The repository owns every invariant the database enforces (unique codes, SKUs and slugs; optimistic
concurrency on ``version``); it raises ``Conflict`` / ``PreconditionFailed`` from
``shop_kernel.errors`` when one is violated, so the domain never sees a storage exception.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from catalog.domain.models import Brand, Category, Product, ProductType
from shop_kernel.money import CurrencyMismatch, Money


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None = None


@dataclass(frozen=True)
class HistoryEntry:
    """One recorded change: who made it, when, what changed, and the document as it was after it."""

    kind: str
    entity_id: str
    version: int
    change: str
    at: str
    by: str
    diff: list[dict[str, Any]]
    document: dict[str, Any]


@dataclass(frozen=True)
class StoredProduct:
    product: Product
    listed_in: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProductWrite:
    """A product change with everything that must be written atomically alongside it."""

    product: Product
    history: HistoryEntry
    previous: StoredProduct | None = None
    public: dict[str, Any] | None = None
    listing: dict[str, Any] | None = None
    listed_in: tuple[str, ...] = ()
    correlation_id: str | None = None


@dataclass(frozen=True)
class ListingFilter:
    brand_ids: tuple[str, ...] = ()
    currency: str | None = None
    price_list: str = "retail"
    # The price range, in ``currency``: both bounds are the kernel's Money, checked to be in it.
    min_price: Money | None = None
    max_price: Money | None = None
    attributes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # The shopper's availability contexts (shop_kernel.availability): each entry says its level for them;
    # with ``in_stock`` only entries not sold out in one of them are listed.
    contexts: tuple[str, ...] = ("any",)
    in_stock: bool = False

    def __post_init__(self) -> None:
        for bound in (self.min_price, self.max_price):
            if bound is not None and bound.currency != self.currency:
                raise CurrencyMismatch(f"a {bound.currency} price bound on a {self.currency} listing filter")

    def scope(self) -> str:
        low, high = (None if b is None else b.amount for b in (self.min_price, self.max_price))
        attrs = ";".join(f"{k}={','.join(sorted(v))}" for k, v in sorted(self.attributes.items()))
        brands = ",".join(sorted(self.brand_ids))
        stock = f"|in_stock:{','.join(sorted(self.contexts))}" if self.in_stock else ""
        return f"{brands}|{self.currency}|{self.price_list}|{low}|{high}|{attrs}{stock}"


@dataclass(frozen=True)
class ReferenceData:
    """Product types, categories and brands a product write is validated against."""

    product_types: dict[str, ProductType]
    categories: dict[str, Category]
    brands: dict[str, Brand]


class CatalogRepository(Protocol):
    # products (admin)
    def get_product(self, product_id: str) -> StoredProduct | None: ...
    def get_products_by_code(self, codes: Sequence[str]) -> dict[str, StoredProduct]: ...
    def save_product(self, write: ProductWrite) -> None: ...
    def list_products(self, status: str, limit: int, cursor: str | None) -> Page: ...
    def history(self, kind: str, entity_id: str, limit: int, cursor: str | None) -> Page: ...
    def version(self, kind: str, entity_id: str, version: int) -> HistoryEntry | None: ...

    # public reads: one call each
    def public_product(self, product_id: str) -> dict[str, Any] | None: ...
    def public_product_by_slug(self, locale: str, slug: str) -> dict[str, Any] | None: ...
    def category_page(
        self, category_id: str, filters: ListingFilter, limit: int, cursor: str | None
    ) -> Page: ...
    def listed_product_ids(self, category_id: str) -> list[str]: ...

    # reference data
    def reference_data(self, product_type_ids: Sequence[str], brand_ids: Sequence[str]) -> ReferenceData: ...
    def all_reference_data(self) -> ReferenceData: ...
    def list_categories(self) -> list[Category]: ...
    def get_category(self, category_id: str) -> Category | None: ...
    def save_category(self, category: Category, history: HistoryEntry, previous: Category | None) -> None: ...
    def save_category_subtree(self, changes: Sequence[tuple[Category, Category, HistoryEntry]]) -> None: ...
    def list_product_types(self) -> list[ProductType]: ...
    def get_product_type(self, type_id: str) -> ProductType | None: ...
    def save_product_type(
        self, product_type: ProductType, history: HistoryEntry, previous: ProductType | None
    ) -> None: ...
    def list_brands(self) -> list[Brand]: ...
    def get_brand(self, brand_id: str) -> Brand | None: ...
    def save_brand(self, brand: Brand, history: HistoryEntry, previous: Brand | None) -> None: ...


IdGenerator = Callable[[str], str]
