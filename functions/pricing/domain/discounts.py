"""How much each benefit takes off each line, given what is left of every line so far.

Every function returns one amount per line (zero for lines it does not touch) and never more than a
line's remaining amount, so discounts can neither exceed what they apply to nor make a line negative.
Order-level amounts are split over the matching lines in proportion to what remains of them, with
``Money.allocate`` (largest remainder), so the parts add up to the order-level figure exactly.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from pricing.domain.models import LineDiscount
from pricing.domain.price_lists import ResolvedLine
from pricing.domain.promotions import (
    AmountOff,
    Benefit,
    BuyXGetY,
    FreeShipping,
    LineSelector,
    PercentOff,
    Scope,
    amount_in,
)
from shop_kernel.money import Money

Unit = tuple[int, int, int]  # (unit price, line position, unit number): a total order on units


@dataclass
class LineState:
    line: ResolvedLine
    discounts: list[LineDiscount] = field(default_factory=list)

    @property
    def subtotal(self) -> Money:
        return self.line.unit_price * self.line.quantity

    @property
    def remaining(self) -> Money:
        return self.subtotal - Money.of(sum(d.amount.amount for d in self.discounts), self.subtotal.currency)


@dataclass
class ShippingState:
    method: str
    price: Money
    discounts: list[LineDiscount] = field(default_factory=list)

    @property
    def remaining(self) -> Money:
        return self.price - Money.of(sum(d.amount.amount for d in self.discounts), self.price.currency)


def line_discounts(benefit: Benefit, lines: Sequence[LineState], currency: str) -> list[Money]:
    if isinstance(benefit, PercentOff):
        return _percent_off(benefit, lines, currency)
    if isinstance(benefit, AmountOff):
        return _amount_off(benefit, lines, currency)
    if isinstance(benefit, BuyXGetY):
        return _buy_x_get_y(benefit, lines, currency)
    return [Money.zero(currency) for _ in lines]


def shipping_discount(benefit: Benefit, shipping: ShippingState | None) -> Money | None:
    if shipping is None or not isinstance(benefit, FreeShipping):
        return None
    if benefit.methods and shipping.method not in benefit.methods:
        return None
    return shipping.remaining


def allocate(total: Money, lines: Sequence[LineState], selector: LineSelector) -> list[Money]:
    ratios = [s.remaining.amount if selector.matches(s.line.item) else 0 for s in lines]
    if total.amount <= 0 or sum(ratios) <= 0:
        return [Money.zero(total.currency) for _ in lines]
    return total.allocate(ratios)


def matching_remaining(lines: Sequence[LineState], selector: LineSelector, currency: str) -> Money:
    amount = sum(s.remaining.amount for s in lines if selector.matches(s.line.item))
    return Money.of(amount, currency)


def _percent_off(benefit: PercentOff, lines: Sequence[LineState], currency: str) -> list[Money]:
    selector = benefit.applies_to
    if benefit.scope is Scope.ORDER:
        return allocate(
            matching_remaining(lines, selector, currency).percent_of(benefit.basis_points), lines, selector
        )
    zero = Money.zero(currency)
    return [
        s.remaining.percent_of(benefit.basis_points) if selector.matches(s.line.item) else zero for s in lines
    ]


def _amount_off(benefit: AmountOff, lines: Sequence[LineState], currency: str) -> list[Money]:
    selector, zero = benefit.applies_to, Money.zero(currency)
    amount = amount_in(benefit.amounts, currency)
    if amount is None:
        return [zero for _ in lines]
    if benefit.scope is Scope.ORDER:
        return allocate(min(amount, matching_remaining(lines, selector, currency)), lines, selector)
    return [
        min(amount * s.line.quantity, s.remaining) if selector.matches(s.line.item) else zero for s in lines
    ]


def _units(lines: Sequence[LineState], selector: LineSelector) -> list[Unit]:
    return [
        (s.line.unit_price.amount, position, unit)
        for position, s in enumerate(lines)
        if selector.matches(s.line.item)
        for unit in range(s.line.quantity)
    ]


def _take(pool: list[Unit], start: int, count: int, used: set[Unit]) -> tuple[list[Unit], int]:
    taken: list[Unit] = []
    position = start
    while position < len(pool) and len(taken) < count:
        if pool[position] not in used:
            taken.append(pool[position])
        position += 1
    return taken, position


def _buy_x_get_y(benefit: BuyXGetY, lines: Sequence[LineState], currency: str) -> list[Money]:
    """Greedy: each round discounts the cheapest free-able units and spends the dearest as the buys."""
    gets = sorted(_units(lines, benefit.get_selector))
    buys = sorted(_units(lines, benefit.applies_to), key=lambda u: (-u[0], u[1], u[2]))
    used: set[Unit] = set()
    discounted: Counter[int] = Counter()
    get_at = buy_at = rounds = 0
    while benefit.max_applications is None or rounds < benefit.max_applications:
        got, get_at = _take(gets, get_at, benefit.get_quantity, used)
        used.update(got)
        bought, buy_at = _take(buys, buy_at, benefit.buy_quantity, used)
        if len(got) < benefit.get_quantity or len(bought) < benefit.buy_quantity:
            break
        used.update(bought)
        discounted.update(unit[1] for unit in got)
        rounds += 1
    return [
        min((s.line.unit_price * discounted[i]).percent_of(benefit.basis_points), s.remaining)
        for i, s in enumerate(lines)
    ]
