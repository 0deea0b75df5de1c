"""Which promotions apply together, and in what order.

The algorithm (deterministic; no "best deal" search, merchandisers decide with priorities):

1. Candidates are the promotions of the valid codes entered plus the automatic promotions running now.
   A promotion reached both ways (or by two codes) is one candidate: the first code entered keeps it, so
   its use is counted; a second code for it is rejected with ``same_promotion``.
2. Candidates are sorted by ``priority`` ascending (lower runs first), then by promotion id.
3. Walking that order, a candidate is skipped when:
   * an exclusive promotion has already applied (``blocked_by_exclusive``): an exclusive promotion
     blocks every lower-priority one;
   * it is exclusive and another promotion has already applied (``not_combinable``): exclusive means
     alone, and higher priority won;
   * another promotion of its ``stacking_group`` has already applied (``stacking_group_taken``): at most
     one per group, e.g. one order-level percentage in group ``order_percent``;
   * it is outside its window, not priced in the cart currency, not for the customer's group, its
     thresholds are not met, or it takes nothing off (``not_applicable``).
4. Otherwise it applies to what is left of each line (and of shipping) after the promotions before it:
   percentages compound, fixed amounts are capped, thresholds see the already discounted subtotal.

Only candidates that took something off count as applied (and only their codes are redeemed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pricing.domain.discounts import LineState, ShippingState, line_discounts, shipping_discount
from pricing.domain.models import AppliedPromotion, Customer, LineDiscount, RejectionReason
from pricing.domain.promotions import Promotion, Stacking, WindowStatus, amount_in
from shop_kernel.money import Money


@dataclass(frozen=True)
class Candidate:
    promotion: Promotion
    code: str | None = None


@dataclass
class StackingOutcome:
    applied: list[tuple[Candidate, AppliedPromotion]] = field(default_factory=list)
    skipped: list[tuple[Candidate, RejectionReason]] = field(default_factory=list)


@dataclass
class _Walk:
    exclusive_applied: bool = False
    groups: set[str] = field(default_factory=set)
    any_applied: bool = False


@dataclass(frozen=True)
class Basket:
    lines: Sequence[LineState]
    shipping: ShippingState | None
    customer: Customer
    currency: str
    now: datetime


def apply_promotions(candidates: Sequence[Candidate], basket: Basket) -> StackingOutcome:
    outcome, walk = StackingOutcome(), _Walk()
    for candidate in sorted(candidates, key=lambda c: c.promotion.sort_key()):
        promotion = candidate.promotion
        reason = _blocked(promotion, walk)
        applied = None if reason else _apply(candidate, basket)
        if applied is None:
            outcome.skipped.append((candidate, reason or RejectionReason.NOT_APPLICABLE))
            continue
        outcome.applied.append((candidate, applied))
        walk.any_applied = True
        walk.exclusive_applied = walk.exclusive_applied or promotion.stacking is Stacking.EXCLUSIVE
        if promotion.stacking_group:
            walk.groups.add(promotion.stacking_group)
    return outcome


def _blocked(promotion: Promotion, walk: _Walk) -> RejectionReason | None:
    if walk.exclusive_applied:
        return RejectionReason.BLOCKED_BY_EXCLUSIVE
    if promotion.stacking is Stacking.EXCLUSIVE and walk.any_applied:
        return RejectionReason.NOT_COMBINABLE
    if promotion.stacking_group and promotion.stacking_group in walk.groups:
        return RejectionReason.STACKING_GROUP_TAKEN
    return None


def eligible(promotion: Promotion, basket: Basket) -> bool:
    groups = promotion.conditions.customer_groups
    return (
        promotion.window_status(basket.now) is WindowStatus.ACTIVE
        and promotion.priced_in(basket.currency)
        and (not groups or basket.customer.group in groups)
        and thresholds_met(promotion, basket.lines, basket.currency)
    )


def thresholds_met(promotion: Promotion, lines: Sequence[LineState], currency: str) -> bool:
    selector = promotion.benefit.applies_to
    targeted = [s for s in lines if selector.matches(s.line.item)]
    if not targeted:
        return False
    conditions = promotion.conditions
    if sum(s.line.quantity for s in targeted) < conditions.min_quantity:
        return False
    minimum = amount_in(conditions.min_subtotal, currency)
    return minimum is None or sum(s.remaining.amount for s in targeted) >= minimum.amount


def _apply(candidate: Candidate, basket: Basket) -> AppliedPromotion | None:
    promotion = candidate.promotion
    if not eligible(promotion, basket):
        return None
    per_line = line_discounts(promotion.benefit, basket.lines, basket.currency)
    on_shipping = shipping_discount(promotion.benefit, basket.shipping)
    total = sum(m.amount for m in per_line) + (on_shipping.amount if on_shipping else 0)
    if total <= 0:
        return None
    for state, amount in zip(basket.lines, per_line, strict=True):
        if amount.amount > 0:
            state.discounts.append(
                LineDiscount(promotion_id=promotion.id, code=candidate.code, amount=amount)
            )
    if basket.shipping is not None and on_shipping is not None and on_shipping.amount > 0:
        discount = LineDiscount(promotion_id=promotion.id, code=candidate.code, amount=on_shipping)
        basket.shipping.discounts.append(discount)
    return AppliedPromotion(
        promotion_id=promotion.id,
        name=promotion.name,
        code=candidate.code,
        amount=Money.of(total, basket.currency),
    )
