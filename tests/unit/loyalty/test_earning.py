"""Earning, pending until the return window, and proportional reversal (never below zero)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from loyalty.domain.earning import kept, plan_earning, plan_refund
from loyalty.domain.ledger import PENDING, POINTS, Reason, credit_pending_account, sum_deltas
from loyalty.domain.member import MemberState
from loyalty.domain.plans import Plan
from loyalty.domain.rules import Campaign, EarningRules

from tests.unit.loyalty.conftest import DELIVERED, order, rules


def _apply(plan: Plan | None) -> MemberState:
    assert plan is not None
    return plan.after.model_copy(update={"version": plan.before.version + 1})


def test_an_order_earns_pending_points_and_cashback_until_its_return_window_closes() -> None:
    # GIVEN 1 point per euro, 2 % cashback, a 30-day window for shoes, and a 120 EUR order with shoes
    config = rules(category_return_window_days={"shoes": 30})
    facts = order("ord_1", 10_000, 2_000, categories=("shoes", None))
    # WHEN it is delivered
    plan = plan_earning(MemberState(member_id="m-1"), facts, config, [], DELIVERED)
    # THEN 120 points and 2.40 EUR wait, maturing 30 days after delivery; nothing is available yet
    assert plan is not None
    assert plan.deltas == {PENDING: 120, credit_pending_account("EUR"): 240}
    assert plan.after.pending[0].matures_at == DELIVERED + timedelta(days=30)
    assert plan.after.available == 0
    assert plan.after.pending_points == 120
    assert plan.facts is not None
    assert plan.facts.status == "earned"


def test_multipliers_of_category_brand_tier_and_an_active_campaign_compound() -> None:
    # GIVEN electronics x2, a gold member (x1.5), and a campaign x1.5 plus 50 bonus points running at placement
    config = rules(
        earning=EarningRules(points_per_unit={"EUR": 1}, category_multipliers_bp={"electronics": 20_000})
    )
    campaign = Campaign(
        id="black-friday",
        name="BF",
        starts_at=datetime(2026, 11, 1, tzinfo=UTC),
        ends_at=datetime(2026, 11, 30, tzinfo=UTC),
        multiplier_bp=15_000,
        bonus_points=50,
    )
    gold = MemberState(member_id="m-1", version=3, tier="gold")
    # WHEN a 100 EUR electronics order earns
    plan = plan_earning(
        gold, order("ord_1", 10_000, categories=("electronics",)), config, [campaign], DELIVERED
    )
    # THEN 100 x 2 x 1.5 x 1.5 = 450 from the line and 50 from the campaign, as two entries
    assert plan is not None
    assert [(e.reason, e.pending) for e in plan.entries] == [(Reason.ORDER, 450), (Reason.CAMPAIGN, 50)]


def test_a_campaign_outside_its_window_adds_nothing() -> None:
    campaign = Campaign(
        id="later",
        name="Later",
        starts_at=datetime(2026, 12, 1, tzinfo=UTC),
        ends_at=datetime(2026, 12, 2, tzinfo=UTC),
        bonus_points=50,
    )
    plan = plan_earning(MemberState(member_id="m-1"), order(), rules(), [campaign], DELIVERED)
    assert plan is not None
    assert plan.deltas[PENDING] == 100


def test_the_first_earning_brings_the_welcome_bonus_once() -> None:
    # GIVEN a 100-point welcome bonus
    config = rules(earning=EarningRules(points_per_unit={"EUR": 1}, welcome_bonus=100))
    # WHEN a new member earns, then earns again
    first = plan_earning(MemberState(member_id="m-1"), order("ord_1"), config, [], DELIVERED)
    second = plan_earning(_apply(first), order("ord_2"), config, [], DELIVERED)
    # THEN the bonus is available at once the first time only
    assert first is not None
    assert second is not None
    assert [e.reason for e in first.entries] == [Reason.ORDER, Reason.WELCOME]
    assert first.after.available == 100
    assert [e.reason for e in second.entries] == [Reason.ORDER]


def test_a_full_return_reverses_points_and_cashback_exactly() -> None:
    # GIVEN an order that earned 100 points and 2.00 EUR cashback, still pending
    facts = order("ord_1", 6_000, 4_000)
    earned = plan_earning(MemberState(member_id="m-1"), facts, rules(), [], DELIVERED)
    assert earned is not None
    assert earned.facts is not None
    # WHEN two refunds return all of it
    first = plan_refund(_apply(earned), earned.facts, 4_000, "return#r1", Reason.RETURN, rules(), DELIVERED)
    assert first is not None
    assert first.facts is not None
    second = plan_refund(_apply(first), first.facts, 6_000, "return#r2", Reason.RETURN, rules(), DELIVERED)
    # THEN nothing is left pending and the two reversals add up to what was earned
    assert second is not None
    assert second.after.pending_points == 0
    assert second.after.credit_pending("EUR") == 0
    assert first.deltas[PENDING] + second.deltas[PENDING] == -100


def test_a_partial_return_after_maturity_never_takes_the_balance_below_zero() -> None:
    # GIVEN 100 points earned and matured, of which the member spent 90
    earned = plan_earning(MemberState(member_id="m-1"), order(), rules(), [], DELIVERED)
    assert earned is not None
    assert earned.facts is not None
    matured = _apply(earned).model_copy(update={"pending": (), "balances": {POINTS: 10}})
    # WHEN half of the order is refunded (50 points to take back)
    plan = plan_refund(matured, earned.facts, 5_000, "return#r1", Reason.RETURN, rules(), DELIVERED)
    # THEN only the 10 available are taken, and the order records what it really gave back
    assert plan is not None
    assert plan.facts is not None
    assert plan.deltas.get(POINTS) == -10
    assert plan.after.available == 0
    assert plan.facts.points_granted == 90


def test_a_refund_before_the_earning_is_taken_off_when_the_order_earns() -> None:
    # GIVEN an order refunded by a quarter before its delivery event arrived
    facts = order()
    refund = plan_refund(
        MemberState(member_id="m-1"), facts, 2_500, "return#r1", Reason.RETURN, rules(), DELIVERED
    )
    assert refund is not None
    assert refund.facts is not None
    assert refund.deltas == {}
    # WHEN it earns
    plan = plan_earning(MemberState(member_id="m-1"), refund.facts, rules(), [], DELIVERED)
    # THEN it earns three quarters
    assert plan is not None
    assert plan.deltas[PENDING] == 75


def test_spend_moves_the_tier_up_and_a_return_moves_it_back() -> None:
    # GIVEN gold from 500 EUR rolling spend
    big = order("ord_big", 50_000)
    plan = plan_earning(MemberState(member_id="m-1"), big, rules(), [], DELIVERED)
    assert plan is not None
    assert plan.facts is not None
    # THEN the earning entry carries the change to gold, and a return of half takes it back to silver
    assert plan.after.tier == "gold"
    assert plan.entries[0].tier_change == ("", "gold")
    back = plan_refund(_apply(plan), plan.facts, 25_000, "return#r1", Reason.RETURN, rules(), DELIVERED)
    assert back is not None
    assert back.after.tier == "silver"
    assert back.entries[0].tier_change == ("gold", "silver")


def test_an_order_earns_once() -> None:
    plan = plan_earning(MemberState(member_id="m-1"), order(), rules(), [], DELIVERED)
    assert plan is not None
    assert plan.facts is not None
    assert plan_earning(_apply(plan), plan.facts, rules(), [], DELIVERED) is None


@given(
    full=st.integers(min_value=0, max_value=100_000),
    parts=st.lists(st.integers(min_value=1, max_value=5_000), min_size=1, max_size=8),
)
def test_refunds_in_any_parts_reverse_exactly_what_was_earned_when_they_reach_the_total(
    full: int, parts: list[int]
) -> None:
    # GIVEN an order of sum(parts) that earned ``full``, refunded part by part
    total = sum(parts)
    refunded, taken = 0, 0
    for part in parts:
        before = kept(full, refunded, total)
        refunded += part
        step = before - kept(full, refunded, total)
        # THEN no step gives points back, and all steps together take back exactly ``full``
        assert step >= 0
        taken += step
    assert taken == full


def test_the_plan_moves_the_balances_by_exactly_its_entries() -> None:
    plan = plan_earning(
        MemberState(member_id="m-1", version=2, balances={POINTS: 7}), order(), rules(), [], DELIVERED
    )
    assert plan is not None
    assert plan.after.balances == {POINTS: 7, **sum_deltas(plan.entries)}
