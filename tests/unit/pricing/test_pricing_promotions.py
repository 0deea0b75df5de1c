"""Every promotion type, thresholds, windows and customer groups, with amounts worked by hand."""

from datetime import timedelta

import pytest
from pydantic import ValidationError

from pricing.domain import (
    AmountOff,
    BuyXGetY,
    Conditions,
    Customer,
    LineSelector,
    PercentOff,
    Promotion,
    Scope,
)
from shop_kernel.money import Money


def eur(amount: int) -> Money:
    return Money.of(amount, "EUR")


def auto(benefit, **fields) -> Promotion:
    return Promotion(
        id=fields.pop("id", "promo"), name="Promotion", automatic=True, benefit=benefit, **fields
    )


def discounts(priced) -> list[int]:
    return [line.discount_total.amount for line in priced.lines]


def test_percent_off_order_is_allocated_by_largest_remainder(shop):
    # GIVEN 15% off the order, lines 10.00 and 33.33
    shop.item("A", 1000)
    shop.item("B", 3333)
    shop.promote(auto(PercentOff(basis_points=1500)))
    # WHEN priced
    priced = shop.price([("A", 1), ("B", 1)])
    # THEN 43.33 x 15% = 6.4995 -> 6.50, split 150.01 / 499.98 -> 150 / 499 + the leftover cent to B
    assert discounts(priced) == [150, 500]
    assert priced.lines[1].discounts[0].promotion_id == "promo"
    assert priced.applied_promotions[0].amount == eur(650)


def test_percent_off_lines_of_a_category_rounds_per_line(shop):
    shop.item("SHOE", 1999, categories=["shoes"])
    shop.item("HAT", 1000, categories=["hats"])
    shop.promote(
        auto(
            PercentOff(
                basis_points=2000,
                scope=Scope.LINES,
                applies_to=LineSelector(category_ids=frozenset({"shoes"})),
            )
        )
    )
    # 19.99 x 20% = 3.998 -> 4.00; the hat is untouched
    assert discounts(shop.price([("SHOE", 1), ("HAT", 1)])) == [400, 0]


def test_percent_off_lines_of_a_brand(shop):
    shop.item("A", 555, brand="acme")
    shop.item("B", 555, brand="other")
    shop.promote(
        auto(
            PercentOff(
                basis_points=1000, scope=Scope.LINES, applies_to=LineSelector(brand_ids=frozenset({"acme"}))
            )
        )
    )
    assert discounts(shop.price([("A", 2), ("B", 2)])) == [111, 0]


def test_amount_off_each_unit_of_a_sku_is_capped_at_the_line(shop):
    # GIVEN 2.00 off each unit of A and of CHEAP (1.50 each)
    shop.item("A", 1000)
    shop.item("CHEAP", 150)
    shop.item("OTHER", 1000)
    selector = LineSelector(skus=frozenset({"A", "CHEAP"}))
    shop.promote(auto(AmountOff(amounts=(eur(200),), scope=Scope.LINES, applies_to=selector)))
    # WHEN priced THEN 3 x 2.00 off A, CHEAP only loses what it costs, OTHER nothing
    assert discounts(shop.price([("A", 3), ("CHEAP", 2), ("OTHER", 1)])) == [600, 300, 0]


def test_amount_off_order_is_allocated_pro_rata(shop):
    shop.item("A", 1000)
    shop.item("B", 2000)
    shop.promote(auto(AmountOff(amounts=(eur(500), Money.of(600, "USD")))))
    # 5.00 over 10.00 / 20.00: 166.67 / 333.33 -> 166 / 333 + the leftover cent to A (larger remainder)
    assert discounts(shop.price([("A", 1), ("B", 1)])) == [167, 333]


def test_amount_off_order_never_exceeds_the_order(shop):
    shop.item("A", 700)
    shop.promote(auto(AmountOff(amounts=(eur(1000),))))
    priced = shop.price([("A", 1)])
    assert (priced.lines[0].discount_total, priced.lines[0].total) == (eur(700), eur(0))
    assert priced.totals.grand_total == eur(499)  # shipping only


def test_amount_off_in_another_currency_does_not_apply(shop):
    shop.item("A", 700, currency="USD", includes_tax=False)
    shop.promote(auto(AmountOff(amounts=(eur(100),))))
    assert discounts(shop.price([("A", 1)], currency="USD", country="US")) == [0]


def test_buy_two_get_one_free_discounts_the_cheapest_units(shop):
    # GIVEN buy 2 get 1 free; A 10.00 x2, B 5.00, C 7.00 (4 units: one round)
    for sku, price in (("A", 1000), ("B", 500), ("C", 700)):
        shop.item(sku, price)
    shop.promote(auto(BuyXGetY(buy_quantity=2, get_quantity=1)))
    # WHEN priced THEN the cheapest unit (B) is free
    assert discounts(shop.price([("A", 2), ("B", 1), ("C", 1)])) == [0, 500, 0]


