"""RFM segments: recency, frequency and monetary scores (1-5) from a customer's orders, and the segment
names promotions may use as conditions.

Scores come from the orders that still count (placed, not cancelled). Monetary value is scored per
currency against that currency's thresholds (minor units) and the best score wins, so a customer who buys
in EUR and UAH is not split in two; a currency without thresholds does not score. The segment names are a
closed list (``SEGMENT_NAMES``): pricing's conditions and the ``CustomerSegmentChanged`` schema name them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from customers.domain.models import OrderFact

# Upper bounds of scores 1..4 (a value above the last bound scores 5).
RECENCY_DAYS: tuple[int, int, int, int] = (365, 180, 90, 30)  # fewer days since the last order is better
FREQUENCY_ORDERS: tuple[int, int, int, int] = (1, 2, 4, 9)
MONETARY_MINOR_UNITS: Mapping[str, tuple[int, int, int, int]] = {
    "EUR": (5_000, 20_000, 50_000, 100_000),
    "USD": (5_000, 20_000, 50_000, 100_000),
    "UAH": (200_000, 800_000, 2_000_000, 4_000_000),
}
SEGMENT_NAMES: tuple[str, ...] = (
    "champions",
    "loyal",
    "new_customer",
    "big_spender",
    "at_risk",
    "hibernating",
)


def _score_up(value: int, bounds: Sequence[int]) -> int:
    """1 when ``value`` <= bounds[0], ..., 5 above the last bound."""
    return 1 + sum(1 for bound in bounds if value > bound)


def recency_score(days_since_last: int) -> int:
    return 6 - _score_up(days_since_last, tuple(reversed(RECENCY_DAYS)))


def scores(
    orders: Sequence[OrderFact],
    now: datetime,
    thresholds: Mapping[str, tuple[int, int, int, int]] = MONETARY_MINOR_UNITS,
) -> tuple[int, int, int]:
    """(recency, frequency, monetary); all 0 when no order counts."""
    counting = [o for o in orders if not o.cancelled]
    if not counting:
        return 0, 0, 0
    last = max(datetime.fromisoformat(o.placed_at) for o in counting)
    recency = recency_score(max((now - last).days, 0))
    frequency = _score_up(len(counting), FREQUENCY_ORDERS)
    spent: dict[str, int] = {}
    for order in counting:
        spent[order.total.currency] = spent.get(order.total.currency, 0) + order.total.amount
    monetary = max(
        (
            _score_up(amount, thresholds[currency])
            for currency, amount in spent.items()
            if currency in thresholds
        ),
        default=0,
    )
    return recency, frequency, monetary


def segment_names(recency: int, frequency: int, monetary: int, order_count: int) -> list[str]:
    """The segments of a score, in ``SEGMENT_NAMES`` order (a customer may be in several)."""
    if order_count == 0:
        return []
    member = {
        "champions": recency >= 4 and frequency >= 4 and monetary >= 4,
        "loyal": frequency >= 4 and recency >= 3,
        "new_customer": order_count == 1 and recency >= 4,
        "big_spender": monetary >= 4,
        "at_risk": recency <= 2 and frequency >= 3,
        "hibernating": recency <= 2 and frequency <= 2,
    }
    return [name for name in SEGMENT_NAMES if member[name]]
