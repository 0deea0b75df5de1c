"""The scheduled job's plans (maturity, expiry, announcements), redemption, and adjustments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from loyalty.domain.adjustments import Adjustment, check_approver, needs_approval, plan_adjustment
from loyalty.domain.earning import plan_earning
from loyalty.domain.errors import AdjustmentRefused, InsufficientPoints
from loyalty.domain.ledger import PENDING, POINTS, Reason, credit_account, credit_pending_account
from loyalty.domain.member import EarnedLot, MemberState
from loyalty.domain.orders import OrderLine
from loyalty.domain.redemption import redeemable
from loyalty.domain.rules import ExpiryRules, RedemptionRules
from loyalty.domain.schedule import plan_due

from tests.unit.loyalty.conftest import DELIVERED, order, rules

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_pending_points_and_cashback_mature_when_the_window_closes() -> None:
    # GIVEN an order earned on delivery (14-day window)
    earned = plan_earning(MemberState(member_id="m-1"), order(), rules(), [], DELIVERED)
    assert earned is not None
    state = earned.after.model_copy(update={"version": 1})
    # WHEN the job runs one day before the window closes, then after it
    early = plan_due(state, rules(), DELIVERED + timedelta(days=13))
    late = plan_due(state, rules(), DELIVERED + timedelta(days=14))
    # THEN nothing matures early (the job comes back when it closes); then points and credit move over
    assert early.entries == ()
    assert early.after.next_due == DELIVERED + timedelta(days=14)
    assert late.deltas == {
        PENDING: -100,
        POINTS: 100,
        credit_pending_account("EUR"): -200,
        credit_account("EUR"): 200,
    }
    assert [e.reason for e in late.entries] == [Reason.MATURED]


def test_inactivity_expires_the_balance_after_announcing_it() -> None:
    # GIVEN 300 points, last activity a year minus 20 days ago; expiry after 365 days, announced 30 days ahead
    config = rules(expiry=ExpiryRules(mode="inactivity", after_days=365, announce_days=30))
    last = NOW - timedelta(days=345)
    state = MemberState(member_id="m-1", version=4, balances={POINTS: 300}, last_activity_at=last)
    # WHEN the job runs now, then after the year is over
    announced = plan_due(state, config, NOW)
    expired = plan_due(announced.after, config, last + timedelta(days=365))
    # THEN first a notice (300 points, on the anniversary) with nothing moved; then the points expire
    assert announced.entries == ()
    assert [(n.points, n.expires_at) for n in announced.notices] == [(300, last + timedelta(days=365))]
    assert expired.deltas == {POINTS: -300}
    assert expired.entries[0].reason is Reason.EXPIRY


def test_per_lot_expiry_takes_what_younger_lots_do_not_cover() -> None:
    # GIVEN lots of 100 (expiring now) and 50 (later), and 120 available (30 were spent, oldest first)
    config = rules(expiry=ExpiryRules(mode="lot", after_days=365, announce_days=30))
    lots = (
        EarnedLot(lot_id="a", points=100, expires_at=NOW),
        EarnedLot(lot_id="b", points=50, expires_at=NOW + timedelta(days=200)),
    )
    state = MemberState(member_id="m-1", version=2, balances={POINTS: 120}, lots=lots)
    # WHEN the job runs
    plan = plan_due(state, config, NOW)
    # THEN 70 of the old lot expire, the young lot's 50 stay
    assert plan.deltas == {POINTS: -70}
    assert [lot.lot_id for lot in plan.after.lots] == ["b"]


def test_redemption_is_capped_by_share_balance_and_excluded_categories() -> None:
    lines = [
        OrderLine(sku="A", quantity=1, total=10_000),
        OrderLine(sku="G", quantity=1, total=5_000, category="gift-cards"),
    ]
    config = RedemptionRules(point_value={"EUR": 2}, max_share_bp=3_000, excluded_categories=("gift-cards",))
    # 30 % of the 100 EUR eligible = 30 EUR = 1500 points at 2 cents
    assert redeemable(lines, "EUR", config, 10_000).points == 1_500
    assert redeemable(lines, "EUR", config, 400).value.amount == 800
    assert redeemable(lines, "EUR", config, 10_000, wanted=10).points == 10
    assert redeemable(lines, "UAH", config, 10_000).points == 0


def _adjustment(points: int) -> Adjustment:
    return Adjustment(
        id="adj_1", member_id="m-1", points=points, note="goodwill", requested_by="agent-a", requested_at=NOW
    )


def test_a_large_adjustment_needs_another_agent() -> None:
    assert needs_approval(5_001, rules())
    assert not needs_approval(-5_000, rules())
    with pytest.raises(AdjustmentRefused):
        check_approver(_adjustment(9_000), "agent-a")
    check_approver(_adjustment(9_000), "agent-b")


def test_an_adjustment_is_audited_and_never_takes_more_than_available() -> None:
    state = MemberState(member_id="m-1", version=1, balances={POINTS: 50})
    plan = plan_adjustment(state, _adjustment(20), rules(), NOW, approved_by="agent-b")
    assert (plan.entries[0].note, plan.entries[0].agent_id, plan.entries[0].approved_by) == (
        "goodwill",
        "agent-a",
        "agent-b",
    )
    assert plan.after.available == 70
    with pytest.raises(InsufficientPoints):
        plan_adjustment(state, _adjustment(-51), rules(), NOW, None)


def test_a_lot_maturing_after_the_announcement_matures_without_announcing_again() -> None:
    # GIVEN 300 points announced as expiring (inactivity) and an order's lot maturing before they expire
    config = rules(expiry=ExpiryRules(mode="inactivity", after_days=365, announce_days=30))
    last = NOW - timedelta(days=345)
    earned = plan_earning(
        MemberState(member_id="m-1", version=4, balances={POINTS: 300}, last_activity_at=last),
        order(),
        config,
        [],
        NOW - timedelta(days=13),  # its lot matures tomorrow
    )
    assert earned is not None
    # (the earning itself is activity: put the clock of inactivity back to test the announcement path)
    state = earned.after.model_copy(update={"version": 5, "last_activity_at": last})
    announced = plan_due(state, config, NOW)
    # WHEN the job runs again when the lot matures
    later = plan_due(announced.after.model_copy(update={"version": 6}), config, NOW + timedelta(days=1))
    # THEN the first run announced once; the second matures the lot and announces nothing again
    assert len(announced.notices) == 1
    assert [e.reason for e in later.entries] == [Reason.MATURED]
    assert later.notices == ()


def test_points_that_matured_after_an_expiry_expire_as_a_movement_of_their_own() -> None:
    # GIVEN a member whose points expired for inactivity, then 50 more available, still inactive
    config = rules(expiry=ExpiryRules(mode="inactivity", after_days=365, announce_days=30))
    state = MemberState(
        member_id="m-1", version=3, balances={POINTS: 100}, last_activity_at=NOW - timedelta(days=400)
    )
    first = plan_due(state, config, NOW)
    again = plan_due(
        first.after.model_copy(update={"version": 4, "balances": {POINTS: 50}}),
        config,
        NOW + timedelta(hours=1),
    )
    # THEN both expire, under different idempotency ids
    assert first.deltas == {POINTS: -100}
    assert again.deltas == {POINTS: -50}
    assert first.entries[0].idempotency_id != again.entries[0].idempotency_id
