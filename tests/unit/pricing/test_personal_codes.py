"""Personal codes (loyalty's automatic coupons): their owner only, within their own window, once."""

from datetime import timedelta

import pytest

from pricing.contract import CodeTaken, issue_personal_code
from pricing.domain import Customer, PercentOff, PromoCode, Promotion
from shop_kernel.errors import Conflict, ValidationFailed
from shop_kernel.transact import Reason, refusal


@pytest.fixture
def birthday(shop, now):
    """BDAY-OLENA: 15 % off, Olena's (``cus_1``) only, valid for three days from yesterday, once."""
    shop.item("A", 1000)
    shop.promote(
        Promotion(id="coupon-birthday", name="Birthday coupon", benefit=PercentOff(basis_points=1500)),
        PromoCode(
            code="BDAY-OLENA",
            promotion_id="coupon-birthday",
            usage_limit=1,
            per_customer_limit=1,
            owner="cus_1",
            valid_from=now - timedelta(days=1),
            valid_until=now + timedelta(days=2),
        ),
    )
    return shop


def codes(caught) -> list[tuple[str, str]]:
    return [(e.field, e.code) for e in caught.value.errors]


def test_its_owner_gets_the_discount_and_checkout_counts_one_use(birthday):
    # WHEN the owner enters it
    priced = birthday.price([("A", 1)], codes=["bday-olena"])
    # THEN it applies, and the redemption is limited to one use overall and by her
    assert priced.totals.discount_total.amount == 150
    [redemption] = priced.redemptions.promo_codes
    assert (redemption.customer_key, redemption.usage_limit, redemption.per_customer_limit) == (
        "customer:cus_1",
        1,
        1,
    )


@pytest.mark.parametrize(
    ("customer", "expected"),
    [
        (Customer(id="cus_2"), "not_yours"),
        (Customer(email="olena@example.com"), "sign_in_required"),
        (Customer(), "sign_in_required"),
    ],
)
def test_anyone_but_its_owner_is_refused_like_any_unusable_code(birthday, customer, expected):
    # WHEN another customer, or a guest (even with the owner's e-mail), enters it
    with pytest.raises(ValidationFailed) as caught:
        birthday.price([("A", 1)], codes=["BDAY-OLENA"], customer=customer)
    # THEN the same 422 as other refusals, naming the entry
    assert codes(caught) == [("body.promo_codes.0", expected)]


@pytest.mark.parametrize(("days", "expected"), [(-2, "not_started"), (2, "expired"), (3, "expired")])
def test_outside_its_own_window_it_is_refused(birthday, now, days, expected):
    # GIVEN the promotion itself has no window: only the code's own applies
    with pytest.raises(ValidationFailed) as caught:
        birthday.price([("A", 1)], codes=["BDAY-OLENA"], now=now + timedelta(days=days))
    assert codes(caught) == [("body.promo_codes.0", expected)]


def test_it_is_used_once(birthday):
    # GIVEN the owner's first order counted the use
    birthday.commit(birthday.price([("A", 1)], codes=["BDAY-OLENA"]))
    # WHEN she tries again
    with pytest.raises(ValidationFailed) as caught:
        birthday.price([("A", 1)], codes=["BDAY-OLENA"])
    # THEN it is used up
    assert codes(caught) == [("body.promo_codes.0", "exhausted")]


def test_a_racing_second_use_loses_at_the_write(birthday):
    # GIVEN two carts priced before either checked out
    first = birthday.price([("A", 1)], codes=["BDAY-OLENA"])
    second = birthday.price([("A", 1)], codes=["BDAY-OLENA"])
    birthday.commit(first)
    # WHEN the second commits
    with pytest.raises(Conflict):
        birthday.commit(second)


def test_a_window_ending_before_it_starts_is_refused(now):
    with pytest.raises(ValueError, match="valid_until"):
        PromoCode(code="X", promotion_id="p", owner="cus_1", valid_from=now, valid_until=now)


def test_issuing_writes_a_new_code_for_its_owner_only_and_names_a_collision(now):
    code = PromoCode(
        code="BDAY-X", promotion_id="coupon-birthday", usage_limit=1, per_customer_limit=1, owner="cus_1"
    )
    # WHEN the contract builds the write
    part = issue_personal_code("promotions", code, "2026-03-15T12:00:00Z")
    [entry] = part.entries
    # THEN it puts the code, owned, never over an existing one; a failed condition is CodeTaken
    assert entry["Put"]["ConditionExpression"] == "attribute_not_exists(pk)"
    assert entry["Put"]["Item"]["owner"] == {"S": "cus_1"}
    assert isinstance(refusal([part], [Reason(code="ConditionalCheckFailed")]), CodeTaken)


@pytest.mark.parametrize("changes", [{"owner": None}, {"usage_limit": 2}, {"per_customer_limit": None}])
def test_only_single_use_owned_codes_are_issued(changes):
    fields = {"code": "X", "promotion_id": "p", "usage_limit": 1, "per_customer_limit": 1, "owner": "c"}
    with pytest.raises(ValueError, match="owner and is usable once"):
        issue_personal_code("promotions", PromoCode(**{**fields, **changes}), "2026-03-15T12:00:00Z")
