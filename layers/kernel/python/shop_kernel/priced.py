"""What a priced cart or order shows: the response models both cart and checkout answer.

Pricing computes one result for a cart and for the order placed from it; the cart API and the checkout API
describe it with the same models, which live here so that neither context imports the other's handlers.
``TaxDisplayName`` is pricing's enum as a literal, listed in place in the documents
(``tests/contract/openapi/test_cart_openapi.py`` keeps them equal).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from shop_kernel.money import Money

TaxDisplayName = Literal["inclusive", "exclusive"]


class PricedDiscount(BaseModel):
    """A promotion's share of a line's (or shipping's) discount."""

    promotion_id: str
    code: str | None = Field(description="The promo code that unlocked it, if any")
    amount: Money


class PricedShipping(BaseModel):
    method: str = Field(examples=["standard"])
    price: Money
    discounts: list[PricedDiscount]
    discount: Money
    tax_rate_bp: int = Field(description="Tax rate in basis points (2000 = 20 %)")
    tax: Money
    total: Money


class PricedTotals(BaseModel):
    """Each figure is the exact sum of the lines' and shipping's figures, in minor units."""

    subtotal: Money
    discount_total: Money
    shipping: Money
    tax_total: Money
    grand_total: Money
    gift_certificates: Money = Field(description="Paid by gift certificates")
    amount_due: Money = Field(description="What is left to pay by card")


class PricedPromotion(BaseModel):
    promotion_id: str
    name: str
    code: str | None
    amount: Money


__all__ = ["PricedDiscount", "PricedPromotion", "PricedShipping", "PricedTotals", "TaxDisplayName"]
