"""What pricing needs from the outside world, as protocols the cart and checkout adapters implement.

* ``PriceBook`` - SKU facts and list prices. Pricing asks for the customer group's price list first and
  ``retail`` second, and takes the first list that has a price in the cart currency.
* ``TaxRates`` - per destination country: standard and reduced rates in basis points, and whether that
  market displays prices with tax included.
* ``CarrierQuotes`` - a shipping charge for a method, country, weight and currency
  (``pricing.domain.shipping.RuleBasedCarrierQuotes`` evaluates a rules table in memory).
* ``PromotionStore`` - automatic promotions and promo codes.
* ``CodeRedemptions`` - how often a code was used, overall and by one customer. Pricing only reads; the
  counts are written by checkout from the ``CodeRedemption`` intents, with conditional writes.
* ``GiftCertificates`` - certificate balances; debited by checkout from ``GiftCertificateRedemption``.

Adapters return domain models and raise ``shop_kernel.errors.DependencyUnavailable`` on an outage, so the
domain never sees a storage exception.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from pydantic import AwareDatetime, Field

from pricing.domain.models import MethodCode, Strict, TaxDisplay
from shop_kernel.money import Money

if TYPE_CHECKING:
    from pricing.domain.promotions import PromoCode, Promotion

RETAIL = "retail"


class TaxClass(StrEnum):
    STANDARD = "standard"
    REDUCED = "reduced"
    ZERO = "zero"


class ListPrice(Strict):
    price_list: str
    amount: Money = Field(description="Unit price; never negative")
    includes_tax: bool = Field(description="Gross (consumer) list or net (business) list")


class CatalogItem(Strict):
    """What pricing knows about a SKU: its list prices and the facts promotions and shipping use."""

    sku: str
    category_ids: frozenset[str] = frozenset()
    brand_id: str | None = None
    weight_grams: int = Field(default=0, ge=0)
    tax_class: TaxClass = TaxClass.STANDARD
    prices: tuple[ListPrice, ...] = ()
    digital: bool = Field(default=False, description="Delivered electronically: never shipped")


class CountryTax(Strict):
    country: str
    standard_bp: int = Field(ge=0, le=10_000)
    reduced_bp: int = Field(ge=0, le=10_000)
    display: TaxDisplay

    def rate_for(self, tax_class: TaxClass) -> int:
        if tax_class is TaxClass.REDUCED:
            return self.reduced_bp
        if tax_class is TaxClass.ZERO:
            return 0
        return self.standard_bp


class ShipmentRequest(Strict):
    method: MethodCode
    country: str
    weight_grams: int = Field(ge=0)
    currency: str


class ShippingQuote(Strict):
    price: Money
    includes_tax: bool


class CodeUsage(Strict):
    total: int = Field(ge=0)
    by_customer: int = Field(ge=0)


class GiftCertificate(Strict):
    code: str
    balance: Money
    expires_at: AwareDatetime | None = None


class PriceBook(Protocol):
    def price_list_for_group(self, customer_group: str) -> str | None:
        """The negotiated price list of a customer group, or None when the group buys at retail."""
        ...

    def items(self, skus: Sequence[str], price_lists: Sequence[str]) -> Mapping[str, CatalogItem]:
        """One item per known SKU with its prices in ``price_lists``; unknown SKUs are left out."""
        ...


class TaxRates(Protocol):
    def for_country(self, country: str) -> CountryTax | None: ...


class CarrierQuotes(Protocol):
    def quote(self, request: ShipmentRequest) -> ShippingQuote | None:
        """The charge for this shipment, or None when the method does not serve it."""
        ...


class PromotionStore(Protocol):
    def automatic(self, now: datetime) -> Sequence[Promotion]:
        """Automatic promotions that may be running at ``now`` (pricing re-checks each window)."""
        ...

    def find_code(self, code: str) -> PromoCode | None:
        """The promo code, looked up by its normalised (trimmed, upper-case) text."""
        ...

    def promotion(self, promotion_id: str) -> Promotion | None: ...


class CodeRedemptions(Protocol):
    def usage(self, code: str, customer_key: str | None) -> CodeUsage: ...


class GiftCertificates(Protocol):
    def find(self, code: str) -> GiftCertificate | None: ...
