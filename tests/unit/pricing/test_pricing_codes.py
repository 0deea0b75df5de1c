"""Promo codes: every bad-code case is a 422 naming the entry; usage limits hold through checkout."""

from datetime import timedelta

import pytest

from pricing.domain import AmountOff, Conditions, Customer, PercentOff, PromoCode, Promotion, RejectionReason
from shop_kernel.errors import Conflict, ValidationFailed
from shop_kernel.money import Money


def eur(amount: int) -> Money:
    return Money.of(amount, "EUR")


@pytest.fixture
def spring(shop, now):
    """SPRING10: 10% off, running for a week around ``now``, 2 uses overall, 1 per customer."""
    shop.item("A", 1000)
    shop.promote(
        Promotion(
            id="spring",
            name="Spring sale",
            benefit=PercentOff(basis_points=1000),
            starts_at=now - timedelta(days=3),
            ends_at=now + timedelta(days=4),
        ),
        PromoCode(code="SPRING10", promotion_id="spring", usage_limit=2, per_customer_limit=1),
    )
    return shop


def error_codes(caught) -> list[tuple[str, str]]:
    return [(e.field, e.code) for e in caught.value.errors]


def test_a_valid_code_applies_and_asks_checkout_to_count_it(spring):
    # WHEN a signed-in customer enters the code, in any case and with spaces
    priced = spring.price([("A", 1)], codes=[" spring10 "])
    # THEN the discount applies and a redemption intent carries the limits to enforce
    assert priced.lines[0].discounts[0].code == "SPRING10"
    assert priced.totals.discount_total == eur(100)
    [redemption] = priced.redemptions.promo_codes
    assert redemption.model_dump() == {
        "code": "SPRING10",
        "promotion_id": "spring",
        "customer_key": "customer:cus_1",
        "usage_limit": 2,
        "per_customer_limit": 1,
    }


@pytest.mark.parametrize(
    ("days", "expected"), [(-4, "not_started"), (4, "expired"), (5, "expired"), (-3, None), (3, None)]
)
def test_codes_outside_their_window(spring, now, days, expected):
    at = now + timedelta(days=days)
    if expected is None:
        assert spring.price([("A", 1)], codes=["SPRING10"], now=at).applied_promotions
        return
    with pytest.raises(ValidationFailed) as caught:
        spring.price([("A", 1)], codes=["SPRING10"], now=at)
    assert error_codes(caught) == [("body.promo_codes.0", expected)]


def test_unknown_code(spring):
    with pytest.raises(ValidationFailed) as caught:
        spring.price([("A", 1)], codes=["NOPE"])
    assert error_codes(caught) == [("body.promo_codes.0", "unknown_code")]


def test_code_whose_promotion_is_gone_is_unknown(spring):
    del spring.promotions["spring"]
    with pytest.raises(ValidationFailed) as caught:
        spring.price([("A", 1)], codes=["SPRING10"])
    assert error_codes(caught) == [("body.promo_codes.0", "unknown_code")]


def test_the_same_code_twice_is_rejected_not_counted_twice(spring):
    with pytest.raises(ValidationFailed) as caught:
        spring.price([("A", 1)], codes=["SPRING10", "spring10"])
    assert error_codes(caught) == [("body.promo_codes.1", "duplicate")]


def test_every_bad_code_is_reported_in_one_problem(spring, now):
    # GIVEN an expired promotion's code next to an unknown code
    spring.promote(
        Promotion(
            id="old", name="Old", benefit=PercentOff(basis_points=500), ends_at=now - timedelta(days=1)
        ),
        PromoCode(code="OLD", promotion_id="old"),
    )
    # WHEN both are entered with a good one
    with pytest.raises(ValidationFailed) as caught:
        spring.price([("A", 1)], codes=["OLD", "SPRING10", "NOPE"])
    # THEN one problem+json 422 names both bad entries
    problem = caught.value.problem("/carts/cart_1/price")
    assert (problem["status"], problem["type"]) == (422, "https://problems.shop.example/validation-failed")
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [
        ("body.promo_codes.0", "expired"),
        ("body.promo_codes.2", "unknown_code"),
    ]


def test_fixed_amount_code_without_the_cart_currency_is_a_currency_mismatch(shop):
    shop.item("A", 1000, currency="USD", includes_tax=False)
    shop.promote(
        Promotion(id="five", name="5 EUR off", benefit=AmountOff(amounts=(eur(500),))),
        PromoCode(code="FIVE", promotion_id="five"),
    )
    with pytest.raises(ValidationFailed) as caught:
        shop.price([("A", 1)], currency="USD", country="US", codes=["FIVE"])
    assert error_codes(caught) == [("body.promo_codes.0", "currency_mismatch")]


