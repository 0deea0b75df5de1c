"""Fraud screening: each rule alone, its boundaries, the cap and threshold, and the hourly velocity keys."""

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from checkout.domain.fraud import (
    DEFAULT_POLICY,
    POLICY_VERSION,
    CardFunding,
    RiskCode,
    RiskDecision,
    RiskPolicy,
    RiskSignals,
    ValueTier,
    VelocityDimension,
    VelocityKey,
    VelocityRule,
    assess,
    velocity_bucket,
    velocity_keys,
)
from shop_kernel.money import Money


def eur(amount: int) -> Money:
    return Money.of(amount, "EUR")


def clean(**overrides: Any) -> RiskSignals:
    """A known returning customer's modest order, everything in Germany, once this hour."""
    fields: dict[str, Any] = {
        "order_id": "ord_01",
        "amount": eur(50_00),
        "orders_by_customer": 1,
        "orders_by_ip": 1,
        "orders_by_card": 1,
        "shipping_country": "DE",
        "billing_country": "DE",
        "card_country": "DE",
        "ip_country": "DE",
        "guest": False,
        "first_order": False,
        "card_funding": CardFunding.DEBIT,
        "email": "ann@example.com",
    }
    return RiskSignals(**{**fields, **overrides})


def scored(signals: RiskSignals, policy: RiskPolicy = DEFAULT_POLICY) -> list[tuple[RiskCode, int]]:
    return [(reason.code, reason.points) for reason in assess(signals, policy).reasons]


def test_a_clean_order_is_accepted_with_score_zero():
    # GIVEN an order with every signal known and nothing unusual
    signals = clean()
    # WHEN assessed
    assessment = assess(signals)
    # THEN nothing fires, every rule was evaluated, and the assessment names its rules
    assert (assessment.score, assessment.decision, assessment.reasons) == (0, RiskDecision.ACCEPT, [])
    assert assessment.not_evaluated == []
    assert assessment.policy_version == POLICY_VERSION
    assert not assessment.needs_review


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"orders_by_customer": 4}, (RiskCode.CUSTOMER_VELOCITY, 20)),
        ({"orders_by_ip": 6}, (RiskCode.IP_VELOCITY, 20)),
        ({"orders_by_card": 4}, (RiskCode.CARD_VELOCITY, 20)),
        ({"billing_country": "FR", "ip_country": "FR"}, (RiskCode.BILLING_COUNTRY_MISMATCH, 10)),
        ({"card_country": "US"}, (RiskCode.CARD_COUNTRY_MISMATCH, 15)),
        ({"ip_country": "US"}, (RiskCode.IP_COUNTRY_MISMATCH, 10)),
        ({"amount": eur(1_000_00)}, (RiskCode.HIGH_VALUE, 15)),
    ],
)
def test_each_rule_fires_alone_with_its_points(overrides, expected):
    # GIVEN a clean order with one signal changed
    signals = clean(**overrides)
    # WHEN assessed
    assessment = assess(signals)
    # THEN exactly that rule fires, with its default points, and explains itself
    assert scored(signals) == [expected]
    assert assessment.score == expected[1]
    assert assessment.reasons[0].detail


@pytest.mark.parametrize(
    ("field", "allowed"),
    [("orders_by_customer", 3), ("orders_by_ip", 5), ("orders_by_card", 3)],
)
def test_velocity_allows_the_allowed_count_and_fires_on_one_more(field, allowed):
    # GIVEN exactly the allowed number of orders this hour, then one more
    at_limit = clean(**{field: allowed})
    over = clean(**{field: allowed + 1})
    # WHEN assessed
    # THEN the allowed count passes and the next order scores the first-excess points
    assert assess(at_limit).score == 0
    assert assess(over).score == 20


