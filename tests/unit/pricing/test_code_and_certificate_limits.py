"""Limits of codes and certificates that mutation testing found untested: a code with only a global or
only a per-customer limit, a bad entry after a duplicate, a certificate paying a single cent, and the
field a lost race names by default."""

from __future__ import annotations

from datetime import timedelta

import pytest
from loyalty.domain.certificates import balance_changed

from pricing.domain import (
    CodeRedemption,
    GiftCertificateRedemption,
    PercentOff,
    PromoCode,
    Promotion,
    code_no_longer_available,
)
from shop_kernel.errors import ValidationFailed
from shop_kernel.money import Money


def _promote(shop, now, **limits):  # type: ignore[no-untyped-def]
    shop.item("A", 1000)
    shop.promote(
        Promotion(
            id="p",
            name="10 %",
            benefit=PercentOff(basis_points=1000),
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=1),
        ),
        PromoCode(code="TEN", promotion_id="p", **limits),
    )


def _fields(caught) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(e.field, e.code) for e in caught.value.errors]


def test_a_code_with_only_a_global_limit_is_refused_once_used_up(shop, now) -> None:  # type: ignore[no-untyped-def]
    # GIVEN a code limited to 3 uses overall, no per-customer limit, used 3 times
    _promote(shop, now, usage_limit=3)
    shop.uses["TEN"] = 3
    # WHEN anyone enters it
    with pytest.raises(ValidationFailed) as caught:
        shop.price([("A", 1)], codes=["TEN"])
    # THEN it is used up
    assert _fields(caught) == [("body.promo_codes.0", "exhausted")]
    # AND with one use left it still applies
    shop.uses["TEN"] = 2
    assert [r.code for r in shop.price([("A", 1)], codes=["TEN"]).redemptions.promo_codes] == ["TEN"]


def test_a_code_with_only_a_per_customer_limit_is_refused_to_that_customer_only(shop, now) -> None:  # type: ignore[no-untyped-def]
    # GIVEN a code once per customer, no global limit, already used by cus_1
    _promote(shop, now, per_customer_limit=1)
    shop.uses["TEN"] = 50
    shop.uses_by[("TEN", "customer:cus_1")] = 1
    # WHEN cus_1 enters it
    with pytest.raises(ValidationFailed) as caught:
        shop.price([("A", 1)], codes=["TEN"])
    # THEN their limit is reached, whatever the global count
    assert _fields(caught) == [("body.promo_codes.0", "limit_reached_for_customer")]


def test_a_bad_code_after_a_duplicate_is_still_reported(shop, now) -> None:  # type: ignore[no-untyped-def]
    # GIVEN a valid code
    _promote(shop, now)
    # WHEN it is entered twice and then an unknown code
    with pytest.raises(ValidationFailed) as caught:
        shop.price([("A", 1)], codes=["TEN", "ten", "NOPE"])
    # THEN both the duplicate and the unknown code are named
    assert _fields(caught) == [("body.promo_codes.1", "duplicate"), ("body.promo_codes.2", "unknown_code")]


def test_a_bad_certificate_after_a_duplicate_is_still_reported(shop) -> None:  # type: ignore[no-untyped-def]
    # GIVEN one certificate with a balance
    shop.item("A", 3000)
    shop.certificate("GC-1", 1000)
    # WHEN it is entered twice and then an unknown one
    with pytest.raises(ValidationFailed) as caught:
        shop.price([("A", 1)], certificates=["GC-1", "gc-1", "GC-NONE"])
    # THEN both are named
    assert _fields(caught) == [
        ("body.gift_certificates.1", "duplicate"),
        ("body.gift_certificates.2", "unknown_code"),
    ]


def test_a_certificate_paying_one_cent_is_debited(shop) -> None:  # type: ignore[no-untyped-def]
    # GIVEN a second certificate needed for the last cent only (30.00 + 4.99 shipping = 34.99)
    shop.item("A", 3000)
    shop.certificate("GC-BIG", 3498)
    shop.certificate("GC-CENT", 500)
    # WHEN both are entered
    priced = shop.price([("A", 1)], certificates=["GC-BIG", "GC-CENT"])
    # THEN the one-cent tender is debited too, expecting its balance before
    debits = [
        (r.code, r.amount.amount, r.expected_balance.amount) for r in priced.redemptions.gift_certificates
    ]
    assert debits == [("GC-BIG", 3498, 3498), ("GC-CENT", 1, 500)]
    assert priced.totals.amount_due.amount == 0


def test_a_lost_race_names_the_body_fields_by_default() -> None:
    # GIVEN a code and a certificate redemption that lost their conditional writes
    code = CodeRedemption(
        code="TEN", promotion_id="p", customer_key=None, usage_limit=1, per_customer_limit=None
    )
    gift = GiftCertificateRedemption(
        code="GC-1", amount=Money.of(100, "EUR"), expected_balance=Money.of(100, "EUR")
    )
    # WHEN the 409s are made without a prefix
    # THEN they name the request body's fields
    assert [(e.field, e.code) for e in code_no_longer_available(code).errors] == [
        ("body.promo_codes", "exhausted")
    ]
    assert [(e.field, e.code) for e in balance_changed(gift.code).errors] == [
        ("body.gift_certificates", "balance_changed")
    ]
