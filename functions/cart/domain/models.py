"""The cart as stored, the SKU facts lines are checked against, and the request bodies.

A cart holds only the shopper's choices (SKU and quantity per line, currency, destination, shipping
method, pickup store, promo codes, gift certificates); prices are computed on every read by
``pricing.domain.price_cart``. Request bodies forbid unknown fields, so a client-sent ``price``,
``total`` or ``discount`` is a 422 naming that field.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator, model_validator

from pricing.domain import CatalogItem, ListPrice, TaxClass
from shop_kernel.money import Currency, validate_currency

SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
Sku = Annotated[str, Field(pattern=SKU_PATTERN, examples=["LAP-0001-BLK"])]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$", examples=["UA"])]
MethodCode = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$", examples=["standard"])]
LocationId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$", examples=["kyiv-centre"])]
CodeText = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9 _-]+$")]


class OwnerKind(StrEnum):
    GUEST = "guest"
    CUSTOMER = "customer"


class CartStatus(StrEnum):
    OPEN = "open"
    MERGED = "merged"  # a guest cart whose lines went into a customer cart at sign-in
    CHECKED_OUT = "checked_out"  # became an order; a customer's next write opens a fresh cart over it


class CartClosed(Exception):
    """Checking the cart out was refused: it had become an order already (``order_id``; made by the
    checkout request ``checkout_ref``)."""

    def __init__(self, order_id: str | None, checkout_ref: str | None) -> None:
        super().__init__(f"the cart is checked out already (order {order_id})")
        self.order_id = order_id
        self.checkout_ref = checkout_ref


class CartChanged(Exception):
    """Checking the cart out was refused: it is no longer the version that was priced."""


@dataclass(frozen=True)
class CartOwner:
    """Who a cart belongs to: a guest (by the SHA-256 of their token) or a customer (Cognito ``sub``)."""

    kind: OwnerKind
    key: str


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Line(Strict):
    sku: str
    quantity: int
    added_at: str


class StoredCart(Strict):
    id: str
    owner_kind: OwnerKind
    version: int = 0
    status: CartStatus = CartStatus.OPEN
    currency: str
    destination_country: str
    shipping_method: str = "standard"
    pickup_location_id: str | None = None
    lines: tuple[Line, ...] = ()
    promo_codes: tuple[str, ...] = ()
    gift_certificates: tuple[str, ...] = ()
    created_at: str
    updated_at: str
    expires_at: int = Field(description="Epoch seconds; the table's TTL attribute")
    merged_into: str | None = None
    # Set by checkout's order transaction (``cart.adapters.records.close_cart_item``).
    order_id: str | None = None
    checkout_ref: str | None = None
    checked_out_at: str | None = None

    def line(self, sku: str) -> Line | None:
        return next((line for line in self.lines if line.sku == sku), None)

    def view(self) -> dict[str, Any]:
        """What a write answers: the choices and the version (prices come with ``GET``)."""
        return {
            "id": self.id,
            "version": self.version,
            "currency": self.currency,
            "destination_country": self.destination_country,
            "shipping_method": self.shipping_method,
            "pickup_location_id": self.pickup_location_id,
            "lines": [{"sku": line.sku, "quantity": line.quantity} for line in self.lines],
            "promo_codes": list(self.promo_codes),
            "gift_certificates": list(self.gift_certificates),
            "expires_at": self.expires_at,
        }


class SkuStatus(StrEnum):
    PUBLISHED = "published"
    ARCHIVED = "archived"
    WITHDRAWN = "withdrawn"  # the variant was removed from a still-published product


class SkuFacts(Strict):
    """The cart's read model of one SKU, projected from the catalog's events."""

    sku: str
    product_id: str
    product_version: int
    status: SkuStatus
    name: dict[str, str] = Field(default_factory=dict)
    prices: tuple[ListPrice, ...] = ()
    weight_grams: int = 0
    tax_class: TaxClass = TaxClass.STANDARD
    category_ids: frozenset[str] = frozenset()
    brand_id: str | None = None
    digital: bool = Field(default=False, description="Delivered electronically: no stock, no shipping")

    @property
    def sellable(self) -> bool:
        return self.status is SkuStatus.PUBLISHED

    def has_price_in(self, currency: str) -> bool:
        return any(p.amount.currency == currency for p in self.prices)

    def catalog_item(self) -> CatalogItem:
        return CatalogItem(
            sku=self.sku,
            category_ids=self.category_ids,
            brand_id=self.brand_id,
            weight_grams=self.weight_grams,
            tax_class=self.tax_class,
            prices=self.prices,
            digital=self.digital,
        )


# --- request bodies ------------------------------------------------------------------------------


class NewCart(Strict):
    currency: Currency = "EUR"
    destination_country: CountryCode = "UA"
    shipping_method: MethodCode = "standard"

    @field_validator("currency")
    @classmethod
    def _known(cls, value: str) -> str:
        return validate_currency(value)


class AddLine(Strict):
    sku: Sku
    quantity: StrictInt = Field(ge=1, le=1000, description="Added to the quantity already in the cart")


class SetQuantity(Strict):
    quantity: StrictInt = Field(ge=1, le=1000)


class CartSettingsBody(Strict):
    """Change any of these; absent or null fields stay as they are, except ``pickup_location_id: null``,
    which means delivery (a cart always has a currency, a destination and a shipping method)."""

    currency: Currency | None = None
    destination_country: CountryCode | None = None
    shipping_method: MethodCode | None = None
    pickup_location_id: LocationId | None = None

    @field_validator("currency")
    @classmethod
    def _known(cls, value: str | None) -> str | None:
        return validate_currency(value) if value is not None else None

    @model_validator(mode="after")
    def _null_keeps(self) -> CartSettingsBody:
        for name in ("currency", "destination_country", "shipping_method"):
            if getattr(self, name) is None:
                self.__pydantic_fields_set__.discard(name)
        return self


class CodeBody(Strict):
    code: CodeText