@pytest.mark.parametrize(
    ("field", "points_by_count"),
    [
        ("orders_by_customer", {4: 20, 5: 30, 6: 40, 7: 40, 50: 40}),
        ("orders_by_ip", {6: 20, 7: 30, 8: 30, 100: 30}),
        ("orders_by_card", {4: 20, 5: 30, 7: 50, 8: 60, 9: 60}),
    ],
)
def test_velocity_points_grow_with_the_excess_up_to_the_rule_cap(field, points_by_count):
    # GIVEN more and more orders in the hour on one dimension
    # WHEN assessed
    scores = {count: assess(clean(**{field: count})).score for count in points_by_count}
    # THEN 20 for the first order over, 10 more per further order, capped per rule
    assert scores == points_by_count


@pytest.mark.parametrize(
    ("shipping", "billing", "card", "ip", "expected"),
    [
        ("DE", "DE", "DE", "DE", []),
        ("DE", "FR", "DE", "DE", [RiskCode.BILLING_COUNTRY_MISMATCH]),
        ("DE", "FR", "DE", "FR", [RiskCode.BILLING_COUNTRY_MISMATCH]),
        ("DE", "DE", "AT", "DE", [RiskCode.CARD_COUNTRY_MISMATCH]),
        ("DE", "FR", "FR", "FR", [RiskCode.BILLING_COUNTRY_MISMATCH, RiskCode.CARD_COUNTRY_MISMATCH]),
        (
            "DE",
            "FR",
            "US",
            "US",
            [
                RiskCode.BILLING_COUNTRY_MISMATCH,
                RiskCode.CARD_COUNTRY_MISMATCH,
                RiskCode.IP_COUNTRY_MISMATCH,
            ],
        ),
        # IP compared with the one address known; nothing else can be compared without a destination
        (None, "FR", "US", "US", [RiskCode.IP_COUNTRY_MISMATCH]),
        (None, "FR", "US", "FR", []),
        ("DE", None, "DE", "PL", [RiskCode.IP_COUNTRY_MISMATCH]),
    ],
)
def test_address_mismatch_combinations(shipping, billing, card, ip, expected):
    # GIVEN the four countries of an order
    signals = clean(shipping_country=shipping, billing_country=billing, card_country=card, ip_country=ip)
    # WHEN assessed
    codes = [reason.code for reason in assess(signals).reasons]
    # THEN the mismatches that fire are exactly the expected ones, in rule order
    assert codes == expected


def test_a_pickup_order_compares_the_card_with_the_store_country():
    # GIVEN a store pickup in Ukraine (the caller passes the store's country) paid with a Polish card
    signals = clean(
        amount=Money.of(2_000_00, "UAH"),
        shipping_country="UA",
        billing_country="UA",
        card_country="PL",
        ip_country="UA",
    )
    # WHEN assessed
    # THEN the card country is the one mismatch
    assert scored(signals) == [(RiskCode.CARD_COUNTRY_MISMATCH, 15)]


@pytest.mark.parametrize(
    ("amount", "points"),
    [
        (eur(999_99), 0),
        (eur(1_000_00), 15),
        (eur(2_999_99), 15),
        (eur(3_000_00), 30),
        (eur(50_000_00), 30),
        (Money.of(1_099_99, "USD"), 0),
        (Money.of(1_100_00, "USD"), 15),
        (Money.of(3_300_00, "USD"), 30),
        (Money.of(44_999_99, "UAH"), 0),
        (Money.of(45_000_00, "UAH"), 15),
        (Money.of(135_000_00, "UAH"), 30),
    ],
)
def test_order_value_scores_the_highest_tier_reached_in_its_currency(amount, points):
    # GIVEN a clean order of this amount
    signals = clean(amount=amount)
    # WHEN assessed
    # THEN only the highest tier reached counts (tiers are not added up)
    assert scored(signals) == ([(RiskCode.HIGH_VALUE, points)] if points else [])


def test_a_currency_without_tiers_is_not_scored_for_value_and_says_so():
    # GIVEN a very large CHF order from a first-time guest with a prepaid card; CHF has no value tiers
    signals = clean(
        amount=Money.of(50_000_00, "CHF"), guest=True, first_order=True, card_funding=CardFunding.PREPAID
    )
    # WHEN assessed
    assessment = assess(signals)
    # THEN no value rule fires, and the assessment lists them as not evaluated rather than as 0 points
    assert assessment.score == 0
    assert assessment.not_evaluated == [
        RiskCode.HIGH_VALUE,
        RiskCode.GUEST_HIGH_VALUE,
        RiskCode.PREPAID_HIGH_VALUE,
        RiskCode.FIRST_ORDER_HIGH_VALUE,
    ]