def test_buy_two_get_one_free_repeats_per_three_units(shop):
    shop.item("A", 1000)
    shop.item("B", 500)
    shop.promote(auto(BuyXGetY(buy_quantity=2, get_quantity=1)))
    # 6 units: two rounds, both free units are the cheapest (B)
    assert discounts(shop.price([("A", 3), ("B", 3)])) == [0, 1000]


def test_buy_one_get_one_half_price(shop):
    shop.item("A", 1000)
    shop.item("B", 801)
    shop.promote(auto(BuyXGetY(buy_quantity=1, get_quantity=1, basis_points=5000)))
    # 8.01 x 50% = 4.005 -> 4.01
    assert discounts(shop.price([("A", 1), ("B", 1)])) == [0, 401]


def test_buy_shoes_get_socks(shop):
    # GIVEN buy 2 shoes get 1 pair of socks free
    shop.item("SHOE", 5000, categories=["shoes"])
    shop.item("SOCK", 300, categories=["socks"])
    benefit = BuyXGetY(
        buy_quantity=2,
        get_quantity=1,
        applies_to=LineSelector(category_ids=frozenset({"shoes"})),
        get=LineSelector(category_ids=frozenset({"socks"})),
    )
    shop.promote(auto(benefit))
    # WHEN two shoes and three socks THEN one sock is free; one shoe alone gets nothing
    assert discounts(shop.price([("SHOE", 2), ("SOCK", 3)])) == [0, 300]
    assert discounts(shop.price([("SHOE", 1), ("SOCK", 3)])) == [0, 0]


def test_buy_x_get_y_respects_max_applications(shop):
    shop.item("A", 1000)
    shop.promote(auto(BuyXGetY(buy_quantity=1, get_quantity=1, max_applications=2)))
    assert discounts(shop.price([("A", 6)])) == [2000]


def test_min_quantity_threshold_counts_matching_units(shop):
    shop.item("SHIRT", 2000, categories=["shirts"])
    shop.item("HAT", 2000, categories=["hats"])
    shirts = LineSelector(category_ids=frozenset({"shirts"}))
    shop.promote(
        auto(PercentOff(basis_points=1000, applies_to=shirts), conditions=Conditions(min_quantity=3))
    )
    assert discounts(shop.price([("SHIRT", 2), ("HAT", 5)])) == [0, 0]
    assert discounts(shop.price([("SHIRT", 3), ("HAT", 5)])) == [600, 0]


def test_min_subtotal_threshold_in_the_cart_currency(shop):
    shop.item("A", 2500)
    shop.promote(auto(AmountOff(amounts=(eur(500),)), conditions=Conditions(min_subtotal=(eur(5000),))))
    assert discounts(shop.price([("A", 1)])) == [0]
    assert discounts(shop.price([("A", 2)])) == [500]


@pytest.mark.parametrize(
    ("starts", "ends", "applies"),
    [
        (None, None, True),
        (-1, 1, True),
        (1, None, False),
        (None, 0, False),  # the window is half-open: it ends at ends_at
        (None, -1, False),
        (0, None, True),
    ],
)
def test_automatic_promotion_applies_only_inside_its_window(shop, now, starts, ends, applies):
    shop.item("A", 1000)
    at = {k: now + timedelta(days=v) for k, v in (("starts_at", starts), ("ends_at", ends)) if v is not None}
    shop.promote(auto(PercentOff(basis_points=1000), **at))
    assert discounts(shop.price([("A", 1)])) == ([100] if applies else [0])


def test_promotion_for_a_customer_group_only(shop):
    shop.item("A", 1000)
    shop.promote(
        auto(PercentOff(basis_points=1000), conditions=Conditions(customer_groups=frozenset({"vip"})))
    )
    assert discounts(shop.price([("A", 1)])) == [0]
    assert discounts(shop.price([("A", 1)], customer=Customer(id="c", group="vip"))) == [100]


@pytest.mark.parametrize(
    "fields",
    [
        {"benefit": {"kind": "percent_off", "basis_points": 10_001}},
        {"benefit": {"kind": "percent_off", "basis_points": 0}},
        {"benefit": {"kind": "amount_off", "amounts": [{"amount": 0, "currency": "EUR"}]}},
        {
            "benefit": {
                "kind": "amount_off",
                "amounts": [{"amount": 1, "currency": "EUR"}, {"amount": 2, "currency": "EUR"}],
            }
        },
        {
            "benefit": {"kind": "free_shipping"},
            "starts_at": "2026-02-01T00:00:00Z",
            "ends_at": "2026-01-01T00:00:00Z",
        },
        {"benefit": {"kind": "free_shipping"}, "starts_at": "2026-02-01T00:00:00"},
        {"benefit": {"kind": "mystery"}},
    ],
)
def test_invalid_promotion_definitions_are_refused(fields):
    with pytest.raises(ValidationError):
        Promotion.model_validate({"id": "p", "name": "P", **fields})
