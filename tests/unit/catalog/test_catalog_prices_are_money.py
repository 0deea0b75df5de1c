"""Catalog prices are the kernel's Money, with the JSON shapes the API and the events always had; no AWS."""

from __future__ import annotations

import pytest

from catalog.domain.events import PriceChange, price_changes
from catalog.domain.models import Product, VariantPrice
from catalog.domain.ports import ListingFilter
from catalog.domain.views import listing_entry, lowest_prices
from shop_kernel.money import CurrencyMismatch, Money


def _product(*variants: list[dict[str, object]]) -> Product:
    return Product.model_validate(
        {
            "id": "prod_1",
            "code": "P-1",
            "product_type_id": "tee",
            "category_id": "tees",
            "name": {"en": "Tee"},
            "seo": {"slug": {"en": "tee"}},
            "variants": [{"sku": f"T-{i}", "prices": prices} for i, prices in enumerate(variants)],
            "version": 1,
            "created_at": "2026-01-01T00:00:00.000Z",
            "updated_at": "2026-01-01T00:00:00.000Z",
            "updated_by": "u",
        }
    )


def test_a_variant_price_is_money_in_a_price_list_and_keeps_its_flat_json():
    # GIVEN a variant's retail price in EUR
    price = VariantPrice(amount=1500, currency="EUR")
    # WHEN it is used as money and dumped
    # THEN it adds, compares and refuses other currencies as Money does, and its JSON is unchanged
    assert isinstance(price, Money)
    assert price + Money.of(500, "EUR") == Money.of(2000, "EUR")
    assert price < Money.of(1501, "EUR")
    with pytest.raises(CurrencyMismatch):
        price + Money.of(1, "UAH")
    assert price.model_dump(mode="json") == {"amount": 1500, "currency": "EUR", "price_list": "retail"}


def test_the_listing_shows_the_lowest_price_per_price_list_and_currency():
    # GIVEN two variants priced in two lists and two currencies
    product = _product(
        [
            {"amount": 1500, "currency": "EUR"},
            {"amount": 60000, "currency": "UAH"},
            {"amount": 1200, "currency": "EUR", "price_list": "b2b"},
        ],
        [{"amount": 1400, "currency": "EUR"}, {"amount": 61000, "currency": "UAH"}],
    )
    # WHEN the lowest prices and the listing entry are computed
    lowest = lowest_prices(product)
    entry = listing_entry(product, {"name": {"en": "Tee"}, "seo": {"slug": {"en": "tee"}}, "brand": None})
    # THEN each (list, currency) has its cheapest variant's price, as Money and as the listing's JSON
    assert lowest == [
        VariantPrice(amount=1200, currency="EUR", price_list="b2b"),
        VariantPrice(amount=1400, currency="EUR"),
        VariantPrice(amount=60000, currency="UAH"),
    ]
    assert entry["summary"]["prices"] == [
        {"amount": 1200, "currency": "EUR", "price_list": "b2b"},
        {"amount": 1400, "currency": "EUR", "price_list": "retail"},
        {"amount": 60000, "currency": "UAH", "price_list": "retail"},
    ]
    assert entry["lowest_prices"] == {"b2b/EUR": 1200, "retail/EUR": 1400, "retail/UAH": 60000}


def test_a_price_change_is_built_from_money_and_published_in_minor_units():
    # GIVEN a price before and after, and a price that appears
    # WHEN the changes are built THEN the event carries the amounts of version 1.0
    assert PriceChange.between("A", "retail", Money.of(100, "EUR"), Money.of(90, "EUR")).model_dump() == {
        "sku": "A",
        "price_list": "retail",
        "currency": "EUR",
        "old_amount": 100,
        "new_amount": 90,
    }
    assert PriceChange.between("A", "retail", None, Money.of(5, "UAH")).old_amount is None
    # AND a change across currencies, or of nothing, cannot be built
    with pytest.raises(CurrencyMismatch):
        PriceChange.between("A", "retail", Money.of(100, "EUR"), Money.of(90, "UAH"))
    with pytest.raises(ValueError, match="before or after"):
        PriceChange.between("A", "retail", None, None)
    # AND an unchanged price is no change
    same = {"variants": [{"sku": "A", "prices": [{"amount": 1, "currency": "EUR"}]}]}
    assert price_changes(same, same) == []


def test_a_listing_filter_takes_price_bounds_in_its_own_currency_only():
    # GIVEN bounds in the filter's currency
    listing = ListingFilter(currency="EUR", min_price=Money.of(1000, "EUR"), max_price=Money.of(2000, "EUR"))
    # THEN the cursor scope names their amounts, as it did when they were integers
    assert listing.scope() == "|EUR|retail|1000|2000|"
    # AND a bound in another currency is refused
    with pytest.raises(CurrencyMismatch):
        ListingFilter(currency="EUR", max_price=Money.of(2000, "UAH"))
