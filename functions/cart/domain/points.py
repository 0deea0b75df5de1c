"""What a member's loyalty points can pay of a priced cart: shown on the cart, used by checkout's ``"max"``.

Loyalty owns the balance and the redemption rules, and its quote (``loyalty.domain.redemption``): at most
``max_share_bp`` of the lines outside the excluded categories, at ``point_value`` minor units a point.
Paying adds two limits of its own: points pay after gift certificates and never more than is left (shipping
is not a line), and the card must be asked for nothing or at least Stripe's minimum charge
(``shop_kernel.card_minimums``). So the most points are lowered, when they would leave the card a
remainder below the minimum, to the most that leave it at least the minimum. The cart shows exactly the
number checkout's ``"max"`` takes, because both call ``most_points``.

This module imports loyalty's rules and quote (about 20 modules): the cart's handlers import it only when
a signed-in member's cart is priced, so a guest's cart and the function's start do not pay for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from loyalty.domain.orders import OrderLine as LoyaltyLine
from loyalty.domain.redemption import redeemable
from loyalty.domain.rules import RedemptionRules

from cart.domain.models import SkuFacts
from pricing.domain import PricedCart, PricedLine
from shop_kernel.card_minimums import chargeable, minimum_card_charge
from shop_kernel.money import Money


@dataclass(frozen=True)
class MemberPoints:
    """A member's available points and the redemption rules, read through ``loyalty.contract`` in the reads
    the caller makes anyway (cart's ``BatchGetItem`` of a customer's cart, checkout's of its inputs)."""

    member_id: str
    available: int
    rules: RedemptionRules


@dataclass(frozen=True)
class PointsOffer:
    """What points can do for one priced cart."""

    available: int
    most: int  # the most points this cart may be paid with, card minimum respected
    value: Money  # what ``most`` points pay
    point_value: Money | None  # what one point pays in the cart's currency; None: points pay nothing here
    within_rules: int  # the most the rules and what is due allow, before the card minimum


def _excluded(fact: SkuFacts | None, rules: RedemptionRules) -> str | None:
    """The excluded category a line's product is in (its own or an ancestor), if any."""
    categories = fact.category_ids if fact is not None else frozenset()
    return next((c for c in sorted(categories) if c in rules.excluded_categories), None)


def loyalty_lines(
    lines: Sequence[PricedLine], facts: Mapping[str, SkuFacts], rules: RedemptionRules
) -> list[LoyaltyLine]:
    """The priced lines as loyalty's quote sees them (the excluded category, if any, as the category)."""
    return [
        LoyaltyLine(
            sku=line.sku,
            quantity=line.quantity,
            total=line.total.amount,
            category=_excluded(facts.get(line.sku), rules),
        )
        for line in lines
    ]


def card_left(due: Money, points: int, point_value: int) -> Money:
    return Money.of(due.amount - points * point_value, due.currency)


def most_points(
    priced: PricedCart, facts: Mapping[str, SkuFacts], rules: RedemptionRules, available: int
) -> PointsOffer:
    """The most points ``priced`` may be paid with from ``available``, and what they pay."""
    currency = priced.currency
    rate = rules.point_value.get(currency)
    if rate is None:
        return PointsOffer(available, 0, Money.zero(currency), None, 0)
    quote = redeemable(loyalty_lines(priced.lines, facts, rules), currency, rules, available)
    due = priced.totals.amount_due
    within = max(0, min(quote.points, due.amount // rate))
    most = within
    if not chargeable(card_left(due, most, rate)):
        # the card would be asked for less than it may be: leave it the minimum (nothing, if it cannot be)
        most = max(0, (due.amount - minimum_card_charge(currency).amount) // rate)
    return PointsOffer(available, most, Money.of(most * rate, currency), Money.of(rate, currency), within)


def points_preview(priced: PricedCart, facts: Mapping[str, SkuFacts], member: MemberPoints) -> dict[str, Any]:
    """What the cart shows a member: their points, the most this cart may use (checkout's ``"max"``), and
    what those pay."""
    offer = most_points(priced, facts, member.rules, member.available)
    return {
        "available": offer.available,
        "max_usable": offer.most,
        "max_value": offer.value.model_dump(),
        "point_value": offer.point_value.model_dump() if offer.point_value else None,
    }


__all__ = ["MemberPoints", "PointsOffer", "card_left", "loyalty_lines", "most_points", "points_preview"]
