"""Events the catalog publishes, and how a change to a product item becomes them.

Published from the table's stream (never from the request path), so an event exists exactly when the
change was committed. Event ids are derived from (product id, version, event type): a replayed stream
record yields the same ids and consumers deduplicate on them. Drafts are private, so only changes that
affect what the public sees produce events.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shop_kernel.events import DomainEvent, make_event
from shop_kernel.money import CurrencyMismatch, Money

SOURCE = "shop.catalog"
SCHEMA_VERSION = "1.0"
_NAMESPACE = uuid.UUID("6f1c1e4e-2b7a-4f8e-9a53-0c3a1d7f2b10")


class EventModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProductSnapshot(EventModel):
    """The published product as the storefront shows it, every locale included."""

    id: str
    code: str
    version: int
    name: dict[str, str]
    description: dict[str, str] | None = None
    seo: dict[str, Any]
    brand: dict[str, str] | None = None
    category: dict[str, Any] = Field(description="{id, path: ancestor ids root first + id}")
    product_type_id: str
    attributes: list[dict[str, Any]]
    variants: list[dict[str, Any]]
    media: list[dict[str, Any]]
    published_at: str | None = None
    updated_at: str


class ProductPublished(EventModel):
    product: ProductSnapshot


class ProductUpdated(EventModel):
    product: ProductSnapshot
    changed_fields: list[str]


class ProductArchived(EventModel):
    product_id: str
    code: str
    version: int
    archived_at: str


# One price of one SKU before and after: built from ``Money``, while on the wire the amounts stay minor
# units of ``currency``, the version 1.0 shape every consumer reads. (A docstring would change the schema.)
class PriceChange(EventModel):
    sku: str
    price_list: str
    currency: str
    old_amount: int | None = Field(description="null when the price is new")
    new_amount: int | None = Field(description="null when the price was removed")

    @classmethod
    def between(cls, sku: str, price_list: str, old: Money | None, new: Money | None) -> PriceChange:
        known = old or new
        if known is None:
            raise ValueError("a price change needs a price before or after it")
        if old is not None and new is not None and old.currency != new.currency:
            raise CurrencyMismatch(f"a price cannot change from {old.currency} to {new.currency}")
        return cls(
            sku=sku,
            price_list=price_list,
            currency=known.currency,
            old_amount=None if old is None else old.amount,
            new_amount=None if new is None else new.amount,
        )


class PriceChanged(EventModel):
    product_id: str
    version: int
    changes: list[PriceChange]


EVENT_MODELS: dict[str, type[EventModel]] = {
    "ProductPublished": ProductPublished,
    "ProductUpdated": ProductUpdated,
    "ProductArchived": ProductArchived,
    "PriceChanged": PriceChanged,
}


def event_id(product_id: str, version: int, detail_type: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{product_id}:{version}:{detail_type}"))


def _prices(document: dict[str, Any]) -> dict[tuple[str, str, str], Money]:
    """(sku, price list, currency) -> the price, from a product document (``Product.document()``)."""
    return {
        (v["sku"], p.get("price_list", "retail"), p["currency"]): Money.of(p["amount"], p["currency"])
        for v in document.get("variants", [])
        for p in v.get("prices", [])
    }


def price_changes(old: dict[str, Any], new: dict[str, Any]) -> list[PriceChange]:
    before, after = _prices(old), _prices(new)
    changes = []
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            sku, price_list, _currency = key
            changes.append(PriceChange.between(sku, price_list, before.get(key), after.get(key)))
    return changes


def _changed_fields(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    ignore = {"version", "updated_at", "published_at"}
    return sorted(k for k in set(old) | set(new) if k not in ignore and old.get(k) != new.get(k))


def events_for_change(
    old: dict[str, Any] | None, new: dict[str, Any] | None, correlation_id: str | None = None
) -> list[DomainEvent]:
    """``old``/``new`` are product items' ``{status, version, doc, public}`` before and after a write."""
    if not new:
        return []
    was_public = old is not None and old.get("status") == "published" and bool(old.get("public"))
    product, version, status = new["doc"], new["version"], new.get("status")

    def emit(detail_type: str, data: EventModel, at: str) -> DomainEvent:
        return make_event(
            SOURCE,
            detail_type,
            data,
            version=SCHEMA_VERSION,
            occurred_at=at,
            event_id=event_id(product["id"], version, detail_type),
            correlation_id=correlation_id,
        )

    if status == "published" and new.get("public"):
        snapshot = ProductSnapshot.model_validate(new["public"])
        if not was_public:
            return [emit("ProductPublished", ProductPublished(product=snapshot), product["updated_at"])]
        assert old is not None
        if old.get("version") == version:
            return []  # re-rendered after a category move: same content, same version
        events = [
            emit(
                "ProductUpdated",
                ProductUpdated(
                    product=snapshot, changed_fields=_changed_fields(old["public"], new["public"])
                ),
                product["updated_at"],
            )
        ]
        if changes := price_changes(old["doc"], product):
            events.append(
                emit(
                    "PriceChanged",
                    PriceChanged(product_id=product["id"], version=version, changes=changes),
                    product["updated_at"],
                )
            )
        return events
    if was_public and status == "archived":
        archived = ProductArchived(
            product_id=product["id"], code=product["code"], version=version, archived_at=product["updated_at"]
        )
        return [emit("ProductArchived", archived, product["updated_at"])]
    return []
