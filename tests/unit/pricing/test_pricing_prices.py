"""Server-side unit prices: price lists per customer group with retail fallback, bad input rejected."""

from typing import Any

import pytest
from pydantic import ValidationError

from pricing.domain import Cart, Customer, ListPrice, TaxDisplay
from shop_kernel.errors import ValidationFailed
from shop_kernel.money import Money


def eur(amount: int) -> Money:
    return Money.of(amount, "EUR")


CART: dict[str, Any] = {
    "currency": "EUR",
    "lines": [{"sku": "A", "quantity": 1}],
    "destination_country": "DE",
}


def test_retail_customer_pays_the_retail_price(shop):
    # GIVEN an item at 12.00 EUR retail
    shop.item("A", 1200)
    # WHEN a retail customer prices two of them
    priced = shop.price([("A", 2)])
    # THEN the line is priced from the retail list
    line = priced.lines[0]
    assert (line.price_list, line.unit_price, line.subtotal) == ("retail", eur(1200), eur(2400))


def test_b2b_group_pays_its_negotiated_price_and_falls_back_to_retail(shop):
    # GIVEN one item with a gold (net) price and one with retail only
    shop.item("A", 1190, extra=[ListPrice(price_list="gold", amount=eur(800), includes_tax=False)])
    shop.item("B", 1190)
    buyer = Customer(id="cus_b2b", group="b2b_gold", tax_display=TaxDisplay.EXCLUSIVE)
    # WHEN a gold customer prices both
    priced = shop.price([("A", 1), ("B", 1)], customer=buyer)
    # THEN A comes from the gold list and B from retail, converted from gross to net (11.90 / 1.19)
    assert [(line.price_list, line.unit_price) for line in priced.lines] == [
        ("gold", eur(800)),
        ("retail", eur(1000)),
    ]
    assert shop.lookups[-1] == (("A", "B"), ("gold", "retail"))


def test_price_in_another_currency_is_never_used(shop):
    # GIVEN an item priced in EUR and USD
    shop.item(
        "A", 1000, extra=[ListPrice(price_list="retail", amount=Money.of(1100, "USD"), includes_tax=False)]
    )
    # WHEN priced in USD to the US
    priced = shop.price([("A", 1)], currency="USD", country="US")
    # THEN the USD price is used (net, tax added on top)
    assert priced.lines[0].unit_price == Money.of(1100, "USD")
    assert priced.tax_display is TaxDisplay.EXCLUSIVE


def test_sku_without_a_price_in_the_cart_currency_is_a_currency_mismatch(shop):
    # GIVEN an item priced only in EUR
    shop.item("A", 1000)
    # WHEN priced in USD
    with pytest.raises(ValidationFailed) as caught:
        shop.price([("A", 1)], currency="USD", country="US")
    # THEN the line is named with currency_mismatch
    problem = caught.value.problem()
    assert problem["status"] == 422
    assert problem["errors"] == [
        {"field": "body.lines.0.sku", "message": "A is not sold in USD", "code": "currency_mismatch"}
    ]


def test_unknown_skus_are_all_reported(shop):
    # GIVEN a catalog with A only
    shop.item("A")
    # WHEN a cart holds A and two unknown SKUs
    with pytest.raises(ValidationFailed) as caught:
        shop.price([("X", 1), ("A", 1), ("Y", 1)])
    # THEN both unknown lines are named
    assert [(e.field, e.code) for e in caught.value.errors] == [
        ("body.lines.0.sku", "unknown_sku"),
        ("body.lines.2.sku", "unknown_sku"),
    ]


def test_the_same_sku_twice_is_rejected_not_counted_twice(shop):
    shop.item("A")
    with pytest.raises(ValidationFailed) as caught:
        shop.price([("A", 1), ("A", 2)])
    assert (caught.value.errors[0].field, caught.value.errors[0].code) == ("body.lines.1.sku", "duplicate")


def test_unsupported_destination_is_rejected(shop):
    shop.item("A")
    with pytest.raises(ValidationFailed) as caught:
        shop.price([("A", 1)], country="JP")
    assert caught.value.errors[0].code == "unsupported_country"


@pytest.mark.parametrize(
    ("where", "field"),
    [
        ("line", "unit_price"),
        ("line", "price"),
        ("line", "discount"),
        ("cart", "total"),
        ("cart", "discount_total"),
        ("cart", "grand_total"),
    ],
)
def test_client_sent_prices_totals_and_discounts_are_unknown_fields(where, field):
    # GIVEN a client that sends a price, total or discount
    body = {**CART, "lines": [{**CART["lines"][0]}]}
    target = body["lines"][0] if where == "line" else body
    target[field] = {"amount": 1, "currency": "EUR"}
    # WHEN the cart is read THEN the field is refused as unknown
    with pytest.raises(ValidationError) as caught:
        Cart.model_validate(body)
    assert caught.value.errors()[0]["type"] == "extra_forbidden"
    assert caught.value.errors()[0]["loc"][-1] == field


@pytest.mark.parametrize("quantity", [0, -1, 1000, 1.5, "2"])
def test_quantities_must_be_whole_and_in_range(quantity):
    with pytest.raises(ValidationError):
        Cart.model_validate({**CART, "lines": [{"sku": "A", "quantity": quantity}]})


def test_unknown_currency_is_rejected():
    with pytest.raises(ValidationError, match="unknown currency"):
        Cart.model_validate({**CART, "currency": "XXX"})
