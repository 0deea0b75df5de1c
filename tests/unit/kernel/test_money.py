import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from shop_kernel.money import CurrencyMismatch, Money


def test_money_adds_in_minor_units():
    # GIVEN two euro amounts WHEN added THEN the minor units add up
    assert Money.of(1050, "EUR") + Money.of(1, "EUR") == Money.of(1051, "EUR")


def test_money_refuses_mixing_currencies():
    with pytest.raises(CurrencyMismatch):
        Money.of(1, "EUR") + Money.of(1, "USD")


@pytest.mark.parametrize("amount", [10.5, "10", True])
def test_money_rejects_non_integer_amounts(amount):
    with pytest.raises((TypeError, ValidationError)):
        Money.of(amount, "EUR")


def test_money_rejects_unknown_currency():
    with pytest.raises(ValidationError, match="unknown currency"):
        Money(amount=1, currency="XXX")


def test_money_rejects_float_through_validation():
    with pytest.raises(ValidationError):
        Money.model_validate({"amount": 10.0, "currency": "EUR"})


def test_percent_rounds_half_up_away_from_zero():
    assert Money.of(5, "EUR").percent_of(1000) == Money.of(1, "EUR")  # 0.5 -> 1
    assert Money.of(-5, "EUR").percent_of(1000) == Money.of(-1, "EUR")
    assert Money.of(999, "EUR").percent_of(3333) == Money.of(333, "EUR")


def test_allocate_splits_exactly_with_largest_remainder():
    parts = Money.of(100, "EUR").allocate([1, 1, 1])
    assert [p.amount for p in parts] == [34, 33, 33]


@given(
    amount=st.integers(min_value=-(10**12), max_value=10**12),
    ratios=st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=20).filter(
        lambda r: sum(r) > 0
    ),
)
def test_allocate_parts_always_add_up(amount, ratios):
    parts = Money.of(amount, "EUR").allocate(ratios)
    assert sum(p.amount for p in parts) == amount
    assert all(abs(p.amount) <= abs(amount) for p in parts)


def test_format_uses_the_currency_exponent():
    assert Money.of(123456, "EUR").format() == "1234.56 EUR"
    assert Money.of(500, "JPY").format() == "500 JPY"
    assert Money.of(-5, "KWD").format() == "-0.005 KWD"
