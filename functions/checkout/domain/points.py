"""Loyalty points as a tender at checkout: how many the order takes, and what they pay of which lines.

Loyalty owns the member's balance and the redemption rules (``loyalty.contract``: checkout reads both in
its one ``BatchGetItem`` and debits the points in its one transaction). The quote is loyalty's
(``loyalty.contract.quote`` is ``loyalty.domain.redemption.redeemable``): at most ``max_share_bp`` of the
lines outside the excluded categories, at ``point_value`` minor units a point of the order's currency.
Checkout adds only what is its own: the points pay after gift certificates, never more than is left to
pay (shipping is never paid with points: it is not a line), and their value is shared over the lines they
paid, so a later refund of a line knows its part.

A number of points the balance or the rules do not allow is refused (422 on ``body.points``) rather than
silently lowered: the shopper was shown what they asked for. So is a number that would leave the card
more than nothing but less than Stripe's minimum charge (``card_charge_below_minimum``, with ``allowed``
and ``minimum``): Stripe would refuse the PaymentIntent. ``"max"`` takes as many as allowed
(``cart.domain.points.most_points``, the figure the cart shows), lowered to leave the card at least the
minimum when it would leave less, and none when none are (an order without points).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from loyalty.domain.orders import OrderLine as LoyaltyLine

from cart.domain.models import SkuFacts
from cart.domain.points import MemberPoints, card_left, loyalty_lines, most_points
from orders.domain.models import PointsOnLine, PointsTender
from pricing.domain import PricedCart
from shop_kernel.card_minimums import chargeable, minimum_card_charge
from shop_kernel.errors import FieldError, ValidationFailed
from shop_kernel.money import Money

FIELD = "body.points"


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


def _refused(message: str, code: str, **extra: object) -> ValidationFailed:
    return ValidationFailed(message, errors=[FieldError(field=FIELD, message=message, code=code)], **extra)


def _below_minimum(left: Money, most: int) -> ValidationFailed:
    minimum = minimum_card_charge(left.currency)
    message = (
        f"these points leave {left.format()} for the card, less than the {minimum.format()} a card can be "
        f"charged: use at most "
        f"{most} points, or enough to pay everything"
    )
    return _refused(message, "card_charge_below_minimum", allowed=most, minimum=minimum.model_dump())


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
    offer = most_points(priced, facts, member.rules, member.available)
    due = priced.totals.amount_due
    if wanted == "max":
        points = offer.most
    elif wanted > member.available:
        message = f"you have {member.available} points: ask for at most that many"
        raise _refused(message, "not_enough_points", available=member.available)
    elif wanted > offer.within_rules:
        message = f"this order may be paid with at most {offer.most} points"
        raise _refused(message, "over_redemption_limit", allowed=offer.most)
    elif offer.point_value is not None and not chargeable(card_left(due, wanted, offer.point_value.amount)):
        raise _below_minimum(card_left(due, wanted, offer.point_value.amount), offer.most)
    else:
        points = wanted
    point_value = offer.point_value
    if points <= 0 or point_value is None:
        return None
    value = Money.of(points * point_value.amount, priced.currency)
    eligible = [line for line in loyalty_lines(priced.lines, facts, member.rules) if line.category is None]
    return PointsTender(
        member_id=member.member_id, points=points, amount=value, lines=_share(value, eligible)
    )


def check_card_charge(priced: PricedCart, points: PointsTender | None) -> None:
    """Refuse (422) an order whose card payment would be more than nothing but below Stripe's minimum: what
    gift certificates (or the order itself) leave once points paid their part."""
    left = priced.totals.amount_due - points.amount if points else priced.totals.amount_due
    if chargeable(left):
        return
    minimum = minimum_card_charge(left.currency)
    by_certificates = priced.totals.gift_certificates.amount > 0
    field = "cart.gift_certificates" if by_certificates else "cart.lines"
    what = "the gift certificates leave" if by_certificates else "this order comes to"
    message = (
        f"{what} {left.format()} to pay by card, less than the {minimum.format()} a card can be charged: add "
        "to the cart" + (", or take a gift certificate off" if by_certificates else "")
    )
    raise ValidationFailed(
        message,
        errors=[FieldError(field=field, message=message, code="card_charge_below_minimum")],
        minimum=minimum.model_dump(),
    )


__all__ = ["FIELD", "MemberPoints", "check_card_charge", "points_tender"]
