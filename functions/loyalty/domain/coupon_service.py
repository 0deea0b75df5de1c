"""Issuing automatic coupons on their triggers, once per trigger occurrence, and the win-back job.

Each use case asks the rules whether the trigger is on, reads what the promotion gives (pricing's, read
through its contract) and writes the coupon with its code in one transaction; a duplicate occurrence
is refused by the store's guard ("duplicate"), a code that collides with an existing one is drawn again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from loyalty.domain.claims import is_guest
from loyalty.domain.coupons import (
    FIRST_ORDER,
    Coupon,
    birthday_occurrence,
    draw_code,
    lapsed_since,
    make_coupon,
    tier_occurrence,
    tier_reached,
    win_back_occurrence,
)
from loyalty.domain.errors import LoyaltyBusy
from loyalty.domain.ports import AlreadyWritten
from loyalty.domain.rules import CouponRule, LoyaltyRules
from pricing.domain.codes import CodeTaken
from shop_kernel.clock import Clock
from shop_kernel.ids import new_id

ATTEMPTS = 4
Issued = Literal["issued", "duplicate", "off", "no-promotion", "not-first"]


class CouponStore(Protocol):
    def promotion(self, promotion_id: str) -> tuple[str, dict[str, Any]] | None:
        """The live promotion's name and benefit (None: no such promotion, or archived)."""
        ...

    def issue_coupon(self, coupon: Coupon) -> None:
        """The guard of its occurrence, the coupon and its code in one transaction. Raises
        ``AlreadyWritten`` (this occurrence has its coupon) or pricing's ``CodeTaken``."""
        ...

    def note_order(self, member_id: str, order_id: str, placed_at: datetime) -> str:
        """Remembers the member's latest order time (for win-back); answers the member's first order id."""
        ...

    def lapsed_members(self, before: datetime, limit: int) -> Sequence[tuple[str, datetime]]:
        """(member, last order time) of members whose last order is at or before ``before``."""
        ...

    def close_lapse(self, member_id: str, last_order_at: datetime) -> None:
        """The lapse has its coupon: the member leaves the job's list until they order again."""
        ...


@dataclass
class CouponService:
    store: CouponStore
    rules: Callable[[], LoyaltyRules]
    clock: Clock

    def _issue(self, member_id: str, rule: CouponRule, occurrence: str) -> Issued:
        promotion = self.store.promotion(rule.promotion_id)
        if promotion is None:
            return "no-promotion"
        now = self.clock.now()
        for _ in range(ATTEMPTS):
            code = draw_code(rule.trigger)
            coupon = make_coupon(member_id, rule, occurrence, promotion, code, new_id("cpn"), now)
            try:
                self.store.issue_coupon(coupon)
            except AlreadyWritten:
                return "duplicate"
            except CodeTaken:
                continue
            return "issued"
        raise LoyaltyBusy("no free code after several draws; retry")

    def birthday(self, member_id: str, year: int) -> Issued:
        rule = self.rules().coupon_rule("birthday")
        return self._issue(member_id, rule, birthday_occurrence(year)) if rule else "off"

    def tier_changed(self, member_id: str, from_tier: str | None, to_tier: str | None) -> Issued:
        if is_guest(member_id):
            return "off"  # a guest's ledger (loyalty.domain.claims) has no one to give a coupon to
        rule = tier_reached(self.rules(), from_tier, to_tier)
        if rule is None or to_tier is None:
            return "off"
        return self._issue(member_id, rule, tier_occurrence(to_tier))

    def order_placed(self, member_id: str, order_id: str, placed_at: datetime) -> Issued:
        """Every order moves the member's last order time; the first one may bring a coupon."""
        first = self.store.note_order(member_id, order_id, placed_at)
        if first != order_id:
            return "not-first"
        rule = self.rules().coupon_rule("first_order")
        return self._issue(member_id, rule, FIRST_ORDER) if rule else "off"

    def run_win_back(self, limit: int) -> dict[str, int]:
        """A coupon for each member whose last order is older than the rule's days, once per lapse."""
        rules = self.rules()
        rule = rules.coupon_rule("win_back")
        before = lapsed_since(rules, self.clock.now())
        counts: dict[str, int] = {}
        if rule is None or before is None:
            return counts
        for member_id, last_order_at in self.store.lapsed_members(before, limit):
            outcome = self._issue(member_id, rule, win_back_occurrence(last_order_at))
            if outcome in ("issued", "duplicate"):
                self.store.close_lapse(member_id, last_order_at)
            counts[outcome] = counts.get(outcome, 0) + 1
        return counts
