"""Automatic coupons: which trigger occurrence issues which coupon, and never twice for one occurrence."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from loyalty.domain.coupon_service import CouponService
from loyalty.domain.coupons import ALPHABET, Coupon, draw_code, tier_reached
from loyalty.domain.ports import AlreadyWritten
from loyalty.domain.rules import CouponRule

from pricing.domain.codes import CodeTaken
from shop_kernel.clock import FixedClock
from tests.unit.loyalty.conftest import rules

NOW = datetime(2026, 11, 5, 12, 0, tzinfo=UTC)
COUPONS = (
    CouponRule(trigger="birthday", promotion_id="promo_birthday", valid_days=30),
    CouponRule(trigger="tier_reached", promotion_id="promo_tier", tiers=("gold", "platinum")),
    CouponRule(trigger="first_order", promotion_id="promo_first", valid_days=14),
    CouponRule(trigger="win_back", promotion_id="promo_back", after_days=90),
)


class FakeCouponStore:
    """Behaves like the DynamoDB store: one coupon per (member, occurrence), codes unique in pricing."""

    def __init__(self, taken: Sequence[str] = ()) -> None:
        self.coupons: dict[tuple[str, str], Coupon] = {}
        self.codes: set[str] = set(taken)
        self.orders: dict[str, tuple[str, datetime]] = {}  # member -> (first order id, last order at)
        self.lapse: dict[str, datetime] = {}
        self.promotions = {
            p: (f"name of {p}", {"kind": "percent_off", "basis_points": 1000})
            for p in ("promo_birthday", "promo_tier", "promo_first", "promo_back")
        }

    def promotion(self, promotion_id: str) -> tuple[str, dict[str, Any]] | None:
        return self.promotions.get(promotion_id)

    def issue_coupon(self, coupon: Coupon) -> None:
        if (coupon.member_id, coupon.occurrence) in self.coupons:
            raise AlreadyWritten()
        if coupon.code in self.codes:
            raise CodeTaken(coupon.code)
        self.codes.add(coupon.code)
        self.coupons[(coupon.member_id, coupon.occurrence)] = coupon

    def note_order(self, member_id: str, order_id: str, placed_at: datetime) -> str:
        first, last = self.orders.get(member_id, (order_id, placed_at))
        if placed_at >= last:
            last = placed_at
            self.lapse[member_id] = last
        self.orders[member_id] = (first, last)
        return first

    def lapsed_members(self, before: datetime, limit: int) -> Sequence[tuple[str, datetime]]:
        return sorted(((m, at) for m, at in self.lapse.items() if at <= before), key=lambda x: x[1])[:limit]

    def close_lapse(self, member_id: str, last_order_at: datetime) -> None:
        if self.lapse.get(member_id) == last_order_at:
            del self.lapse[member_id]


def service(
    store: FakeCouponStore, coupons: tuple[CouponRule, ...] = COUPONS, at: datetime = NOW
) -> CouponService:
    configured = rules(coupons=coupons)
    return CouponService(store=store, rules=lambda: configured, clock=FixedClock(at))


def test_a_first_order_issues_a_coupon_valid_for_the_rules_window_and_a_second_order_none():
    store = FakeCouponStore()
    coupons = service(store)
    # WHEN the member's first order, then a second, are placed
    assert coupons.order_placed("m-1", "ord_1", NOW) == "issued"
    assert coupons.order_placed("m-1", "ord_2", NOW + timedelta(days=1)) == "not-first"
    # THEN one coupon: its code, the promotion's benefit, valid 14 days from now
    [coupon] = store.coupons.values()
    assert (coupon.trigger, coupon.occurrence, coupon.promotion_id) == (
        "first_order",
        "first-order",
        "promo_first",
    )
    assert (coupon.valid_from, coupon.valid_until) == (NOW, NOW + timedelta(days=14))
    assert coupon.code.startswith("FIRST-")
    assert coupon.benefit["kind"] == "percent_off"


def test_the_first_order_delivered_again_issues_nothing_more():
    store = FakeCouponStore()
    coupons = service(store)
    coupons.order_placed("m-1", "ord_1", NOW)
    assert coupons.order_placed("m-1", "ord_1", NOW) == "duplicate"
    assert len(store.coupons) == 1


@pytest.mark.parametrize(
    ("before", "after", "issued"),
    [
        ("silver", "gold", True),
        (None, "platinum", True),
        ("gold", "platinum", True),
        (None, "silver", False),  # not a tier the rule names
        ("platinum", "gold", False),  # down
        ("gold", None, False),
    ],
)
def test_reaching_a_named_tier_issues_its_coupon(before, after, issued):
    store = FakeCouponStore()
    outcome = service(store).tier_changed("m-1", before, after)
    assert (outcome == "issued") is issued
    if issued:
        assert [c.occurrence for c in store.coupons.values()] == [f"tier#{after}"]


def test_a_tier_reached_again_after_falling_brings_no_second_coupon():
    store = FakeCouponStore()
    coupons = service(store)
    coupons.tier_changed("m-1", "silver", "gold")
    coupons.tier_changed("m-1", "gold", "silver")
    assert coupons.tier_changed("m-1", "silver", "gold") == "duplicate"


def test_a_tier_rule_naming_no_tier_issues_on_any_move_up():
    rule = CouponRule(trigger="tier_reached", promotion_id="promo_tier")
    assert tier_reached(rules(coupons=(rule,)), None, "silver") == rule


def test_a_birthday_issues_once_per_year():
    store = FakeCouponStore()
    coupons = service(store)
    assert coupons.birthday("m-1", 2026) == "issued"
    assert coupons.birthday("m-1", 2026) == "duplicate"
    assert coupons.birthday("m-1", 2027) == "issued"


def test_a_trigger_the_rules_leave_out_issues_nothing():
    store = FakeCouponStore()
    coupons = service(store, coupons=())
    assert coupons.birthday("m-1", 2026) == "off"
    assert coupons.order_placed("m-1", "ord_1", NOW) == "off"
    assert coupons.run_win_back(100) == {}
    assert store.coupons == {}


def test_a_promotion_that_is_gone_issues_nothing():
    store = FakeCouponStore()
    del store.promotions["promo_birthday"]
    assert service(store).birthday("m-1", 2026) == "no-promotion"


def test_a_colliding_code_is_drawn_again():
    # GIVEN pricing holds a code the first draws would hit (the draw is random: pretend by seeding many)
    store = FakeCouponStore()
    coupons = service(store)
    real = store.issue_coupon
    attempts = []

    def collide_once(coupon: Coupon) -> None:
        attempts.append(coupon.code)
        if len(attempts) == 1:
            raise CodeTaken(coupon.code)
        real(coupon)

    store.issue_coupon = collide_once  # type: ignore[method-assign]
    assert coupons.birthday("m-1", 2026) == "issued"
    assert len(attempts) == 2
    assert attempts[0] != attempts[1]


def test_win_back_once_per_lapse():
    # GIVEN a member whose last order is 100 days old (the rule: 90 days)
    store = FakeCouponStore()
    store.note_order("m-1", "ord_1", NOW - timedelta(days=100))
    store.note_order("m-2", "ord_9", NOW - timedelta(days=10))
    # WHEN the job runs twice
    assert service(store).run_win_back(100) == {"issued": 1}
    assert service(store).run_win_back(100) == {}
    # THEN one coupon, for the lapsed member only
    assert [(c.member_id, c.trigger) for c in store.coupons.values()] == [("m-1", "win_back")]
    # AND after a new order and another lapse, another one (and m-2's first lapse by then)
    store.note_order("m-1", "ord_2", NOW)
    assert service(store, at=NOW + timedelta(days=91)).run_win_back(100) == {"issued": 2}
    assert sorted(o for m, o in store.coupons if m == "m-1") == [
        "win-back#2026-07-28T12:00:00.000Z",
        "win-back#2026-11-05T12:00:00.000Z",
    ]


def test_a_win_back_rule_needs_its_days_and_only_it():
    with pytest.raises(ValueError, match="after_days"):
        CouponRule(trigger="win_back", promotion_id="p")
    with pytest.raises(ValueError, match="after_days"):
        CouponRule(trigger="birthday", promotion_id="p", after_days=30)
    with pytest.raises(ValueError, match="one rule per trigger"):
        rules(coupons=(COUPONS[0], COUPONS[0]))


def test_codes_are_prefixed_random_base32():
    code = draw_code("birthday")
    prefix, body = code.split("-")
    assert prefix == "BDAY"
    assert len(body) == 10
    assert set(body) <= set(ALPHABET)


TRIGGERS = st.sampled_from(
    [
        ("birthday", 2026),
        ("birthday", 2027),
        ("tier", "gold"),
        ("tier", "platinum"),
        ("order", "ord_1"),
        ("order", "ord_2"),
        ("win_back", None),
    ]
)


@settings(max_examples=60, deadline=None)
@given(st.lists(TRIGGERS, max_size=25))
def test_however_often_and_in_whatever_order_triggers_arrive_each_occurrence_has_one_coupon(events):
    # GIVEN any sequence of trigger deliveries, duplicates included
    store = FakeCouponStore()
    coupons = service(store)
    for kind, value in events:
        if kind == "birthday":
            coupons.birthday("m-1", value)
        elif kind == "tier":
            coupons.tier_changed("m-1", "silver", value)
        elif kind == "order":
            coupons.order_placed("m-1", value, NOW - timedelta(days=120))
        else:
            coupons.run_win_back(10)
    # THEN one coupon per distinct occurrence delivered, every code different
    expected = {f"birthday#{v}" for k, v in events if k == "birthday"}
    expected |= {f"tier#{v}" for k, v in events if k == "tier"}
    orders = [v for k, v in events if k == "order"]
    if orders:
        expected.add("first-order")
        if any(k == "win_back" for k, v in events[events.index(("order", orders[0])) :]):
            expected.add("win-back#2026-07-08T12:00:00.000Z")
    assert {o for _, o in store.coupons} == expected
    assert len({c.code for c in store.coupons.values()}) == len(store.coupons)
