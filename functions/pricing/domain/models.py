"""What goes into pricing and what comes out of it.

The input (``Cart``) holds only what a shopper chooses: SKUs and quantities, the currency, where the
parcel goes, how it ships, and the promo codes and gift certificates entered. Every model forbids unknown
fields, so a client that sends a price, a total or a discount gets a 422 naming that field: prices are
computed by the server only. Who the customer is (``Customer``) comes from the authenticated caller, not
from the body.

The output (``PricedCart``) is built so that every order-level figure is the exact sum of per-line (and
shipping) figures, in integer minor units:

* ``totals.subtotal`` = sum of ``line.subtotal``
* ``totals.discount_total`` = sum of ``line.discount_total`` + ``shipping.discount``
* ``totals.tax_total`` = sum of ``line.tax`` + ``shipping.tax``
* ``totals.grand_total`` = sum of ``line.total`` + ``shipping.total``
  (= subtotal + shipping - discounts, plus tax when prices exclude tax)
* ``totals.amount_due`` = ``grand_total`` - ``gift_certificates``

Per-line discount allocations name their promotion, so a later partial refund can give back exactly
what a returned line cost.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shop_kernel.money import Currency, Money, validate_currency

MAX_LINES = 200
MAX_QUANTITY = 999

Sku = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", examples=["LAP-0001-16-512"])]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$", examples=["DE"])]
PromoCodeText = Annotated[str, Field(min_length=1, max_length=64, examples=["SPRING10"])]
GiftCertificateCode = Annotated[str, Field(min_length=1, max_length=64, examples=["GC-7Q4K-29XZ"])]
MethodCode = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$", examples=["standard"])]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TaxDisplay(StrEnum):
    """Whether shown prices include tax (EU B2C) or have tax added on top (B2B, US style)."""

    INCLUSIVE = "inclusive"
    EXCLUSIVE = "exclusive"


class CartLine(Strict):
    sku: Sku
    quantity: int = Field(ge=1, le=MAX_QUANTITY, strict=True)


class Cart(Strict):
    """The shopper's choices. No price, total or discount: those are the server's to compute."""

    currency: Currency
    lines: list[CartLine] = Field(default_factory=list, max_length=MAX_LINES)
    destination_country: CountryCode
    shipping_method: MethodCode = "standard"
    promo_codes: list[PromoCodeText] = Field(default_factory=list, max_length=10)
    gift_certificates: list[GiftCertificateCode] = Field(default_factory=list, max_length=10)

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        return validate_currency(value)


class Customer(Strict):
    """Who is buying, from the authenticated caller (``id`` None for a guest)."""

    id: str | None = None
    email: str | None = Field(default=None, max_length=254)
    group: str = Field(default="retail", pattern=r"^[a-z][a-z0-9_]{0,31}$")
    # Business accounts see net prices with tax added, whatever the market shows to consumers.
    tax_display: TaxDisplay | None = None

    @property
    def redemption_key(self) -> str | None:
        """The identity per-customer code limits count against; guests count by their e-mail."""
        if self.id:
            return f"customer:{self.id}"
        if self.email:
            return f"email:{self.email.strip().lower()}"
        return None


class LineDiscount(Strict):
    promotion_id: str
    code: str | None = None
    amount: Money


class PricedLine(Strict):
    sku: str
    quantity: int
    price_list: str
    unit_price: Money
    subtotal: Money
    discounts: list[LineDiscount]
    discount_total: Money
    tax_rate_bp: int
    tax: Money
    total: Money


class Shipping(Strict):
    method: str
    price: Money
    discounts: list[LineDiscount]
    discount: Money
    tax_rate_bp: int
    tax: Money
    total: Money


class GiftCertificateTender(Strict):
    code: str
    amount: Money
    balance_before: Money
    balance_after: Money


class Totals(Strict):
    subtotal: Money
    discount_total: Money
    shipping: Money
    tax_total: Money
    grand_total: Money
    gift_certificates: Money
    amount_due: Money


class AppliedPromotion(Strict):
    promotion_id: str
    name: str
    code: str | None = None
    amount: Money


class RejectionReason(StrEnum):
    NOT_APPLICABLE = "not_applicable"
    BLOCKED_BY_EXCLUSIVE = "blocked_by_exclusive"
    NOT_COMBINABLE = "not_combinable"
    STACKING_GROUP_TAKEN = "stacking_group_taken"
    SAME_PROMOTION = "same_promotion"


class RejectedCode(Strict):
    """A valid code that gives nothing on this cart; reported, never an error, never redeemed."""

    code: str
    reason: RejectionReason
    message: str


class CodeRedemption(Strict):
    """Checkout must count this use, atomically with the order, by conditional writes:

    the code's global count only while ``count < usage_limit`` and the customer's count only while
    ``count < per_customer_limit`` (no condition where the limit is None). A failed condition means
    another order took the last use first: the checkout answers 409 and re-prices.
    """

    code: str
    promotion_id: str
    customer_key: str | None
    usage_limit: int | None
    per_customer_limit: int | None


class GiftCertificateRedemption(Strict):
    """Debit ``amount`` only if the balance is still ``expected_balance`` (optimistic concurrency)."""

    code: str
    amount: Money
    expected_balance: Money


class Redemptions(Strict):
    promo_codes: list[CodeRedemption]
    gift_certificates: list[GiftCertificateRedemption]


class PricedCart(Strict):
    currency: str
    tax_display: TaxDisplay
    lines: list[PricedLine]
    shipping: Shipping | None
    totals: Totals
    applied_promotions: list[AppliedPromotion]
    rejected_codes: list[RejectedCode]
    gift_certificates: list[GiftCertificateTender]
    redemptions: Redemptions


class LedgerMismatch(Exception):
    """A give-back was refused: the code use or certificate debit it returns is not in the ledger (never a
    race: the give-back is conditioned on the order's own version). Nothing was written."""

    def __init__(self, code: str) -> None:
        super().__init__(f"{code}: the ledger does not show what would be given back")
        self.code = code