@pytest.mark.parametrize(
    ("overrides", "combined"),
    [
        ({"guest": True}, (RiskCode.GUEST_HIGH_VALUE, 10)),
        ({"card_funding": CardFunding.PREPAID}, (RiskCode.PREPAID_HIGH_VALUE, 15)),
        ({"first_order": True}, (RiskCode.FIRST_ORDER_HIGH_VALUE, 10)),
    ],
)
def test_high_value_adds_modest_points_for_guests_prepaid_cards_and_first_orders(overrides, combined):
    # GIVEN the same circumstance on a modest order and on a high-value one
    modest = clean(**overrides)
    large = clean(amount=eur(1_000_00), **overrides)
    # WHEN assessed
    # THEN the circumstance alone scores nothing; with a high value it adds its points to the value's
    assert scored(modest) == []
    assert scored(large) == [(RiskCode.HIGH_VALUE, 15), combined]


def test_unknown_signals_do_not_fire():
    # GIVEN a high-value order about which almost nothing is known
    signals = RiskSignals(
        order_id="ord_02", amount=eur(1_000_00), guest=False, card_funding=CardFunding.UNKNOWN
    )
    # WHEN assessed
    assessment = assess(signals)
    # THEN only the value scores; the rules lacking data are listed as not evaluated
    assert scored(signals) == [(RiskCode.HIGH_VALUE, 15)]
    assert assessment.not_evaluated == [
        RiskCode.CUSTOMER_VELOCITY,
        RiskCode.IP_VELOCITY,
        RiskCode.CARD_VELOCITY,
        RiskCode.BILLING_COUNTRY_MISMATCH,
        RiskCode.CARD_COUNTRY_MISMATCH,
        RiskCode.IP_COUNTRY_MISMATCH,
        RiskCode.PREPAID_HIGH_VALUE,
        RiskCode.FIRST_ORDER_HIGH_VALUE,
    ]


def test_the_score_is_capped_at_the_maximum():
    # GIVEN an order on which every rule fires at its highest
    signals = clean(
        amount=eur(5_000_00),
        orders_by_customer=20,
        orders_by_ip=20,
        orders_by_card=20,
        billing_country="FR",
        card_country="US",
        ip_country="NG",
        guest=True,
        first_order=True,
        card_funding=CardFunding.PREPAID,
    )
    # WHEN assessed
    assessment = assess(signals)
    # THEN every reason is listed, but the score stops at 100
    assert [reason.code for reason in assessment.reasons] == list(RiskCode)
    assert sum(reason.points for reason in assessment.reasons) == 230
    assert (assessment.score, assessment.decision) == (100, RiskDecision.REVIEW)


@pytest.mark.parametrize(("points", "decision"), [(59, RiskDecision.ACCEPT), (60, RiskDecision.REVIEW)])
def test_the_decision_flips_exactly_at_the_threshold(points, decision):
    # GIVEN a policy in which a billing mismatch alone is worth 59 or 60 points (threshold 60)
    policy = RiskPolicy(billing_country_mismatch_points=points)
    signals = clean(billing_country="FR", ip_country="FR")
    # WHEN assessed
    assessment = assess(signals, policy)
    # THEN one point below the threshold is accepted and the threshold itself goes to review
    assert (assessment.score, assessment.decision) == (points, decision)


def test_one_card_used_again_and_again_alone_reaches_review():
    # GIVEN the same card on 7, then 8 orders in one hour (3 allowed)
    # WHEN assessed with the default policy
    # THEN 50 points is still accepted, 60 goes to review
    assert assess(clean(orders_by_card=7)).decision is RiskDecision.ACCEPT
    assert assess(clean(orders_by_card=8)).decision is RiskDecision.REVIEW


