"""What the cart API answers, as documented response models (the OpenAPI document's success bodies).

Routes build their answers from the domain (``StoredCart.view()``, ``price_for_display``); these models
describe those bodies exactly, and ``tests/contract/openapi`` validates every answer the integration
tests get against them. Names start with ``Cart`` or ``Priced`` so the merged ``/openapi.json`` of all
contexts cannot mix them up with another context's models. The priced shapes (``Priced*``) are
pricing's output and serve checkout's order too.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cart.domain.models import AddLine, CartSettingsBody, CodeBody, NewCart, SetQuantity
from shop_kernel.errors import FieldError
from shop_kernel.money import Money
from shop_kernel.priced import PricedDiscount, PricedPromotion, PricedShipping, PricedTotals, TaxDisplayName

# Pricing's enum as a literal: listed in place, so no generic component name can clash in the merged
# document (tests/contract/openapi/test_cart_openapi.py keeps them equal to the enums).
RejectionReasonName = Literal[
    "not_applicable", "blocked_by_exclusive", "not_combinable", "stacking_group_taken", "same_promotion"
]


def _example(value: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": [value]})


def _money(amount: int, currency: str = "UAH") -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


# --- request bodies: the domain's, under names no other context uses -----------------------------------


class CartCreate(NewCart):
    """A new cart's currency, destination country and shipping method (all have defaults)."""


class CartSettingsChange(CartSettingsBody):
    """Change any of these; absent fields stay as they are. ``pickup_location_id: null`` means delivery."""


class CartLineAdd(AddLine):
    """A SKU and how many to add (to what the cart already holds of it)."""


class CartLineQuantity(SetQuantity):
    """The line's new quantity."""


class CartCodeEntry(CodeBody):
    """A promo code or gift certificate code, as printed."""


# --- answers ---------------------------------------------------------------------------------------------

CHOICES_EXAMPLE: dict[str, Any] = {
    "id": "cart_01JD3Q4Z9K8M2N5P7R9T1V3X5Z",
    "version": 3,
    "currency": "UAH",
    "destination_country": "UA",
    "shipping_method": "standard",
    "pickup_location_id": None,
    "lines": [{"sku": "LAP-A-BLK", "quantity": 1}],
    "promo_codes": ["SPRING10"],
    "gift_certificates": [],
    "expires_at": 1767225600,
}


class CartLineChoice(BaseModel):
    """A line as the shopper chose it: the SKU and how many."""

    sku: str = Field(examples=["LAP-A-BLK"])
    quantity: int = Field(ge=1, examples=[1])


class CartChoices(BaseModel):
    """The shopper's choices and the cart's version (send it back as ``If-Match``); no prices."""

    model_config = _example(CHOICES_EXAMPLE)

    id: str = Field(description="The cart's id")
    version: int = Field(description="Grows with every change; the ETag is this number in quotes")
    currency: str = Field(examples=["UAH"])
    destination_country: str = Field(description="ISO 3166-1 alpha-2: where prices and tax are for")
    shipping_method: str = Field(examples=["standard"])
    pickup_location_id: str | None = Field(description="The store to collect from; null: delivery")
    lines: list[CartLineChoice]
    promo_codes: list[str]
    gift_certificates: list[str] = Field(description="Gift certificate codes entered")
    expires_at: int = Field(description="Epoch seconds: an untouched cart is deleted then")


class NewGuestCart(CartChoices):
    """A new guest cart with its token, shown this once (also in the ``X-Cart-Token`` header)."""

    model_config = _example(
        {**CHOICES_EXAMPLE, "version": 0, "lines": [], "promo_codes": [], "token": "x" * 43}
    )

    token: str = Field(description="Send it as X-Cart-Token on every guest cart and checkout request")


class CartDroppedLine(BaseModel):
    sku: str
    quantity: int
    reason: str = Field(description="Why the line could not move into the customer's cart")


class CartMergeReport(BaseModel):
    dropped: list[CartDroppedLine] = Field(description="Guest lines not taken over")
    capped: list[str] = Field(description="SKUs whose quantity was lowered to the per-line maximum")


