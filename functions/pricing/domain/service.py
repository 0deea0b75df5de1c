"""``price_cart``: the one way cart and checkout price a cart.

Steps, each in its own module:

1. the destination's tax rates decide the display (inclusive / exclusive) unless the customer's account
   overrides it (business accounts: exclusive) - ``pricing.domain.tax``;
2. unit prices from the customer group's price list, falling back to ``retail`` -
   ``pricing.domain.price_lists``;
3. promo codes and gift certificates are checked up front, so every bad entry is reported in one 422
   before anything is computed - ``pricing.domain.codes``, ``pricing.domain.gift_certificates``;
4. a shipping quote for the parcel's weight (none for an empty cart) - ``pricing.domain.shipping``;
5. promotions by priority and stacking rules, allocated to lines - ``pricing.domain.stacking``;
6. tax per line and on shipping after discounts, rounded half-up per line;
7. gift certificates tender part of the grand total; the rest is the amount due.

The result carries the redemption intents checkout commits atomically with the order. Pricing itself
writes nothing: the same inputs (including ``now``) always give the same result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pricing.domain.codes import EnteredCode, redemption_for, validate_codes
from pricing.domain.discounts import LineState, ShippingState
from pricing.domain.gift_certificates import redemptions_for, tender, validate_certificates
from pricing.domain.models import (
    Cart,
    Customer,
    PricedCart,
    PricedLine,
    Redemptions,
    RejectedCode,
    RejectionReason,
    Shipping,
    TaxDisplay,
    Totals,
)
from pricing.domain.ports import (
    CarrierQuotes,
    CodeRedemptions,
    CountryTax,
    GiftCertificates,
    PriceBook,
    PromotionStore,
    ShipmentRequest,
    TaxRates,
)
from pricing.domain.price_lists import ResolvedLine, resolve_country, resolve_lines
from pricing.domain.shipping import quote_shipping
from pricing.domain.stacking import Basket, Candidate, StackingOutcome, apply_promotions
from pricing.domain.tax import in_display, tax_on, total_with_tax
from shop_kernel.money import Money


@dataclass(frozen=True)
class PricingContext:
    """Everything pricing needs besides the cart: who buys, when, and the ports to look things up."""

    customer: Customer
    now: datetime
    price_book: PriceBook
    tax_rates: TaxRates
    carrier_quotes: CarrierQuotes
    promotions: PromotionStore
    code_redemptions: CodeRedemptions
    gift_certificates: GiftCertificates
    # Field paths in errors start here; a handler whose body nests the cart passes e.g. "body.cart".
    field_prefix: str = "body"


def price_cart(cart: Cart, context: PricingContext) -> PricedCart:
    prefix, customer = context.field_prefix, context.customer
    country_tax = resolve_country(
        cart.destination_country, context.tax_rates.for_country(cart.destination_country), prefix
    )
    display = customer.tax_display or country_tax.display
    resolved = resolve_lines(cart, customer, context.price_book, country_tax, display, prefix)
    entered = validate_codes(
        cart, customer, context.now, context.promotions, context.code_redemptions, prefix
    )
    certificates = validate_certificates(cart, context.gift_certificates, context.now, prefix)
    lines = [LineState(line) for line in resolved]
    shipping = _shipping_state(cart, resolved, context, country_tax, display)
    candidates, same_promotion = _candidates(entered, context)
    basket = Basket(
        lines=lines, shipping=shipping, customer=customer, currency=cart.currency, now=context.now
    )
    outcome = apply_promotions(candidates, basket)
    priced_lines = [_priced_line(state, display) for state in lines]
    priced_shipping = _priced_shipping(shipping, country_tax, display) if shipping else None
    totals = _totals(cart.currency, priced_lines, priced_shipping)
    tenders = tender(certificates, totals.grand_total)
    paid = Money.of(sum(t.amount.amount for t in tenders), cart.currency)
    return PricedCart(
        currency=cart.currency,
        tax_display=display,
        lines=priced_lines,
        shipping=priced_shipping,
        totals=totals.model_copy(update={"gift_certificates": paid, "amount_due": totals.grand_total - paid}),
        applied_promotions=[applied for _, applied in outcome.applied],
        rejected_codes=_rejected(outcome, same_promotion),
        gift_certificates=tenders,
        redemptions=Redemptions(
            promo_codes=[redemption_for(e, customer) for e in _redeemed(entered, outcome)],
            gift_certificates=redemptions_for(tenders),
        ),
    )


def _shipping_state(
    cart: Cart,
    resolved: Sequence[ResolvedLine],
    context: PricingContext,
    country_tax: CountryTax,
    display: TaxDisplay,
) -> ShippingState | None:
    if all(line.item.digital for line in resolved):
        return None  # nothing to ship (also an empty cart): electronic goods go to the buyer's e-mail
    weight = sum(line.item.weight_grams * line.quantity for line in resolved)
    request = ShipmentRequest(
        method=cart.shipping_method,
        country=cart.destination_country,
        weight_grams=weight,
        currency=cart.currency,
    )
    quote = quote_shipping(context.carrier_quotes, request, context.field_prefix)
    price = in_display(quote.price, quote.includes_tax, display, country_tax.standard_bp)
    return ShippingState(method=cart.shipping_method, price=price)


def _candidates(
    entered: Sequence[EnteredCode], context: PricingContext
) -> tuple[list[Candidate], list[EnteredCode]]:
    candidates: list[Candidate] = []
    same_promotion: list[EnteredCode] = []
    seen: set[str] = set()
    for code in entered:
        if code.promotion.id in seen:
            same_promotion.append(code)
            continue
        seen.add(code.promotion.id)
        candidates.append(Candidate(promotion=code.promotion, code=code.code))
    for promotion in context.promotions.automatic(context.now):
        if promotion.automatic and promotion.id not in seen:
            seen.add(promotion.id)
            candidates.append(Candidate(promotion=promotion))
    return candidates, same_promotion


def _priced_line(state: LineState, display: TaxDisplay) -> PricedLine:
    line, remaining = state.line, state.remaining
    tax = tax_on(remaining, line.tax_rate_bp, display)
    return PricedLine(
        sku=line.item.sku,
        quantity=line.quantity,
        price_list=line.price_list,
        unit_price=line.unit_price,
        subtotal=state.subtotal,
        discounts=list(state.discounts),
        discount_total=state.subtotal - remaining,
        tax_rate_bp=line.tax_rate_bp,
        tax=tax,
        total=total_with_tax(remaining, tax, display),
    )


def _priced_shipping(state: ShippingState, country_tax: CountryTax, display: TaxDisplay) -> Shipping:
    remaining, rate = state.remaining, country_tax.standard_bp
    tax = tax_on(remaining, rate, display)
    return Shipping(
        method=state.method,
        price=state.price,
        discounts=list(state.discounts),
        discount=state.price - remaining,
        tax_rate_bp=rate,
        tax=tax,
        total=total_with_tax(remaining, tax, display),
    )


def _totals(currency: str, lines: Sequence[PricedLine], shipping: Shipping | None) -> Totals:
    def add(amounts: Sequence[Money]) -> Money:
        return Money.of(sum(m.amount for m in amounts), currency)

    extra = [shipping] if shipping else []
    grand_total = add([line.total for line in lines] + [s.total for s in extra])
    return Totals(
        subtotal=add([line.subtotal for line in lines]),
        discount_total=add([line.discount_total for line in lines] + [s.discount for s in extra]),
        shipping=add([s.price for s in extra]),
        tax_total=add([line.tax for line in lines] + [s.tax for s in extra]),
        grand_total=grand_total,
        gift_certificates=Money.zero(currency),
        amount_due=grand_total,
    )


def _rejected(outcome: StackingOutcome, same_promotion: Sequence[EnteredCode]) -> list[RejectedCode]:
    rejected = [
        RejectedCode(code=candidate.code, reason=reason, message=_MESSAGES[reason])
        for candidate, reason in outcome.skipped
        if candidate.code is not None
    ]
    reason = RejectionReason.SAME_PROMOTION
    return rejected + [
        RejectedCode(code=e.code, reason=reason, message=_MESSAGES[reason]) for e in same_promotion
    ]


def _redeemed(entered: Sequence[EnteredCode], outcome: StackingOutcome) -> list[EnteredCode]:
    applied_codes = {candidate.code for candidate, _ in outcome.applied if candidate.code}
    return [e for e in entered if e.code in applied_codes]


_MESSAGES = {
    RejectionReason.NOT_APPLICABLE: "this code does not apply to the items in your cart",
    RejectionReason.BLOCKED_BY_EXCLUSIVE: "another promotion in your cart cannot be combined with this code",
    RejectionReason.NOT_COMBINABLE: "this code cannot be combined with the promotions already applied",
    RejectionReason.STACKING_GROUP_TAKEN: "a promotion of the same kind is already applied",
    RejectionReason.SAME_PROMOTION: "another code for the same promotion is already applied",
}