def test_every_number_of_the_policy_can_be_overridden():
    # GIVEN a stricter policy of its own version: 1 order per card, tiers only for GBP, review at 30
    policy = RiskPolicy(
        version="fraud-rules-test",
        review_threshold=30,
        card_velocity=VelocityRule(
            allowed_per_hour=1, first_excess_points=25, points_per_further_order=5, max_points=35
        ),
        value_tiers=(ValueTier(at_least=Money.of(500_00, "GBP"), points=5),),
    )
    signals = clean(amount=Money.of(600_00, "GBP"), orders_by_card=2)
    # WHEN assessed
    assessment = assess(signals, policy)
    # THEN the policy's own numbers apply and the assessment names its version
    assert scored(signals, policy) == [(RiskCode.CARD_VELOCITY, 25), (RiskCode.HIGH_VALUE, 5)]
    assert (assessment.decision, assessment.policy_version) == (RiskDecision.REVIEW, "fraud-rules-test")
    assert assess(clean(amount=eur(5_000_00)), policy).score == 0


def test_a_rule_given_zero_points_is_switched_off():
    # GIVEN a policy that does not score IP country mismatches
    policy = RiskPolicy(ip_country_mismatch_points=0)
    # WHEN an order from a foreign IP is assessed
    assessment = assess(clean(ip_country="US"), policy)
    # THEN no reason is listed (every reason carries points)
    assert (assessment.score, assessment.reasons) == (0, [])


def test_reasons_carry_no_personal_data():
    # GIVEN a guest's e-mail on a high-value order from a busy customer
    signals = clean(amount=eur(5_000_00), orders_by_customer=9, guest=True, email="secret.person@example.com")
    # WHEN assessed
    details = " ".join(reason.detail for reason in assess(signals).reasons)
    # THEN the stored reasons do not repeat it
    assert "secret.person" not in details


@pytest.mark.parametrize(
    "bad",
    [
        {"review_threshold": 101},
        {"max_score": 50},
        {"guest_high_value_points": -1},
        {"value_tiers": (ValueTier(at_least=eur(1_00), points=1),) * 2},
        {"surprise": 1},
    ],
)
def test_an_inconsistent_policy_is_rejected(bad):
    with pytest.raises(ValidationError):
        RiskPolicy(**bad)


@pytest.mark.parametrize(
    "bad",
    [
        {"orders_by_customer": -1},
        {"orders_by_ip": "3"},
        {"orders_by_card": True},
        {"shipping_country": "de"},
        {"card_country": "DEU"},
        {"ip_country": ""},
        {"card_funding": "gift"},
        {"amount": eur(-1)},
        {"order_id": ""},
        {"risk_score": 0},
    ],
)
def test_invalid_signals_are_rejected(bad):
    # GIVEN a clean order with one invalid or unknown field
    # WHEN built
    # THEN pydantic refuses it
    with pytest.raises(ValidationError):
        clean(**bad)


def test_an_assessment_is_immutable():
    assessment = assess(clean())
    with pytest.raises(ValidationError):
        assessment.score = 99  # type: ignore[misc]


counts = st.one_of(st.none(), st.integers(min_value=0, max_value=15))
countries = st.sampled_from([None, "DE", "FR", "US", "UA"])
amounts = st.builds(
    Money.of, st.integers(min_value=0, max_value=200_000_00), st.sampled_from(["EUR", "USD", "UAH", "CHF"])
)
any_signals = st.builds(
    RiskSignals,
    order_id=st.just("ord_03"),
    amount=amounts,
    orders_by_customer=counts,
    orders_by_ip=counts,
    orders_by_card=counts,
    shipping_country=countries,
    billing_country=countries,
    card_country=countries,
    ip_country=countries,
    guest=st.booleans(),
    first_order=st.sampled_from([None, True, False]),
    card_funding=st.sampled_from([None, *CardFunding]),
)


