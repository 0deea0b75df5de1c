"""A cart priced for the shopper: ``pricing.domain.price_cart`` over the cart's lines and codes.

Prices are the server's only. Unit prices come from the SKU facts the cart keeps (``FactsPriceBook``):
the customer group's negotiated list first, ``retail`` second. ``retail`` is a consumer list with tax
included; every other list is a business (net) list.

A cart is priced as it is now, so a read never fails because the world moved on since a line was
added: lines whose product was archived or lost its price in the cart currency are listed under
``unavailable_lines`` and left out, codes that expired or ran out since they were entered are listed
under ``invalid_codes`` and left out. Checkout prices again and refuses what is still wrong.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cart.domain.models import SkuFacts, StoredCart
from pricing.domain import (
    RETAIL,
    CarrierQuotes,
    Cart,
    CartLine,
    CatalogItem,
    CodeRedemptions,
    Customer,
    GiftCertificates,
    PricedCart,
    PricingContext,
    PromotionStore,
    TaxDisplay,
    TaxRates,
    price_cart,
)
from shop_kernel.errors import ValidationFailed
from shop_kernel.locale import localise

if TYPE_CHECKING:
    from cart.domain.points import MemberPoints

CODE_FIELDS = ("promo_codes", "gift_certificates")
PICKUP_METHOD = "pickup"


class FactsPriceBook:
    """A ``PriceBook`` over SKU facts already read (no I/O of its own)."""

    def __init__(self, facts: Mapping[str, SkuFacts]) -> None:
        self._facts = facts

    def price_list_for_group(self, customer_group: str) -> str | None:
        # A business customer group buys from the price list of the same name (see README: B2B).
        return None if customer_group == RETAIL else customer_group

    def items(self, skus: Sequence[str], price_lists: Sequence[str]) -> Mapping[str, CatalogItem]:
        return {
            sku: facts.catalog_item()
            for sku in skus
            if (facts := self._facts.get(sku)) is not None and facts.sellable
        }


def customer_for(subject: str | None, email: str | None, group: str | None) -> Customer:
    """Guests and consumers buy at retail with the market's display; business groups see net prices."""
    group = group or RETAIL
    display = None if group == RETAIL else TaxDisplay.EXCLUSIVE
    return Customer(id=subject, email=email, group=group, tax_display=display)


@dataclass(frozen=True)
class PricingPorts:
    tax_rates: TaxRates
    carrier_quotes: CarrierQuotes
    promotions: PromotionStore
    code_redemptions: CodeRedemptions
    gift_certificates: GiftCertificates


def pricing_input(cart: StoredCart, skus: Sequence[str] | None = None) -> Cart:
    wanted = set(skus) if skus is not None else None
    return Cart(
        currency=cart.currency,
        lines=[
            CartLine(sku=line.sku, quantity=line.quantity)
            for line in cart.lines
            if wanted is None or line.sku in wanted
        ],
        destination_country=cart.destination_country,
        # Collected in a store: no carrier delivers it, so the ``pickup`` rule prices it, not the method.
        shipping_method=PICKUP_METHOD if cart.pickup_location_id else cart.shipping_method,
        promo_codes=list(cart.promo_codes),
        gift_certificates=list(cart.gift_certificates),
    )


def _context(
    facts: Mapping[str, SkuFacts],
    customer: Customer,
    now: datetime,
    ports: PricingPorts,
    field_prefix: str = "body",
) -> PricingContext:
    return PricingContext(
        field_prefix=field_prefix,
        customer=customer,
        now=now,
        price_book=FactsPriceBook(facts),
        tax_rates=ports.tax_rates,
        carrier_quotes=ports.carrier_quotes,
        promotions=ports.promotions,
        code_redemptions=ports.code_redemptions,
        gift_certificates=ports.gift_certificates,
    )


def preview(
    cart: StoredCart,
    facts: Mapping[str, SkuFacts],
    customer: Customer,
    now: datetime,
    ports: PricingPorts,
    field_prefix: str = "body",
) -> PricedCart:
    """Strict pricing of the cart's sellable lines: any bad code is a 422 naming it (used before a write).

    Checkout passes ``field_prefix="cart"`` (the codes are the cart's, not the request body's) and checks
    beforehand that every line is sellable, so nothing is silently left out of an order.
    """
    context = _context(facts, customer, now, ports, field_prefix)
    return price_cart(pricing_input(cart, _sellable(cart, facts)), context)


def _sellable(cart: StoredCart, facts: Mapping[str, SkuFacts]) -> list[str]:
    return [
        line.sku
        for line in cart.lines
        if (f := facts.get(line.sku)) is not None and f.sellable and f.has_price_in(cart.currency)
    ]


def _bad_code_indexes(error: ValidationFailed) -> dict[str, set[int]]:
    bad: dict[str, set[int]] = {kind: set() for kind in CODE_FIELDS}
    for field_error in error.errors:
        parts = field_error.field.split(".")
        if len(parts) == 3 and parts[1] in CODE_FIELDS and parts[2].isdigit():
            bad[parts[1]].add(int(parts[2]))
    return bad


def price_for_display(
    cart: StoredCart,
    facts: Mapping[str, SkuFacts],
    customer: Customer,
    now: datetime,
    ports: PricingPorts,
    locale: str,
    member: MemberPoints | None = None,
) -> dict[str, Any]:
    """The priced cart as ``GET`` answers it (lenient: stale lines and codes are reported, not fatal); for
    a loyalty ``member``, what their points may pay of it (``points``; null for a guest)."""
    sellable = _sellable(cart, facts)
    request = pricing_input(cart, sellable)
    context = _context(facts, customer, now, ports)
    invalid: list[dict[str, Any]] = []
    for _ in range(len(CODE_FIELDS) + 1):
        try:
            priced = price_cart(request, context)
            break
        except ValidationFailed as error:
            bad = _bad_code_indexes(error)
            if not any(bad.values()):
                raise
            invalid += [e.model_dump() for e in error.errors]
            request = request.model_copy(
                update={
                    kind: [c for i, c in enumerate(getattr(request, kind)) if i not in bad[kind]]
                    for kind in CODE_FIELDS
                }
            )
    else:  # pragma: no cover - each pass removes at least one code
        raise ValidationFailed("the cart cannot be priced")
    body = cart.view()
    body.update(priced.model_dump(mode="json", exclude={"redemptions"}))
    for line in body["lines"]:
        line["name"] = localise(facts[line["sku"]].name, locale)
    body["unavailable_lines"] = [
        {"sku": line.sku, "quantity": line.quantity} for line in cart.lines if line.sku not in set(sellable)
    ]
    body["invalid_codes"] = invalid
    body["promo_codes"] = list(cart.promo_codes)
    body["gift_certificates"] = list(cart.gift_certificates)
    body["points"] = None
    if member is not None:
        from cart.domain.points import points_preview  # loyalty's rules: a member's cart only

        body["points"] = points_preview(priced, facts, member)
    return body


__all__ = ["FactsPriceBook", "PricingPorts", "customer_for", "preview", "price_for_display"]
