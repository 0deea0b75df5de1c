"""Tax per line, after discounts, rounded half-up per line.

* Exclusive display (B2B, US style): prices are net; tax = net x rate, added on top.
* Inclusive display (EU consumers): prices are gross; tax is extracted:
  net = gross x 10000 / (10000 + rate) rounded half-up, tax = gross - net.

Rounding per line (not per order) is what makes the order tax the exact sum of line taxes, so a refund
of one line gives back exactly the tax that line carried. A list price kept in the other display (a
retail gross price shown to a business customer, a net quote shown to a consumer) is converted once per
unit with the same rounding.
"""

from __future__ import annotations

from pricing.domain.models import TaxDisplay
from shop_kernel.money import Money

BASIS = 10_000


def divide_half_up(numerator: int, denominator: int) -> int:
    """Integer division rounded half-up away from zero; ``denominator`` is positive."""
    quotient, remainder = divmod(abs(numerator), denominator)
    if remainder * 2 >= denominator:
        quotient += 1
    return -quotient if numerator < 0 else quotient


def net_of(gross: Money, rate_bp: int) -> Money:
    return Money.of(divide_half_up(gross.amount * BASIS, BASIS + rate_bp), gross.currency)


def tax_on(base: Money, rate_bp: int, display: TaxDisplay) -> Money:
    """The tax a (discounted) amount carries: extracted when inclusive, added when exclusive."""
    if display is TaxDisplay.INCLUSIVE:
        return base - net_of(base, rate_bp)
    return base.percent_of(rate_bp)


def in_display(amount: Money, includes_tax: bool, display: TaxDisplay, rate_bp: int) -> Money:
    """``amount`` (gross when ``includes_tax``) expressed in the display the order uses."""
    if includes_tax and display is TaxDisplay.EXCLUSIVE:
        return net_of(amount, rate_bp)
    if not includes_tax and display is TaxDisplay.INCLUSIVE:
        return amount + amount.percent_of(rate_bp)
    return amount


def total_with_tax(base: Money, tax: Money, display: TaxDisplay) -> Money:
    """What the customer pays for a (discounted) amount: tax is already inside an inclusive price."""
    return base if display is TaxDisplay.INCLUSIVE else base + tax