class MergedCart(CartChoices):
    """The customer's cart after taking over the guest cart's lines and codes."""

    model_config = _example({**CHOICES_EXAMPLE, "merge": {"dropped": [], "capped": []}})

    merge: CartMergeReport


class PricedRejectedCode(BaseModel):
    """A valid code that gives nothing on this cart (never an error, never redeemed)."""

    code: str
    reason: RejectionReasonName
    message: str


class CartPricedLine(BaseModel):
    sku: str
    name: str | None = Field(description="The product's name in the negotiated language")
    quantity: int
    price_list: str = Field(examples=["retail"])
    unit_price: Money
    subtotal: Money
    discounts: list[PricedDiscount]
    discount_total: Money
    tax_rate_bp: int
    tax: Money
    total: Money


_LINE_EXAMPLE = {
    "sku": "LAP-A-BLK",
    "name": "Laptop A",
    "quantity": 1,
    "price_list": "retail",
    "unit_price": _money(4000000),
    "subtotal": _money(4000000),
    "discounts": [{"promotion_id": "promo_ten", "code": "SPRING10", "amount": _money(400000)}],
    "discount_total": _money(400000),
    "tax_rate_bp": 2000,
    "tax": _money(600000),
    "total": _money(3600000),
}
_SHIPPING_EXAMPLE = {
    "method": "standard",
    "price": _money(9900),
    "discounts": [],
    "discount": _money(0),
    "tax_rate_bp": 2000,
    "tax": _money(1650),
    "total": _money(9900),
}


class CartPointsPreview(BaseModel):
    """What a signed-in member's loyalty points may pay of this cart (read through loyalty's contract)."""

    available: int = Field(description="The member's available points now", examples=[5000])
    max_usable: int = Field(
        description="The most points this cart may be paid with: the redemption rules (rate per currency, "
        "the share of the order points may pay, excluded categories), after gift certificates, never "
        "shipping, and leaving the card nothing or at least the least it can be charged (e.g. 0.50 EUR). "
        'What checkout\'s `points: "max"` uses',
        examples=[5000],
    )
    max_value: Money = Field(description="What `max_usable` points pay")
    point_value: Money | None = Field(
        description="What one point pays in the cart's currency; null: points pay nothing in it"
    )


class PricedCartView(CartChoices):
    """The cart priced now for this shopper (prices are the server's only)."""

    model_config = _example(
        {
            **CHOICES_EXAMPLE,
            "lines": [_LINE_EXAMPLE],
            "tax_display": "inclusive",
            "shipping": _SHIPPING_EXAMPLE,
            "totals": {
                "subtotal": _money(4000000),
                "discount_total": _money(400000),
                "shipping": _money(9900),
                "tax_total": _money(601650),
                "grand_total": _money(3609900),
                "gift_certificates": _money(0),
                "amount_due": _money(3609900),
            },
            "applied_promotions": [
                {
                    "promotion_id": "promo_ten",
                    "name": "10 % off",
                    "code": "SPRING10",
                    "amount": _money(400000),
                }
            ],
            "rejected_codes": [],
            "unavailable_lines": [],
            "invalid_codes": [],
            "points": {
                "available": 5000,
                "max_usable": 5000,
                "max_value": _money(50000),
                "point_value": _money(10),
            },
        }
    )

    lines: list[CartPricedLine]  # type: ignore[assignment]
    tax_display: TaxDisplayName = Field(description="Whether prices include tax or have it added")
    shipping: PricedShipping | None = Field(description="Null while the cart is empty")
    totals: PricedTotals
    applied_promotions: list[PricedPromotion]
    rejected_codes: list[PricedRejectedCode]
    unavailable_lines: list[CartLineChoice] = Field(
        description="Lines left out: archived, withdrawn or without a price in the cart's currency"
    )
    invalid_codes: list[FieldError] = Field(description="Codes left out: expired or used up since entered")
    points: CartPointsPreview | None = Field(
        description="For a signed-in customer: their loyalty points and what they may pay of this cart; "
        "null for a guest cart"
    )
