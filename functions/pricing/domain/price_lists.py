"""Which unit price a customer pays for a SKU.

A customer group may have a negotiated price list (B2B); pricing asks the price book for that list and
for ``retail``, and takes the first of them that has a price in the cart currency. A SKU the catalog does
not know is ``unknown_sku``; a SKU with no price in the cart currency in either list is
``currency_mismatch``. Both name the offending line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pricing.domain.models import Cart, CountryCode, Customer, TaxDisplay
from pricing.domain.ports import RETAIL, CatalogItem, CountryTax, ListPrice, PriceBook
from pricing.domain.tax import in_display
from shop_kernel.errors import FieldError, ValidationFailed
from shop_kernel.money import Money


@dataclass(frozen=True)
class ResolvedLine:
    """A cart line with its catalog facts and the unit price shown to this customer."""

    index: int
    item: CatalogItem
    quantity: int
    price_list: str
    unit_price: Money
    tax_rate_bp: int


def price_lists_for(customer: Customer, book: PriceBook) -> list[str]:
    negotiated = book.price_list_for_group(customer.group)
    return [negotiated, RETAIL] if negotiated and negotiated != RETAIL else [RETAIL]


def choose_price(item: CatalogItem, currency: str, lists: Sequence[str]) -> ListPrice | None:
    for price_list in lists:
        for price in item.prices:
            if price.price_list == price_list and price.amount.currency == currency:
                return price
    return None


def resolve_lines(
    cart: Cart, customer: Customer, book: PriceBook, country_tax: CountryTax, display: TaxDisplay, prefix: str
) -> list[ResolvedLine]:
    _reject_duplicate_skus(cart, prefix)
    lists = price_lists_for(customer, book)
    items = book.items([line.sku for line in cart.lines], lists) if cart.lines else {}
    errors: list[FieldError] = []
    resolved: list[ResolvedLine] = []
    for index, line in enumerate(cart.lines):
        outcome = _resolve_one(index, line.sku, line.quantity, items, cart.currency, lists, prefix)
        if isinstance(outcome, FieldError):
            errors.append(outcome)
            continue
        item, price = outcome
        rate = country_tax.rate_for(item.tax_class)
        unit = in_display(price.amount, price.includes_tax, display, rate)
        resolved.append(ResolvedLine(index, item, line.quantity, price.price_list, unit, rate))
    if errors:
        raise ValidationFailed("some cart lines cannot be priced", errors=errors)
    return resolved


def _resolve_one(
    index: int,
    sku: str,
    quantity: int,
    items: Mapping[str, CatalogItem],
    currency: str,
    lists: Sequence[str],
    prefix: str,
) -> FieldError | tuple[CatalogItem, ListPrice]:
    field = f"{prefix}.lines.{index}.sku"
    item = items.get(sku)
    if item is None:
        return FieldError(field=field, message=f"no product has SKU {sku}", code="unknown_sku")
    price = choose_price(item, currency, lists)
    if price is None:
        return FieldError(field=field, message=f"{sku} is not sold in {currency}", code="currency_mismatch")
    if price.amount.amount < 0:
        return FieldError(field=field, message=f"{sku} has no valid price", code="not_for_sale")
    return item, price


def _reject_duplicate_skus(cart: Cart, prefix: str) -> None:
    seen: set[str] = set()
    for index, line in enumerate(cart.lines):
        if line.sku in seen:
            raise ValidationFailed.on(
                f"{prefix}.lines.{index}.sku",
                f"{line.sku} is already in the cart: change its quantity",
                "duplicate",
            )
        seen.add(line.sku)


def resolve_country(country: CountryCode, rates: CountryTax | None, prefix: str) -> CountryTax:
    if rates is None:
        raise ValidationFailed.on(
            f"{prefix}.destination_country", f"we do not ship to {country}", "unsupported_country"
        )
    return rates
