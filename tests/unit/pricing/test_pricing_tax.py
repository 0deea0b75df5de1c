"""Tax per line after discounts, inclusive and exclusive, rounded half-up per line; worked by hand."""

import pytest

from pricing.domain import Customer, PercentOff, Promotion, TaxClass, TaxDisplay
from pricing.domain.tax import divide_half_up, in_display, tax_on
from shop_kernel.money import Money


def eur(amount: int) -> Money:
    return Money.of(amount, "EUR")


def usd(amount: int) -> Money:
    return Money.of(amount, "USD")


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [
        (5, 10, 1),
        (4, 10, 0),
        (15, 10, 2),
        (-5, 10, -1),
        (19_990_000, 11_900, 1680),
        (10_700_000, 10_700, 1000),
    ],
)
def test_division_rounds_half_up_away_from_zero(numerator, denominator, expected):
    assert divide_half_up(numerator, denominator) == expected


def test_inclusive_tax_is_extracted_from_the_gross_price():
    # 19.99 at 19%: net = 1999 / 1.19 = 1679.83 -> 1680, tax = 19.99 - 16.80 = 3.19
    assert tax_on(eur(1999), 1900, TaxDisplay.INCLUSIVE) == eur(319)


def test_exclusive_tax_is_added_half_up():
    # 10.70 at 7.25% = 0.775750 -> 0.78 (half-up); 10.00 at 7.25% = 0.725 -> 0.73
    assert tax_on(usd(1070), 725, TaxDisplay.EXCLUSIVE) == usd(78)
    assert tax_on(usd(1000), 725, TaxDisplay.EXCLUSIVE) == usd(73)


def test_prices_convert_between_gross_and_net():
    assert in_display(eur(1190), True, TaxDisplay.EXCLUSIVE, 1900) == eur(1000)
    assert in_display(eur(1000), False, TaxDisplay.INCLUSIVE, 1900) == eur(1190)
    assert in_display(eur(1000), True, TaxDisplay.INCLUSIVE, 1900) == eur(1000)


def test_inclusive_market_with_standard_and_reduced_rates(shop):
    # GIVEN a standard-rate item at 19.99 and a reduced-rate item at 10.70, shipped flat 4.99 to DE
    shop.item("A", 1999)
    shop.item("BOOK", 1070, tax_class=TaxClass.REDUCED)
    # WHEN priced for a consumer in Germany
    priced = shop.price([("A", 1), ("BOOK", 1)])
    # THEN tax is extracted per line: 3.19 (19%), 0.70 (7%), shipping 4.99 -> 0.80
    assert priced.tax_display is TaxDisplay.INCLUSIVE
    assert [(line.tax_rate_bp, line.tax) for line in priced.lines] == [(1900, eur(319)), (700, eur(70))]
    assert priced.shipping is not None
    assert (priced.shipping.tax_rate_bp, priced.shipping.tax) == (1900, eur(80))
    # AND the totals are the sums; tax is inside the prices, so the grand total does not grow
    totals = priced.totals
    assert (totals.subtotal, totals.shipping, totals.tax_total, totals.grand_total) == (
        eur(3069),
        eur(499),
        eur(469),
        eur(3568),
    )


def test_zero_rated_items_carry_no_tax(shop):
    shop.item("FOOD", 500, tax_class=TaxClass.ZERO)
    priced = shop.price([("FOOD", 3)])
    assert (priced.lines[0].tax_rate_bp, priced.lines[0].tax) == (0, eur(0))


def test_exclusive_market_adds_tax_per_line_half_up(shop):
    # GIVEN two different items at 10.70 USD net, shipped to the US (7.25%, rest-of-world weight band 15.00 net)
    shop.item("A", 1070, currency="USD", includes_tax=False)
    shop.item("B", 1070, currency="USD", includes_tax=False)
    # WHEN priced
    priced = shop.price([("A", 1), ("B", 1)], currency="USD", country="US")
    # THEN each line carries 0.78 (0.77575 half-up), so the order carries 1.56, not round(1.5515) = 1.55
    assert [line.tax for line in priced.lines] == [usd(78), usd(78)]
    assert [line.total for line in priced.lines] == [usd(1148), usd(1148)]
    # AND shipping 15.00 net + 1.0875 -> 1.09
    assert priced.shipping is not None
    assert (priced.shipping.price, priced.shipping.tax, priced.shipping.total) == (
        usd(1500),
        usd(109),
        usd(1609),
    )
    assert (priced.totals.tax_total, priced.totals.grand_total) == (usd(265), usd(3905))


def test_business_account_sees_net_prices_in_an_inclusive_market(shop):
    # GIVEN a retail gross price of 11.90 in Germany and a business account that buys net
    shop.item("A", 1190)
    buyer = Customer(id="cus_b2b", tax_display=TaxDisplay.EXCLUSIVE)
    # WHEN priced
    priced = shop.price([("A", 1)], customer=buyer)
    # THEN 10.00 net + 1.90 tax; shipping 4.99 gross -> 4.19 net + 0.80 (0.7961 half-up)
    assert (priced.lines[0].unit_price, priced.lines[0].tax, priced.lines[0].total) == (
        eur(1000),
        eur(190),
        eur(1190),
    )
    assert priced.shipping is not None
    assert (priced.shipping.price, priced.shipping.tax) == (eur(419), eur(80))
    assert priced.totals.grand_total == eur(1689)


def test_net_list_price_is_shown_gross_to_consumers(shop):
    shop.item("A", 1000, includes_tax=False)
    priced = shop.price([("A", 1)])
    assert (priced.lines[0].unit_price, priced.lines[0].tax) == (eur(1190), eur(190))


def test_tax_is_computed_after_the_discount(shop):
    # GIVEN 10% off the order and an item at 19.99 gross
    shop.item("A", 1999)
    shop.promote(Promotion(id="p10", name="10%", automatic=True, benefit=PercentOff(basis_points=1000)))
    # WHEN priced
    priced = shop.price([("A", 1)])
    # THEN discount 2.00 (1.999 half-up), tax extracted from 17.99: 17.99 / 1.19 = 15.1176 -> 15.12, tax 2.87
    line = priced.lines[0]
    assert (line.discount_total, line.tax, line.total) == (eur(200), eur(287), eur(1799))