def test_threshold_in_another_currency_is_a_currency_mismatch(shop):
    shop.item("A", 1000, currency="USD", includes_tax=False)
    shop.promote(
        Promotion(
            id="big",
            name="Big",
            benefit=PercentOff(basis_points=500),
            conditions=Conditions(min_subtotal=(eur(5000),)),
        ),
        PromoCode(code="BIG", promotion_id="big"),
    )
    with pytest.raises(ValidationFailed) as caught:
        shop.price([("A", 1)], currency="USD", country="US", codes=["BIG"])
    assert error_codes(caught) == [("body.promo_codes.0", "currency_mismatch")]


def test_a_code_that_gives_nothing_is_reported_not_raised_and_not_redeemed(spring):
    # GIVEN a code for a category the cart does not hold
    spring.promote(
        Promotion(
            id="shoes",
            name="Shoes",
            benefit=PercentOff(basis_points=1000, applies_to={"category_ids": frozenset({"shoes"})}),
        ),
        PromoCode(code="SHOES", promotion_id="shoes", usage_limit=1),
    )
    # WHEN entered
    priced = spring.price([("A", 1)], codes=["SHOES"])
    # THEN it is listed as not applicable and nothing is to be counted
    assert [(r.code, r.reason) for r in priced.rejected_codes] == [("SHOES", RejectionReason.NOT_APPLICABLE)]
    assert priced.redemptions.promo_codes == []
    assert priced.totals.discount_total == eur(0)


def test_exhausted_code(spring):
    spring.uses["SPRING10"] = 2
    with pytest.raises(ValidationFailed) as caught:
        spring.price([("A", 1)], codes=["SPRING10"])
    assert error_codes(caught) == [("body.promo_codes.0", "exhausted")]


def test_per_customer_limit_holds_across_orders_and_customers(spring):
    # GIVEN customer 1 checked out once with the code
    spring.commit(spring.price([("A", 1)], codes=["SPRING10"]))
    # WHEN the same customer tries again THEN the limit is reached
    with pytest.raises(ValidationFailed) as caught:
        spring.price([("A", 1)], codes=["SPRING10"])
    assert error_codes(caught) == [("body.promo_codes.0", "limit_reached_for_customer")]
    # AND another customer may still use it, which uses it up for everyone
    spring.commit(spring.price([("A", 1)], codes=["SPRING10"], customer=Customer(id="cus_2")))
    with pytest.raises(ValidationFailed) as caught:
        spring.price([("A", 1)], codes=["SPRING10"], customer=Customer(id="cus_3"))
    assert error_codes(caught) == [("body.promo_codes.0", "exhausted")]
    assert spring.uses["SPRING10"] == 2


def test_guest_needs_an_email_for_a_per_customer_code_and_is_counted_by_it(spring):
    with pytest.raises(ValidationFailed) as caught:
        spring.price([("A", 1)], codes=["SPRING10"], customer=Customer())
    assert error_codes(caught) == [("body.promo_codes.0", "sign_in_required")]
    guest = Customer(email="Ann@Example.com")
    spring.commit(spring.price([("A", 1)], codes=["SPRING10"], customer=guest))
    with pytest.raises(ValidationFailed) as caught:
        spring.price([("A", 1)], codes=["SPRING10"], customer=Customer(email=" ann@example.com"))
    assert error_codes(caught) == [("body.promo_codes.0", "limit_reached_for_customer")]


def test_losing_the_race_for_the_last_use_is_a_409_and_counts_nothing(spring):
    # GIVEN one use left, priced by two customers before either checks out
    spring.uses["SPRING10"] = 1
    first = spring.price([("A", 1)], codes=["SPRING10"], customer=Customer(id="cus_a"))
    second = spring.price([("A", 1)], codes=["SPRING10"], customer=Customer(id="cus_b"))
    spring.commit(first)
    # WHEN the second checks out
    with pytest.raises(Conflict) as caught:
        spring.commit(second)
    # THEN it is a 409 naming the code, and the code was counted once
    problem = caught.value.problem()
    assert (problem["status"], problem["errors"][0]["code"]) == (409, "exhausted")
    assert spring.uses["SPRING10"] == 2
    assert spring.uses_by[("SPRING10", "customer:cus_b")] == 0


def test_unlimited_codes_never_read_usage(shop):
    shop.item("A", 1000)
    shop.promote(
        Promotion(id="p", name="P", benefit=PercentOff(basis_points=100)),
        PromoCode(code="FREE4ALL", promotion_id="p"),
    )
    shop.usage = None  # any usage lookup would now fail
    assert shop.price([("A", 1)], codes=["FREE4ALL"], customer=Customer()).applied_promotions
