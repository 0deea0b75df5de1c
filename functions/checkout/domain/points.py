"""Loyalty points as a tender at checkout: how many the order takes, and what they pay of which lines.

Loyalty owns the member's balance and the redemption rules (``loyalty.contract``: checkout reads both in
its one ``BatchGetItem`` and debits the points in its one transaction). The quote is loyalty's
(``loyalty.contract.quote`` is ``loyalty.domain.redemption.redeemable``): at most ``max_share_bp`` of the
lines outside the excluded categories, at ``point_value`` minor units a point of the order's currency.
Checkout adds only what is its own: the points pay after gift certificates, never more than is left to
pay (shipping is never paid with points: it is not a line), and their value is shared over the lines they
paid, so a later refund of a line knows its part.

A number of points the balance or the rules do not allow is refused (422 on ``body.points``) rather than
silently lowered: the shopper was shown what they asked for. ``"max"`` takes as many as allowed, and none
when none are (an order without points).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from loyalty.domain.orders import OrderLine as LoyaltyLine
from loyalty.domain.redemption import redeemable
from loyalty.domain.rules import RedemptionRules

from cart.domain.models import SkuFacts
from checkout.domain.models import PointsOnLine, PointsTender
from pricing.domain import PricedCart, PricedLine
from shop_kernel.errors import FieldError, ValidationFailed
from shop_kernel.money import Money

FIELD = "body.points"


@dataclass(frozen=True)
class MemberPoints:
    """What checkout read of the loyalty member with the rest of its inputs (one ``BatchGetItem``)."""

    member_id: str
    available: int
    rules: RedemptionRules


def _excluded(fact: SkuFacts | None, rules: RedemptionRules) -> str | None:
    """The excluded category a line's product is in (its own or an ancestor), if any."""
    categories = fact.category_ids if fact is not None else frozenset()
    return next((c for c in sorted(categories) if c in rules.excluded_categories), None)


def _loyalty_lines(
    lines: Sequence[PricedLine], facts: Mapping[str, SkuFacts], rules: RedemptionRules
) -> list[LoyaltyLine]:
    return [
        LoyaltyLine(
            sku=line.sku,
            quantity=line.quantity,
            total=line.total.amount,
            category=_excluded(facts.get(line.sku), rules),
        )
        for line in lines
    ]


def _share(value: Money, lines: Sequence[LoyaltyLine]) -> tuple[PointsOnLine, ...]:
    """``value`` over ``lines`` in proportion to their totals, the rounding remainder to the largest."""
    total = sum(line.total for line in lines)
    if total <= 0:
        return ()
    parts = [value.amount * line.total // total for line in lines]
    largest = max(range(len(lines)), key=lambda i: lines[i].total)
    parts[largest] += value.amount - sum(parts)
    return tuple(
        PointsOnLine(sku=line.sku, amount=Money.of(part, value.currency))
        for line, part in zip(lines, parts, strict=True)
        if part > 0
    )


def _refused(message: str, code: str, **extra: int) -> ValidationFailed:
    return ValidationFailed(message, errors=[FieldError(field=FIELD, message=message, code=code)], **extra)


def points_tender(
    wanted: int | Literal["max"] | None,
    member: MemberPoints | None,
    priced: PricedCart,
    facts: Mapping[str, SkuFacts],
) -> PointsTender | None:
    """The points this order is paid with (None: none), or a 422 on ``body.points``."""
    if wanted is None:
        return None
    if member is None:  # pragma: no cover - the service reads the member whenever points are asked for
        raise ValidationFailed.on(FIELD, "only signed-in customers can pay with points", "not_a_member")
    currency = priced.currency
    lines = _loyalty_lines(priced.lines, facts, member.rules)
    quote = redeemable(lines, currency, member.rules, member.available)
    point_value = member.rules.point_value.get(currency)
    due = priced.totals.amount_due.amount
    allowed = min(quote.points, due // point_value) if point_value else 0
    if wanted == "max":
        points = allowed
    elif wanted > member.available:
        message = f"you have {member.available} points: ask for at most that many"
        raise _refused(message, "not_enough_points", available=member.available)
    elif wanted > allowed:
        message = f"this order may be paid with at most {allowed} points"
        raise _refused(message, "over_redemption_limit", allowed=allowed)
    else:
        points = wanted
    if points <= 0 or point_value is None:
        return None
    value = Money.of(points * point_value, currency)
    eligible = [line for line in lines if line.category is None]
    return PointsTender(
        member_id=member.member_id, points=points, amount=value, lines=_share(value, eligible)
    )


__all__ = ["FIELD", "MemberPoints", "points_tender"]
