"""Rules a cart line must keep: a published SKU, priced in the cart currency, within the quantity and
line limits, and available to the cart's fulfilment (delivery or the chosen pickup store)."""

from __future__ import annotations

from dataclasses import dataclass

from cart.domain.models import SkuFacts
from cart.domain.ports import Stock
from shop_kernel.errors import Conflict, FieldError, ValidationFailed


@dataclass(frozen=True)
class Limits:
    max_quantity_per_line: int = 20
    max_lines: int = 50
    # Units in the whole cart: a checkout holds every one of them for the payment window, so without it one
    # anonymous cart could hold 20 x 50 units. Bigger orders go through sales (B2B), not the storefront.
    max_units_per_order: int = 50


class InsufficientStock(Conflict):
    type_slug = "insufficient-stock"
    title = "Not enough stock"


def check_sellable(sku: str, facts: SkuFacts | None, currency: str, field: str) -> SkuFacts:
    if facts is None or not facts.sellable:
        message = f"no published product has SKU {sku}"
        raise ValidationFailed(message, errors=[FieldError(field=field, message=message, code="unknown_sku")])
    if not facts.has_price_in(currency):
        message = f"{sku} is not sold in {currency}"
        raise ValidationFailed(
            message, errors=[FieldError(field=field, message=message, code="currency_mismatch")]
        )
    return facts


def check_quantity(quantity: int, limits: Limits, field: str) -> None:
    if quantity > limits.max_quantity_per_line:
        message = f"at most {limits.max_quantity_per_line} of one item per order"
        raise ValidationFailed(message, errors=[FieldError(field=field, message=message, code="above_limit")])


def check_order_units(units: int, limits: Limits, field: str) -> None:
    if units > limits.max_units_per_order:
        message = f"an order holds at most {limits.max_units_per_order} items in all"
        raise ValidationFailed(
            message, errors=[FieldError(field=field, message=message, code="above_order_limit")]
        )


def check_line_count(lines: int, limits: Limits, field: str) -> None:
    if lines > limits.max_lines:
        message = f"a cart holds at most {limits.max_lines} different items"
        raise ValidationFailed(
            message, errors=[FieldError(field=field, message=message, code="too_many_lines")]
        )


def check_available(sku: str, quantity: int, stock: Stock | None, pickup: str | None, field: str) -> None:
    if stock is None:
        return
    available = stock.available(sku, pickup)
    if quantity > available:
        where = f" for pickup at {pickup}" if pickup else ""
        message = f"only {available} of {sku} available{where}, {quantity} wanted"
        raise InsufficientStock(
            message,
            errors=[FieldError(field=field, message=message, code="insufficient_stock")],
            available=available,
        )
