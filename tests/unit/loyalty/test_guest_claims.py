"""The guest points claim, planned in the pure domain: everything moves once, nothing is left or made up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from loyalty.domain.claims import guest_member_id, plan_claim
from loyalty.domain.earning import plan_earning
from loyalty.domain.errors import AlreadyClaimed, NothingToClaim
from loyalty.domain.ledger import Reason, sum_deltas
from loyalty.domain.member import MemberState

from shop_kernel.guest_keys import GuestKeys
from tests.unit.loyalty.conftest import DELIVERED, order, rules

KEY = "a" * 64
GUEST = guest_member_id(KEY)
NOW = DELIVERED + timedelta(days=3)


def _guest_with_an_order() -> MemberState:
    plan = plan_earning(
        MemberState(member_id=GUEST), order("ord_g", 10_000, member=GUEST), rules(), [], DELIVERED
    )
    assert plan is not None
    return plan.after.model_copy(update={"version": 1})


def test_a_guests_order_earns_pending_points_and_no_welcome_bonus():
    rules_with_welcome = rules(earning={"points_per_unit": {"EUR": 1}, "welcome_bonus": 100})
    plan = plan_earning(
        MemberState(member_id=GUEST), order("ord_g", 10_000, member=GUEST), rules_with_welcome, [], DELIVERED
    )
    assert plan is not None
    assert [e.reason for e in plan.entries] == [Reason.ORDER]


def test_a_claim_moves_every_balance_and_lot_to_the_customer():
    # GIVEN a guest whose order earned 100 pending points and 2 EUR pending cashback, and a customer with 40
    guest = _guest_with_an_order()
    member = MemberState(member_id="cus_1", version=3, balances={"points": 40})
    # WHEN the customer claims
    guest_plan, member_plan = plan_claim(guest, member, KEY, rules(), NOW)
    # THEN the guest's ledger gives exactly what the customer's gets, and the guest's balances are zero
    [taken], [given] = guest_plan.entries, member_plan.entries
    assert given.deltas == {"points_pending": 100, "credit_pending_EUR": 200}
    assert {k: -v for k, v in taken.deltas.items()} == given.deltas
    assert (given.reason, given.idempotency_id) == (Reason.CLAIM, f"claim#{KEY}")
    assert all(v == 0 for v in guest_plan.after.balances.values())
    assert guest_plan.after.claimed_by == "cus_1"
    assert guest_plan.after.pending == ()
    # AND the pending lot matures on the customer's ledger, whose balances are the old plus the moved
    assert [lot.order_id for lot in member_plan.after.pending] == ["ord_g"]
    assert member_plan.after.balances == {"points": 40, "points_pending": 100, "credit_pending_EUR": 200}
    assert member_plan.after.next_due is not None
    assert sum_deltas([taken, given]) == {"points_pending": 0, "credit_pending_EUR": 0}


def test_a_claimed_guest_cannot_be_claimed_again_and_an_empty_one_not_at_all():
    guest = _guest_with_an_order()
    claimed, _ = plan_claim(guest, MemberState(member_id="cus_1"), KEY, rules(), NOW)
    with pytest.raises(AlreadyClaimed):
        plan_claim(claimed.after, MemberState(member_id="cus_2"), KEY, rules(), NOW)
    with pytest.raises(NothingToClaim):
        plan_claim(MemberState(member_id=GUEST), MemberState(member_id="cus_1"), KEY, rules(), NOW)


def test_the_guest_key_is_keyed_and_ignores_case_and_spaces():
    keys = GuestKeys(lambda: b"secret")
    assert keys.of(" Olena@Example.com ") == keys.of("olena@example.com")
    assert keys.of("olena@example.com") != GuestKeys(lambda: b"other").of("olena@example.com")
    assert "olena" not in keys.of("olena@example.com")
    assert len(keys.of("x@y.z")) == 64


def test_the_spend_of_guest_orders_counts_toward_the_customers_tier():
    # GIVEN a guest whose orders spent 600 EUR (gold from 500 EUR) and a new customer
    big = plan_earning(
        MemberState(member_id=GUEST), order("ord_g", 60_000, member=GUEST), rules(), [], DELIVERED
    )
    assert big is not None
    guest = big.after.model_copy(update={"version": 1})
    _, member_plan = plan_claim(guest, MemberState(member_id="cus_1"), KEY, rules(), NOW)
    assert member_plan.after.tier == "gold"
    assert member_plan.entries[0].tier_change == ("", "gold")
