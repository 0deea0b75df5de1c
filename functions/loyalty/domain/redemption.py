"""How many points an order may be paid with, and what they are worth.

The eligible amount is the order without the lines of excluded categories; points may pay at most
``max_share_bp`` of it, each point worth ``point_value`` minor units of the order's currency. Checkout
asks for a quote, then debits the points through ``loyalty.contract.debit_points`` in its transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from loyalty.domain.orders import OrderLine
from loyalty.domain.rules import BP, RedemptionRules
from shop_kernel.money import Money


@dataclass(frozen=True)
class Redemption:
    points: int
    value: Money


def redeemable(
    lines: Sequence[OrderLine],
    currency: str,
    rules: RedemptionRules,
    available: int,
    wanted: int | None = None,
) -> Redemption:
    """The most points (up to ``wanted``) the order may take from ``available``, and their value."""
    value = rules.point_value.get(currency)
    if value is None or available <= 0:
        return Redemption(0, Money.zero(currency))
    eligible = sum(line.total for line in lines if line.category not in rules.excluded_categories)
    cap = eligible * rules.max_share_bp // BP
    points = min(available, cap // value)
    if wanted is not None:
        points = min(points, max(0, wanted))
    return Redemption(points, Money.of(points * value, currency))
