"""Automatic personal coupons: which trigger occurrence earns a member which coupon, once.

Loyalty decides when (its rules, ``LoyaltyRules.coupons``); the code itself is pricing's: a single-use
promo code of the rule's promotion, owned by the member and valid for the coupon's window, written by
pricing's contract in the same transaction as loyalty's record of the coupon.

A trigger occurrence has an id, and a member gets at most one coupon per occurrence id (the store's
guard): ``birthday#<year>``, ``tier#<tier>`` (each tier once), ``first-order``, and
``win-back#<last order time>`` (once per lapse: a new order starts a new one). A duplicate event or a
re-run job names the same occurrence and issues nothing.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from loyalty.domain.rules import TIER_ORDER, CouponRule, CouponTrigger, LoyaltyRules
from shop_kernel.clock import isoformat

# Crockford's base32: no I, L, O, U (nothing to misread when typed from an e-mail).
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIXES: dict[str, str] = {
    "birthday": "BDAY",
    "tier_reached": "TIER",
    "first_order": "FIRST",
    "win_back": "BACK",
}


class Coupon(BaseModel):
    """A coupon as loyalty records it: whose, why, which code, what it gives and when it is valid."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    coupon_id: str
    member_id: str
    trigger: CouponTrigger
    occurrence: str = Field(description="The trigger occurrence it was issued for (once per member)")
    code: str
    promotion_id: str
    promotion_name: str
    benefit: dict[str, Any] = Field(description="What the promotion gave when the coupon was issued")
    valid_from: datetime
    valid_until: datetime
    issued_at: datetime

    @property
    def idempotency_id(self) -> str:
        return f"coupon#{self.occurrence}"


def draw_code(trigger: str) -> str:
    """``<PREFIX>-`` and 10 random base32 characters (50 bits: not guessable within the entry limits)."""
    return f"{PREFIXES[trigger]}-" + "".join(secrets.choice(ALPHABET) for _ in range(10))


def birthday_occurrence(year: int) -> str:
    return f"birthday#{year:04d}"


def tier_occurrence(tier: str) -> str:
    return f"tier#{tier}"


FIRST_ORDER = "first-order"


def win_back_occurrence(last_order_at: datetime) -> str:
    return f"win-back#{isoformat(last_order_at)}"


def tier_reached(rules: LoyaltyRules, from_tier: str | None, to_tier: str | None) -> CouponRule | None:
    """The rule a tier move triggers: a move up to a tier the rule names (or any, when it names none)."""
    rule = rules.coupon_rule("tier_reached")
    if rule is None or to_tier not in TIER_ORDER:
        return None
    before = TIER_ORDER.index(from_tier) if from_tier in TIER_ORDER else -1
    if TIER_ORDER.index(to_tier) <= before:
        return None
    return rule if not rule.tiers or to_tier in rule.tiers else None


def lapsed_since(rules: LoyaltyRules, now: datetime) -> datetime | None:
    """Members whose last order is at or before this moment are due a win-back coupon (None: rule off)."""
    rule = rules.coupon_rule("win_back")
    if rule is None or rule.after_days is None:
        return None
    return now - timedelta(days=rule.after_days)


def make_coupon(
    member_id: str,
    rule: CouponRule,
    occurrence: str,
    promotion: tuple[str, dict[str, Any]],
    code: str,
    coupon_id: str,
    now: datetime,
) -> Coupon:
    """The coupon ``rule`` issues now; ``promotion``: its name and benefit as pricing has them."""
    name, benefit = promotion
    return Coupon(
        coupon_id=coupon_id,
        member_id=member_id,
        trigger=rule.trigger,
        occurrence=occurrence,
        code=code,
        promotion_id=rule.promotion_id,
        promotion_name=name,
        benefit=benefit,
        valid_from=now,
        valid_until=now + timedelta(days=rule.valid_days),
        issued_at=now,
    )
