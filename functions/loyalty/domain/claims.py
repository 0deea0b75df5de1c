"""Guests' points, and their claim by the customer who signs up with the guest's e-mail.

A guest order's ``OrderPlaced`` carries a keyed hash of the buyer's e-mail (``shop_kernel.guest_keys``);
its points and cashback are earned, matured and reversed on a guest member ``guest_<key>`` like a
customer's. A signed-up customer whose verified e-mail hashes to that key claims them once: one claim
entry takes the guest's balances (available, pending, store credit) off the guest's ledger and one puts
them on the customer's, the pending lots and earned lots move along (they mature and expire on the
customer's ledger), and the guest's summary names the customer, so later events of the guest's orders
(a delivery, a return) earn and give back on the customer's ledger.
"""

from __future__ import annotations

from datetime import datetime

from loyalty.domain.due import next_due
from loyalty.domain.earning import _retier
from loyalty.domain.errors import AlreadyClaimed, NothingToClaim
from loyalty.domain.ledger import Entry, Reason, nonzero
from loyalty.domain.member import MemberState
from loyalty.domain.plans import Plan, planned
from loyalty.domain.rules import LoyaltyRules
from loyalty.domain.tiers import add_spend

GUEST_PREFIX = "guest_"


def guest_member_id(guest_key: str) -> str:
    return f"{GUEST_PREFIX}{guest_key}"


def is_guest(member_id: str) -> bool:
    return member_id.startswith(GUEST_PREFIX)


def claim_id(guest_key: str) -> str:
    return f"claim#{guest_key}"


def _merged_spend(member: MemberState, guest: MemberState) -> dict[str, dict[str, int]]:
    spend = member.spend
    for currency, months in guest.spend.items():
        for month, amount in months.items():
            spend = add_spend(spend, currency, month, amount)
    return spend


def plan_claim(
    guest: MemberState, member: MemberState, guest_key: str, rules: LoyaltyRules, at: datetime
) -> tuple[Plan, Plan]:
    """(the guest's plan, the customer's plan), written together in one transaction."""
    if guest.claimed_by is not None:
        raise AlreadyClaimed("the points of guest orders with this e-mail were claimed already")
    moved = nonzero(guest.balances)
    if guest.version == 0 or not (moved or guest.pending):
        raise NothingToClaim("there are no points of guest orders with this e-mail to claim")
    taken = Entry(
        member_id=guest.member_id,
        idempotency_id=claim_id(guest_key),
        reason=Reason.CLAIM,
        deltas={account: -delta for account, delta in moved.items()},
        recorded_at=at,
        note="claimed by the customer who signed up with this e-mail",
    )
    emptied = guest.model_copy(
        update={"pending": (), "lots": (), "expiring": None, "next_due": None, "claimed_by": member.member_id}
    )
    given = Entry(
        member_id=member.member_id,
        idempotency_id=claim_id(guest_key),
        reason=Reason.CLAIM,
        deltas=moved,
        recorded_at=at,
        note="points of earlier guest orders",
    )
    after, change = _retier(member, _merged_spend(member, guest), rules, at)
    after = after.model_copy(
        update={
            "pending": (*member.pending, *guest.pending),
            "lots": (*member.lots, *guest.lots),
            "last_activity_at": at,
        }
    )
    if change is not None:
        given = given.model_copy(update={"tier_change": change})
    after = after.model_copy(update={"next_due": next_due(after.with_balances(moved), rules, at)})
    return planned(guest, [taken], emptied), planned(member, [given], after)
