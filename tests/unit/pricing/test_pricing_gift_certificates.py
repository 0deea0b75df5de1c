"""Gift certificates: a tender after tax, partial redemption, balances, conditional debits."""

from datetime import timedelta

import pytest

from shop_kernel.errors import Conflict, ValidationFailed
from shop_kernel.money import Money


def eur(amount: int) -> Money:
    return Money.of(amount, "EUR")


def usd(amount: int) -> Money:
    return Money.of(amount, "USD")


@pytest.fixture
def cart_of_34_99(shop):
    """One item at 30.00 gross to Germany, shipping 4.99: grand total 34.99."""
    shop.item("A", 3000)
    return shop


def test_a_certificate_pays_part_of_the_total_and_keeps_the_rest(cart_of_34_99):
    shop = cart_of_34_99
    shop.certificate("GC-1", 5000)
    priced = shop.price([("A", 1)], certificates=["gc-1"])
    [tendered] = priced.gift_certificates
    assert (tendered.amount, tendered.balance_before, tendered.balance_after) == (
        eur(3499),
        eur(5000),
        eur(1501),
    )
    assert (priced.totals.grand_total, priced.totals.gift_certificates, priced.totals.amount_due) == (
        eur(3499),
        eur(3499),
        eur(0),
    )
    [intent] = priced.redemptions.gift_certificates
    assert (intent.code, intent.amount, intent.expected_balance) == ("GC-1", eur(3499), eur(5000))


def test_certificates_are_used_in_the_order_entered(cart_of_34_99):
    shop = cart_of_34_99
    shop.certificate("SMALL", 1000)
    shop.certificate("BIG", 5000)
    shop.certificate("SPARE", 700)
    priced = shop.price([("A", 1)], certificates=["SMALL", "BIG", "SPARE"])
    assert [(t.code, t.amount.amount) for t in priced.gift_certificates] == [
        ("SMALL", 1000),
        ("BIG", 2499),
        ("SPARE", 0),
    ]
    # The spare certificate is not needed, so checkout must not touch it
    assert [r.code for r in priced.redemptions.gift_certificates] == ["SMALL", "BIG"]


def test_a_small_certificate_leaves_an_amount_due(cart_of_34_99):
    shop = cart_of_34_99
    shop.certificate("GC-1", 1000)
    priced = shop.price([("A", 1)], certificates=["GC-1"])
    assert (priced.totals.gift_certificates, priced.totals.amount_due) == (eur(1000), eur(2499))
    assert priced.gift_certificates[0].balance_after == eur(0)


def test_a_certificate_is_a_tender_applied_after_tax_not_a_discount(shop):
    # GIVEN 10.00 USD net to the US: tax 0.73, shipping 15.00 + 1.09 -> grand total 26.82
    shop.item("A", 1000, currency="USD", includes_tax=False)
    shop.certificate("GC-US", 2000, currency="USD")
    priced = shop.price([("A", 1)], currency="USD", country="US", certificates=["GC-US"])
    # THEN tax is still computed on the full price and only the amount due shrinks
    assert (priced.totals.discount_total, priced.totals.tax_total) == (usd(0), usd(182))
    assert (priced.totals.grand_total, priced.totals.amount_due) == (usd(2682), usd(682))


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ({"balance": 5000, "currency": "USD"}, "currency_mismatch"),
        ({"balance": 0}, "exhausted"),
        ({"balance": 5000, "expires_in_days": 0}, "expired"),
        ({"balance": 5000, "expires_in_days": -1}, "expired"),
        (None, "unknown_code"),
    ],
)
def test_unusable_certificates_are_a_422_naming_the_entry(cart_of_34_99, now, setup, expected):
    shop = cart_of_34_99
    if setup is not None:
        days = setup.get("expires_in_days")
        expires = now + timedelta(days=days) if days is not None else None
        shop.certificate("GC-1", setup["balance"], setup.get("currency", "EUR"), expires)
    with pytest.raises(ValidationFailed) as caught:
        shop.price([("A", 1)], certificates=["GC-1"])
    assert [(e.field, e.code) for e in caught.value.errors] == [("body.gift_certificates.0", expected)]


def test_a_certificate_entered_twice_is_rejected(cart_of_34_99):
    cart_of_34_99.certificate("GC-1", 1000)
    with pytest.raises(ValidationFailed) as caught:
        cart_of_34_99.price([("A", 1)], certificates=["GC-1", "gc-1"])
    assert [(e.field, e.code) for e in caught.value.errors] == [("body.gift_certificates.1", "duplicate")]


def test_the_balance_is_debited_once_and_a_stale_debit_is_a_409(cart_of_34_99):
    # GIVEN two carts priced against the same 50.00 certificate
    shop = cart_of_34_99
    shop.certificate("GC-1", 5000)
    first = shop.price([("A", 1)], certificates=["GC-1"])
    second = shop.price([("A", 1)], certificates=["GC-1"])
    # WHEN both check out
    shop.commit(first)
    with pytest.raises(Conflict) as caught:
        shop.commit(second)
    # THEN the second gets a 409 and the certificate was debited once
    assert caught.value.problem()["errors"][0]["code"] == "balance_changed"
    assert shop.certificates["GC-1"].balance == eur(1501)
    # AND re-pricing uses what is left
    assert shop.price([("A", 1)], certificates=["GC-1"]).totals.amount_due == eur(1998)
