"""The guest points claim: a signed-up customer with a verified e-mail takes the points of earlier guest
orders placed with it, once (``loyalty.domain.claims``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from loyalty.domain.claims import guest_member_id, plan_claim
from loyalty.domain.errors import EmailNotVerified, LoyaltyBusy
from loyalty.domain.ledger import Entry
from loyalty.domain.member import MemberState
from loyalty.domain.plans import Plan
from loyalty.domain.ports import SummaryChanged
from loyalty.domain.rules import LoyaltyRules
from shop_kernel.clock import Clock

ATTEMPTS = 4


class ClaimStore(Protocol):
    def commit_claim(self, guest_key: str, guest: Plan, member: Plan) -> None: ...


@dataclass
class GuestClaims:
    members: Callable[[str], MemberState]
    claims: ClaimStore
    rules: Callable[[], LoyaltyRules]
    guest_key: Callable[[str], str]
    clock: Clock

    def claim(self, member_id: str, email: str | None, verified: bool) -> Entry:
        """The claim entry on the customer's ledger. Raises ``EmailNotVerified``, ``AlreadyClaimed``,
        ``NothingToClaim`` (all 4xx); concurrent claims: one transaction wins, the others find it made."""
        if not email or not verified:
            raise EmailNotVerified("verify your e-mail address first: guest points are claimed with it")
        key = self.guest_key(email)
        rules = self.rules()
        for _ in range(ATTEMPTS):
            guest, member = self.members(guest_member_id(key)), self.members(member_id)
            guest_plan, member_plan = plan_claim(guest, member, key, rules, self.clock.now())
            try:
                self.claims.commit_claim(key, guest_plan, member_plan)
            except SummaryChanged:
                continue
            return member_plan.entries[0]
        raise LoyaltyBusy("the points changed several times meanwhile; retry")
