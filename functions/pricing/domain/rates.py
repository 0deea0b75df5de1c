"""Tax rates per destination country and the shipping rules table, as configuration data.

Shared by the cart (what the shopper sees) and checkout (what the order charges), so both price alike.

Rates in basis points (2000 = 20 %), the standard and the reduced rate, and whether that market shows
consumer prices with tax included (every EU market and Ukraine do; the US adds sales tax on top).
Shipping: a flat rate inside Ukraine and a weight/zone table for the EU and the rest of the world, each
priced in UAH, EUR and USD; collecting an order in a store (``pickup``) is free. A rates change is a code change, reviewed and deployed like one.
"""

from __future__ import annotations

from pricing.domain import (
    CountryTax,
    FlatRate,
    RuleBasedCarrierQuotes,
    ShippingRule,
    TaxDisplay,
    WeightBand,
    WeightRate,
)
from shop_kernel.money import Money

INCLUSIVE, EXCLUSIVE = TaxDisplay.INCLUSIVE, TaxDisplay.EXCLUSIVE
_RATES: dict[str, tuple[int, int, TaxDisplay]] = {
    "UA": (2000, 700, INCLUSIVE),
    "PL": (2300, 800, INCLUSIVE),
    "DE": (1900, 700, INCLUSIVE),
    "FR": (2000, 550, INCLUSIVE),
    "IT": (2200, 1000, INCLUSIVE),
    "ES": (2100, 1000, INCLUSIVE),
    "NL": (2100, 900, INCLUSIVE),
    "CZ": (2100, 1200, INCLUSIVE),
    "RO": (1900, 900, INCLUSIVE),
    "US": (0, 0, EXCLUSIVE),
}
TAX_RATES = {
    country: CountryTax(country=country, standard_bp=standard, reduced_bp=reduced, display=display)
    for country, (standard, reduced, display) in _RATES.items()
}
EU = frozenset({"PL", "DE", "FR", "IT", "ES", "NL", "CZ", "RO"})


def _prices(uah: int, eur: int, usd: int) -> tuple[Money, ...]:
    return (Money.of(uah, "UAH"), Money.of(eur, "EUR"), Money.of(usd, "USD"))


SHIPPING_RULES = (
    # Store pickup (the cart's pickup_location_id): free in every market, transfers are ours to pay.
    ShippingRule(method="pickup", zone="store", rate=FlatRate(prices=_prices(0, 0, 0))),
    ShippingRule(
        method="standard",
        zone="ua",
        countries=frozenset({"UA"}),
        rate=FlatRate(prices=_prices(9900, 300, 300)),
    ),
    ShippingRule(
        method="express",
        zone="ua",
        countries=frozenset({"UA"}),
        rate=FlatRate(prices=_prices(19900, 600, 600)),
    ),
    ShippingRule(
        method="standard",
        zone="eu",
        countries=EU,
        rate=WeightRate(
            bands=(
                WeightBand(up_to_grams=2_000, prices=_prices(29900, 699, 799)),
                WeightBand(up_to_grams=10_000, prices=_prices(59900, 1399, 1599)),
                WeightBand(up_to_grams=30_000, prices=_prices(119900, 2799, 3199)),
            )
        ),
    ),
    ShippingRule(
        method="standard",
        zone="world",
        rate=WeightRate(
            bands=(
                WeightBand(up_to_grams=2_000, prices=_prices(79900, 1999, 2199)),
                WeightBand(up_to_grams=10_000, prices=_prices(159900, 3999, 4399)),
            )
        ),
        includes_tax=False,
    ),
)


class ConfiguredTaxRates:
    def for_country(self, country: str) -> CountryTax | None:
        return TAX_RATES.get(country)


def carrier_quotes() -> RuleBasedCarrierQuotes:
    return RuleBasedCarrierQuotes(SHIPPING_RULES)