@settings(max_examples=300, deadline=None)
@given(signals=any_signals, threshold=st.integers(min_value=1, max_value=100))
def test_the_score_is_the_capped_sum_of_the_reasons(signals, threshold):
    # GIVEN any signals and any review threshold
    policy = RiskPolicy(review_threshold=threshold)
    # WHEN assessed twice
    assessment = assess(signals, policy)
    # THEN the score is the capped sum of positive reasons, listed once each in rule order
    points = [reason.points for reason in assessment.reasons]
    assert assessment.score == min(policy.max_score, sum(points))
    assert all(p > 0 for p in points)
    codes = [reason.code for reason in assessment.reasons]
    assert codes == sorted(set(codes), key=list(RiskCode).index)
    assert set(codes).isdisjoint(assessment.not_evaluated)
    # AND the decision follows the threshold, and the same signals give the same assessment
    assert assessment.needs_review == (assessment.score >= threshold)
    assert assess(signals, policy) == assessment


@pytest.mark.parametrize(
    ("moment", "bucket"),
    [
        (datetime(2026, 12, 2, 14, 0, tzinfo=UTC), "2026120214"),
        (datetime(2026, 12, 2, 14, 59, 59, 999_999, tzinfo=UTC), "2026120214"),
        # Kyiv in winter is UTC+2: 16:30 local is 14:30 UTC
        (datetime(2026, 12, 2, 16, 30, tzinfo=timezone(timedelta(hours=2))), "2026120214"),
        # New York in winter is UTC-5: the evening of the 2nd is already the 3rd in UTC
        (datetime(2026, 12, 2, 21, 5, tzinfo=timezone(timedelta(hours=-5))), "2026120302"),
        (datetime(2026, 12, 31, 23, 59, tzinfo=UTC), "2026123123"),
    ],
)
def test_velocity_bucket_is_the_utc_hour(moment, bucket):
    assert velocity_bucket(moment) == bucket


def test_velocity_bucket_refuses_a_naive_datetime():
    with pytest.raises(ValueError, match="timezone-aware"):
        velocity_bucket(datetime(2026, 12, 2, 14, 0))


def test_velocity_keys_name_one_counter_per_known_dimension():
    # GIVEN a customer, an IP written with spaces and capitals, and a card, at 16:30 in Kyiv
    moment = datetime(2026, 12, 2, 16, 30, tzinfo=timezone(timedelta(hours=2)))
    # WHEN the keys are built
    keys = velocity_keys("customer:cus_42", " 2001:DB8:0:0::0001 ", "fp_Abc123", moment)
    # THEN one key per dimension in the UTC hour bucket; the IP is normalised, the others kept as given
    assert keys == [
        VelocityKey(dimension=VelocityDimension.CUSTOMER, value="customer:cus_42", bucket="2026120214"),
        VelocityKey(dimension=VelocityDimension.IP, value="2001:db8::1", bucket="2026120214"),
        VelocityKey(dimension=VelocityDimension.CARD, value="fp_Abc123", bucket="2026120214"),
    ]


@pytest.mark.parametrize(
    ("ip", "normalised"),
    [
        (" 203.0.113.7\n", "203.0.113.7"),
        ("::FFFF:203.0.113.7", "203.0.113.7"),
        ("2001:0DB8::ABCD", "2001:db8::abcd"),
        (" Not-An-IP ", "not-an-ip"),
    ],
)
def test_ip_spellings_share_one_counter(ip, normalised):
    moment = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)
    assert velocity_keys(None, ip, None, moment)[0].value == normalised


@pytest.mark.parametrize(
    ("customer", "ip", "card", "dimensions"),
    [
        ("email:Ann@Example.com", None, "fp_1", [VelocityDimension.CUSTOMER, VelocityDimension.CARD]),
        ("", "203.0.113.7", "", [VelocityDimension.IP]),
        ("customer:cus_1", "   ", None, [VelocityDimension.CUSTOMER]),
        (None, None, None, []),
    ],
)
def test_velocity_keys_skip_unknown_dimensions(customer, ip, card, dimensions):
    # GIVEN some dimensions unknown (None or empty)
    moment = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)
    # WHEN the keys are built
    keys = velocity_keys(customer, ip, card, moment)
    # THEN only the known ones are counted, customer keys exactly as given
    assert [key.dimension for key in keys] == dimensions
    if customer:
        assert keys[0].value == customer
