"""In-memory fakes of every pricing port, and a ``shop`` fixture that prices carts against them.

The fakes behave like the adapters will: price lists per customer group, a rates table per country, a
shipping rules table, promotions and codes, usage counts, gift certificate balances. ``commit`` plays
checkout: it applies the redemption intents with the same conditions the conditional writes will have.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

import pytest
from loyalty.domain.certificates import balance_changed

from pricing.domain import (
    CarrierQuotes,
    Cart,
    CatalogItem,
    CodeUsage,
    CountryTax,
    Customer,
    FlatRate,
    GiftCertificate,
    ListPrice,
    PricedCart,
    PricingContext,
    PromoCode,
    Promotion,
    RuleBasedCarrierQuotes,
    ShipmentRequest,
    ShippingQuote,
    ShippingRule,
    TaxClass,
    TaxDisplay,
    WeightBand,
    WeightRate,
    code_no_longer_available,
    price_cart,
)
from shop_kernel.money import Money

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)

RATES = {
    "DE": CountryTax(country="DE", standard_bp=1900, reduced_bp=700, display=TaxDisplay.INCLUSIVE),
    "FR": CountryTax(country="FR", standard_bp=2000, reduced_bp=550, display=TaxDisplay.INCLUSIVE),
    "US": CountryTax(country="US", standard_bp=725, reduced_bp=0, display=TaxDisplay.EXCLUSIVE),
    "CH": CountryTax(country="CH", standard_bp=0, reduced_bp=0, display=TaxDisplay.EXCLUSIVE),
}


def eur(amount: int) -> Money:
    return Money.of(amount, "EUR")


RULES = [
    ShippingRule(
        method="standard",
        zone="eu",
        countries=frozenset({"DE", "FR"}),
        rate=FlatRate(prices=(eur(499), Money.of(599, "USD"))),
    ),
    ShippingRule(
        method="express",
        zone="eu",
        countries=frozenset({"DE", "FR"}),
        rate=WeightRate(
            bands=(
                WeightBand(up_to_grams=2000, prices=(eur(990),)),
                WeightBand(up_to_grams=10_000, prices=(eur(1990),)),
            )
        ),
    ),
    ShippingRule(
        method="standard",
        zone="world",
        rate=WeightRate(
            bands=(
                WeightBand(up_to_grams=1000, prices=(eur(1500), Money.of(1500, "USD"))),
                WeightBand(up_to_grams=5000, prices=(eur(3000), Money.of(3000, "USD"))),
            )
        ),
        includes_tax=False,
    ),
]


class FakeShop:
    """Implements PriceBook, TaxRates, CarrierQuotes, PromotionStore, CodeRedemptions, GiftCertificates."""

    def __init__(self) -> None:
        self.catalog: dict[str, CatalogItem] = {}
        self.group_lists: dict[str, str] = {"b2b_gold": "gold"}
        self.rates: dict[str, CountryTax] = dict(RATES)
        self.carriers: CarrierQuotes = RuleBasedCarrierQuotes(RULES)
        self.promotions: dict[str, Promotion] = {}
        self.codes: dict[str, PromoCode] = {}
        self.uses: Counter[str] = Counter()
        self.uses_by: Counter[tuple[str, str | None]] = Counter()
        self.certificates: dict[str, GiftCertificate] = {}
        self.lookups: list[tuple[tuple[str, ...], tuple[str, ...]]] = []

    # --- ports -----------------------------------------------------------------------------------
    def price_list_for_group(self, customer_group: str) -> str | None:
        return self.group_lists.get(customer_group)

    def items(self, skus: Sequence[str], price_lists: Sequence[str]) -> Mapping[str, CatalogItem]:
        self.lookups.append((tuple(skus), tuple(price_lists)))
        return {sku: self.catalog[sku] for sku in skus if sku in self.catalog}

    def for_country(self, country: str) -> CountryTax | None:
        return self.rates.get(country)

    def quote(self, request: ShipmentRequest) -> ShippingQuote | None:
        return self.carriers.quote(request)

    def automatic(self, now: datetime) -> Sequence[Promotion]:
        return [p for p in self.promotions.values() if p.automatic]

    def find_code(self, code: str) -> PromoCode | None:
        return self.codes.get(code)

    def promotion(self, promotion_id: str) -> Promotion | None:
        return self.promotions.get(promotion_id)

    def usage(self, code: str, customer_key: str | None) -> CodeUsage:
        return CodeUsage(total=self.uses[code], by_customer=self.uses_by[(code, customer_key)])

    def find(self, code: str) -> GiftCertificate | None:
        return self.certificates.get(code)

    # --- builders --------------------------------------------------------------------------------
    def item(
        self,
        sku: str,
        price: int = 1000,
        *,
        currency: str = "EUR",
        categories: Iterable[str] = (),
        brand: str | None = None,
        weight: int = 0,
        tax_class: TaxClass = TaxClass.STANDARD,
        includes_tax: bool = True,
        extra: Iterable[ListPrice] = (),
    ) -> CatalogItem:
        retail = ListPrice(price_list="retail", amount=Money.of(price, currency), includes_tax=includes_tax)
        prices = (retail, *extra)
        self.catalog[sku] = CatalogItem(
            sku=sku,
            category_ids=frozenset(categories),
            brand_id=brand,
            weight_grams=weight,
            tax_class=tax_class,
            prices=prices,
        )
        return self.catalog[sku]

    def promote(self, promotion: Promotion, *codes: PromoCode) -> Promotion:
        self.promotions[promotion.id] = promotion
        for code in codes:
            self.codes[code.code] = code
        return promotion

    def certificate(
        self, code: str, balance: int, currency: str = "EUR", expires_at: datetime | None = None
    ) -> None:
        self.certificates[code] = GiftCertificate(
            code=code, balance=Money.of(balance, currency), expires_at=expires_at
        )

    def context(self, customer: Customer | None = None, now: datetime = NOW) -> PricingContext:
        return PricingContext(
            customer=customer or Customer(id="cus_1"),
            now=now,
            price_book=self,
            tax_rates=self,
            carrier_quotes=self,
            promotions=self,
            code_redemptions=self,
            gift_certificates=self,
        )

    def price(
        self,
        lines: Iterable[tuple[str, int]] = (("A", 1),),
        *,
        currency: str = "EUR",
        country: str = "DE",
        method: str = "standard",
        codes: Sequence[str] = (),
        certificates: Sequence[str] = (),
        customer: Customer | None = None,
        now: datetime = NOW,
    ) -> PricedCart:
        cart = Cart.model_validate(
            {
                "currency": currency,
                "lines": [{"sku": sku, "quantity": qty} for sku, qty in lines],
                "destination_country": country,
                "shipping_method": method,
                "promo_codes": list(codes),
                "gift_certificates": list(certificates),
            }
        )
        return price_cart(cart, self.context(customer, now))

    def commit(self, priced: PricedCart) -> None:
        """Checkout's conditional writes: all intents or none (one transaction)."""
        for r in priced.redemptions.promo_codes:
            if r.usage_limit is not None and self.uses[r.code] >= r.usage_limit:
                raise code_no_longer_available(r)
            if (
                r.per_customer_limit is not None
                and self.uses_by[(r.code, r.customer_key)] >= r.per_customer_limit
            ):
                raise code_no_longer_available(r)
        for g in priced.redemptions.gift_certificates:
            if self.certificates[g.code].balance != g.expected_balance:
                raise balance_changed(g.code)
        for r in priced.redemptions.promo_codes:
            self.uses[r.code] += 1
            self.uses_by[(r.code, r.customer_key)] += 1
        for g in priced.redemptions.gift_certificates:
            current = self.certificates[g.code]
            self.certificates[g.code] = current.model_copy(update={"balance": current.balance - g.amount})


@pytest.fixture
def shop() -> FakeShop:
    return FakeShop()


@pytest.fixture
def new_shop() -> type[FakeShop]:
    """A factory for property tests, which need a fresh shop per generated example."""
    return FakeShop


@pytest.fixture
def now() -> datetime:
    """The instant every ``shop.price`` call uses unless told otherwise."""
    return NOW
