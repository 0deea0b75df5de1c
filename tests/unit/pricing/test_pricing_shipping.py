"""Shipping: flat and weight/zone rules from a table, free-shipping promotions, no quote -> 422."""

import pytest

from pricing.domain import (
    Conditions,
    FlatRate,
    FreeShipping,
    Promotion,
    RuleBasedCarrierQuotes,
    ShipmentRequest,
    ShippingRule,
    WeightBand,
    WeightRate,
)
from shop_kernel.errors import ValidationFailed
from shop_kernel.money import Money


def eur(amount: int) -> Money:
    return Money.of(amount, "EUR")


def request(method="standard", country="DE", grams=0, currency="EUR") -> ShipmentRequest:
    return ShipmentRequest(method=method, country=country, weight_grams=grams, currency=currency)


CARRIER = RuleBasedCarrierQuotes(
    [
        ShippingRule(
            method="standard",
            zone="dach",
            countries=frozenset({"DE", "AT"}),
            rate=FlatRate(prices=(eur(499),)),
        ),
        ShippingRule(
            method="standard",
            zone="world",
            rate=WeightRate(
                bands=(
                    WeightBand(up_to_grams=1000, prices=(eur(1500),)),
                    WeightBand(up_to_grams=5000, prices=(eur(3000),)),
                )
            ),
        ),
    ]
)


def test_flat_rate_for_a_country_in_the_zone():
    quote = CARRIER.quote(request(country="AT", grams=20_000))
    assert quote is not None
    assert quote.price == eur(499)


@pytest.mark.parametrize(("grams", "expected"), [(0, 1500), (1000, 1500), (1001, 3000), (5000, 3000)])
def test_weight_bands_in_the_rest_of_the_world(grams, expected):
    quote = CARRIER.quote(request(country="BR", grams=grams))
    assert quote is not None
    assert quote.price == eur(expected)


@pytest.mark.parametrize(
    "shipment",
    [request(country="BR", grams=5001), request(method="express"), request(currency="USD")],
    ids=["heavier than every band", "unknown method", "no price in currency"],
)
def test_no_quote_when_no_rule_serves(shipment):
    assert CARRIER.quote(shipment) is None


def test_weight_bands_must_ascend():
    with pytest.raises(ValueError, match="ascending"):
        WeightRate(
            bands=(
                WeightBand(up_to_grams=5000, prices=(eur(1),)),
                WeightBand(up_to_grams=1000, prices=(eur(1),)),
            )
        )


def test_cart_weight_picks_the_band(shop):
    # GIVEN items of 600 g and express shipping (up to 2 kg 9.90, up to 10 kg 19.90)
    shop.item("A", 1000, weight=600)
    # WHEN 3 (1.8 kg) and then 4 (2.4 kg) are shipped express
    light = shop.price([("A", 3)], method="express")
    heavy = shop.price([("A", 4)], method="express")
    # THEN the band follows the total weight
    assert light.shipping is not None
    assert heavy.shipping is not None
    assert (light.shipping.price, heavy.shipping.price) == (eur(990), eur(1990))


def test_unavailable_shipping_is_a_422_on_the_method(shop):
    shop.item("A", 1000, weight=20_000)
    with pytest.raises(ValidationFailed) as caught:
        shop.price([("A", 1)], country="US")
    assert (caught.value.errors[0].field, caught.value.errors[0].code) == (
        "body.shipping_method",
        "not_available",
    )


def test_empty_cart_has_no_shipping(shop):
    priced = shop.price([])
    assert priced.shipping is None
    assert priced.totals.grand_total == eur(0)


def test_a_cart_of_electronic_goods_has_no_shipping_and_a_mixed_one_does(shop):
    # GIVEN an e-certificate (electronic: never shipped) and a shipped item
    shop.item("ECERT", 2500)
    shop.catalog["ECERT"] = shop.catalog["ECERT"].model_copy(update={"digital": True})
    shop.item("A", 1000)
    # WHEN a cart of e-certificates only and a mixed cart are priced
    electronic = shop.price([("ECERT", 2)])
    mixed = shop.price([("ECERT", 1), ("A", 1)])
    # THEN the first has no shipping at all; the second pays the flat rate (4.99 in DE)
    assert electronic.shipping is None
    assert electronic.totals.grand_total == eur(5000)
    assert mixed.shipping is not None
    assert mixed.totals.grand_total == eur(2500 + 1000 + 499)


def test_free_shipping_zeroes_the_charge_and_its_tax(shop):
    # GIVEN free shipping from 50.00
    shop.item("A", 3000)
    shop.promote(
        Promotion(
            id="ship50",
            name="Free shipping from 50",
            automatic=True,
            benefit=FreeShipping(),
            conditions=Conditions(min_subtotal=(eur(5000),)),
        )
    )
    # WHEN a cart is under and then over the threshold
    under = shop.price([("A", 1)])
    over = shop.price([("A", 2)])
    # THEN only the second ships free; the quote is kept and the discount shown
    assert under.shipping is not None
    assert over.shipping is not None
    assert (under.shipping.total, under.applied_promotions) == (eur(499), [])
    assert (over.shipping.price, over.shipping.discount, over.shipping.tax, over.shipping.total) == (
        eur(499),
        eur(499),
        eur(0),
        eur(0),
    )
    assert over.totals.grand_total == eur(6000)
    assert over.totals.discount_total == eur(499)
    assert [(a.promotion_id, a.amount) for a in over.applied_promotions] == [("ship50", eur(499))]


def test_free_shipping_limited_to_some_methods(shop):
    # GIVEN free standard shipping only
    shop.item("A", 1000)
    shop.promote(
        Promotion(
            id="fs",
            name="Free standard",
            automatic=True,
            benefit=FreeShipping(methods=frozenset({"standard"})),
        )
    )
    # WHEN shipped express THEN it is charged; standard is free
    express = shop.price([("A", 1)], method="express")
    standard = shop.price([("A", 1)])
    assert express.shipping is not None
    assert standard.shipping is not None
    assert (express.shipping.total, standard.shipping.total) == (eur(990), eur(0))
