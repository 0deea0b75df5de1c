"""What an order earns (points and cashback), and what a return or a cancellation takes back.

Earning: per line, ``total`` x points per unit x the category, brand, tier and active campaigns'
multipliers, rounded down; plus the active campaigns' flat bonuses; cashback is ``cashback_bp`` of the
order. Both are pending until the order's return window closes (the longest of its categories' windows).

Reversal is proportional and cumulative: after refunds totalling R of an order worth T, the order keeps
``full - round(full x R / T)`` (a full refund keeps nothing, exactly); a reversal takes the difference
from what is still pending for the order, else from the available balance, never below zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from loyalty.domain.due import next_due
from loyalty.domain.ledger import (
    PENDING,
    POINTS,
    Entry,
    Reason,
    credit_account,
    credit_pending_account,
    nonzero,
    sum_deltas,
)
from loyalty.domain.member import EarnedLot, MemberState, PendingLot
from loyalty.domain.orders import OrderFacts, OrderLine
from loyalty.domain.plans import Plan, planned
from loyalty.domain.rules import BP, Campaign, LoyaltyRules
from loyalty.domain.tiers import add_spend, month_of, prune, tier_for, tier_named
from shop_kernel.money import MINOR_UNITS, Money


def line_points(
    line: OrderLine,
    currency: str,
    rules: LoyaltyRules,
    tier_bp: int,
    campaigns: Sequence[Campaign],
) -> int:
    rate = rules.earning.points_per_unit.get(currency, 0)
    factors = [tier_bp]
    factors.append(rules.earning.category_multipliers_bp.get(line.category or "", BP))
    factors.append(rules.earning.brand_multipliers_bp.get(line.brand or "", BP))
    factors.extend(c.multiplier_bp for c in campaigns if c.applies_to(line.category))
    numerator = line.total * rate
    denominator = 10 ** MINOR_UNITS[currency]
    for factor in factors:
        numerator *= factor
        denominator *= BP
    return numerator // denominator


def order_points(
    facts: OrderFacts, rules: LoyaltyRules, tier: str | None, campaigns: Sequence[Campaign]
) -> tuple[int, int]:
    """(points from the lines, flat campaign bonus) the order earns with nothing refunded."""
    active = [c for c in campaigns if c.active(facts.placed_at)]
    tier_rule = tier_named(tier, rules)
    tier_bp = tier_rule.multiplier_bp if tier_rule else BP
    base = sum(line_points(line, facts.currency, rules, tier_bp, active) for line in facts.lines)
    bonus = sum(c.bonus_points for c in active)
    return base, bonus


def kept(full: int, refunded: int, total: int) -> int:
    """What an order keeps of ``full`` after ``refunded`` of ``total`` went back (half up)."""
    if total <= 0 or refunded <= 0:
        return full
    refunded = min(refunded, total)
    taken, remainder = divmod(full * refunded, total)
    if remainder * 2 >= total:
        taken += 1
    return full - taken


def _retier(
    state: MemberState, spend: dict[str, dict[str, int]], rules: LoyaltyRules, at: datetime
) -> tuple[MemberState, tuple[str, str] | None]:
    spend = prune(spend, at)
    rule = tier_for(spend, rules, at)
    tier = rule.name if rule else None
    change = (state.tier or "", tier or "") if tier != state.tier else None
    above = rules.tiers[rules.tiers.index(rule) + 1 :] if rule else rules.tiers
    following = above[0] if above else None
    updated = state.model_copy(
        update={"spend": spend, "tier": tier, "tier_rule": rule, "next_tier_rule": following}
    )
    return updated, change


def plan_earning(
    state: MemberState,
    facts: OrderFacts,
    rules: LoyaltyRules,
    campaigns: Sequence[Campaign],
    at: datetime,
) -> Plan | None:
    """The order's points and cashback, pending until its return window closes; None when it has earned.

    A refund recorded before the earning (events out of order) is taken off at once; the spend counts
    toward the tier; a member's first earning brings the welcome bonus.
    """
    if facts.status != "placed":
        return None
    base, bonus = order_points(facts, rules, state.tier, campaigns)
    full = base + bonus
    credit_full = Money.of(facts.total, facts.currency).percent_of(rules.cashback_bp).amount
    points = kept(full, facts.refunded, facts.total)
    credit = kept(credit_full, facts.refunded, facts.total)
    order_part = min(base, points)
    matures_at = at + timedelta(days=rules.window_days(facts.categories))
    entries = [
        _entry(
            state,
            f"earn#{facts.order_id}",
            Reason.ORDER,
            at,
            facts.order_id,
            {PENDING: order_part, credit_pending_account(facts.currency): credit},
        ),
    ]
    if points - order_part:
        entries.append(
            _entry(
                state,
                f"campaign#{facts.order_id}",
                Reason.CAMPAIGN,
                at,
                facts.order_id,
                {PENDING: points - order_part},
            )
        )
    after = state
    lots = list(state.lots)
    # A guest (``guest_<key>``, loyalty.domain.claims) gets no welcome: the customer who claims it does.
    if state.version == 0 and rules.earning.welcome_bonus and not state.member_id.startswith("guest_"):
        entries.append(
            _entry(
                state,
                f"welcome#{state.member_id}",
                Reason.WELCOME,
                at,
                None,
                {POINTS: rules.earning.welcome_bonus},
            )
        )
        lots.append(
            EarnedLot(
                lot_id=f"welcome#{state.member_id}",
                points=rules.earning.welcome_bonus,
                expires_at=at + timedelta(days=rules.expiry.after_days),
            )
        )
    lot = PendingLot(
        order_id=facts.order_id, points=points, credit=credit, currency=facts.currency, matures_at=matures_at
    )
    spend = add_spend(state.spend, facts.currency, month_of(facts.placed_at), facts.total - facts.refunded)
    after, change = _retier(after, spend, rules, at)
    after = after.model_copy(
        update={"pending": (*state.pending, lot), "lots": tuple(lots), "last_activity_at": at}
    )
    entries = _with_tier_change(entries, change)
    earned = facts.model_copy(
        update={
            "status": "earned",
            "points_full": full,
            "credit_full": credit_full,
            "points_granted": points,
            "credit_granted": credit,
        }
    )
    after = after.model_copy(
        update={"next_due": next_due(after.with_balances(sum_deltas(entries)), rules, at)}
    )
    return planned(state, entries, after, earned, facts.version)


def plan_refund(
    state: MemberState,
    facts: OrderFacts,
    refunded: int,
    refund_id: str,
    reason: Reason,
    rules: LoyaltyRules,
    at: datetime,
) -> Plan | None:
    """Take back what ``refunded`` more of the order no longer earns (``refund_id``: once)."""
    if facts.status == "void":
        return None
    now_refunded = min(facts.total, facts.refunded + max(0, refunded))
    added = now_refunded - facts.refunded
    updated = facts.model_copy(update={"refunded": now_refunded})
    if facts.status != "earned":
        # Not earned yet: remembered, so the earning keeps only what is left.
        entry = _entry(state, refund_id, reason, at, facts.order_id, {})
        return planned(state, [entry], state, updated, facts.version)
    points = facts.points_granted - kept(facts.points_full, now_refunded, facts.total)
    credit = facts.credit_granted - kept(facts.credit_full, now_refunded, facts.total)
    deltas, after = _take(state, facts, max(0, points), max(0, credit))
    spend = add_spend(after.spend, facts.currency, month_of(facts.placed_at), -added)
    after, change = _retier(after, spend, rules, at)
    entries = _with_tier_change([_entry(state, refund_id, reason, at, facts.order_id, deltas)], change)
    taken_points = -(deltas.get(PENDING, 0) + deltas.get(POINTS, 0))
    taken_credit = -(
        deltas.get(credit_pending_account(facts.currency), 0) + deltas.get(credit_account(facts.currency), 0)
    )
    after = after.model_copy(update={"next_due": next_due(after.with_balances(deltas), rules, at)})
    updated = updated.model_copy(
        update={
            "points_granted": facts.points_granted - taken_points,
            "credit_granted": facts.credit_granted - taken_credit,
        }
    )
    return planned(state, entries, after, updated, facts.version)


def _take(
    state: MemberState, facts: OrderFacts, points: int, credit: int
) -> tuple[dict[str, int], MemberState]:
    """From the order's pending lot while it waits; from the available balances once it matured,
    never below zero (what the member already spent is not clawed back)."""
    lot = state.lot_of(facts.order_id)
    currency = facts.currency
    if lot is not None:
        points, credit = min(points, lot.points), min(credit, lot.credit)
        rest = lot.model_copy(update={"points": lot.points - points, "credit": lot.credit - credit})
        pending = tuple(rest if p.order_id == facts.order_id else p for p in state.pending)
        deltas = {PENDING: -points, credit_pending_account(currency): -credit}
        return nonzero(deltas), state.model_copy(update={"pending": pending})
    points = min(points, max(0, state.available))
    credit = min(credit, max(0, state.credit(currency)))
    return nonzero({POINTS: -points, credit_account(currency): -credit}), state


def _with_tier_change(entries: list[Entry], change: tuple[str, str] | None) -> list[Entry]:
    if change is None or not entries:
        return entries
    return [entries[0].model_copy(update={"tier_change": change}), *entries[1:]]


def _entry(
    state: MemberState,
    idempotency_id: str,
    reason: Reason,
    at: datetime,
    order_id: str | None,
    deltas: dict[str, int],
) -> Entry:
    return Entry(
        member_id=state.member_id,
        idempotency_id=idempotency_id,
        reason=reason,
        deltas=nonzero(deltas),
        recorded_at=at,
        order_id=order_id,
    )
