"""Promo codes entered by the shopper: which are usable, and what checkout must count when they are.

Checks, in order, each naming the offending entry (``body.promo_codes.<i>``) in one 422 for all codes:

* ``duplicate`` - the same code twice in one cart (it would otherwise count twice)
* ``unknown_code`` - no such code, or its promotion is gone (archived)
* ``disabled`` - a merchandiser disabled the code
* ``sign_in_required`` / ``not_yours`` - a personal code (it has an ``owner``) entered by a guest, or by
  any customer but its owner
* ``not_started`` / ``expired`` - outside the promotion's ``[starts_at, ends_at)`` window, or outside a
  personal code's own ``[valid_from, valid_until)``
* ``currency_mismatch`` - the promotion has amounts or thresholds, none in the cart currency
* ``sign_in_required`` - the code has a per-customer limit and the guest gave no e-mail to count against
* ``exhausted`` - global uses reached ``usage_limit``
* ``limit_reached_for_customer`` - this customer's uses reached ``per_customer_limit``

A code that passes but gives nothing to this cart (threshold not met, no matching line, blocked by
stacking) is not an error: it comes back in ``rejected_codes`` and is never redeemed. Usage counts read
here are advisory; the limit is enforced when checkout writes the ``CodeRedemption`` conditionally, and
``code_no_longer_available`` is the 409 it answers when that write loses a race.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pricing.domain.models import Cart, CodeRedemption, Customer
from pricing.domain.ports import CodeRedemptions, PromotionStore
from pricing.domain.promotions import PromoCode, Promotion, WindowStatus, normalise_code
from shop_kernel.errors import Conflict, FieldError, ValidationFailed


@dataclass(frozen=True)
class EnteredCode:
    index: int
    code: str
    promo_code: PromoCode
    promotion: Promotion


def validate_codes(
    cart: Cart,
    customer: Customer,
    now: datetime,
    store: PromotionStore,
    redemptions: CodeRedemptions,
    prefix: str,
) -> list[EnteredCode]:
    errors: list[FieldError] = []
    entered: list[EnteredCode] = []
    seen: set[str] = set()
    for index, raw in enumerate(cart.promo_codes):
        code, field = normalise_code(raw), f"{prefix}.promo_codes.{index}"
        if code in seen:
            errors.append(FieldError(field=field, message=f"{code} is entered twice", code="duplicate"))
            continue
        seen.add(code)
        outcome = _check_code(index, code, field, cart.currency, customer, now, store, redemptions)
        if isinstance(outcome, FieldError):
            errors.append(outcome)
        else:
            entered.append(outcome)
    if errors:
        raise ValidationFailed("some promo codes cannot be used", errors=errors)
    return entered


def _check_code(
    index: int,
    code: str,
    field: str,
    currency: str,
    customer: Customer,
    now: datetime,
    store: PromotionStore,
    redemptions: CodeRedemptions,
) -> FieldError | EnteredCode:
    promo_code = store.find_code(code)
    promotion = store.promotion(promo_code.promotion_id) if promo_code else None
    if promo_code is None or promotion is None:
        return FieldError(field=field, message=f"{code} is not a valid promo code", code="unknown_code")
    if promo_code.disabled_at is not None:
        return FieldError(field=field, message=f"{code} is no longer valid", code="disabled")
    if (refused := _owner_problem(promo_code, customer, field)) is not None:
        return refused
    status = _window(promo_code, promotion, now)
    if status is WindowStatus.NOT_STARTED:
        return FieldError(field=field, message=f"{code} is not valid yet", code="not_started")
    if status is WindowStatus.EXPIRED:
        return FieldError(field=field, message=f"{code} has expired", code="expired")
    if not promotion.priced_in(currency):
        return FieldError(
            field=field, message=f"{code} cannot be used in {currency}", code="currency_mismatch"
        )
    problem = _usage_problem(promo_code, customer, redemptions, field)
    return problem or EnteredCode(index=index, code=code, promo_code=promo_code, promotion=promotion)


def _owner_problem(promo_code: PromoCode, customer: Customer, field: str) -> FieldError | None:
    """A personal code works for its owner only: a guest is asked to sign in, anyone else is refused."""
    if promo_code.owner is None:
        return None
    if customer.id is None:
        message = f"{promo_code.code} is a personal code: sign in to use it"
        return FieldError(field=field, message=message, code="sign_in_required")
    if customer.id != promo_code.owner:
        message = f"{promo_code.code} is a personal code of another customer"
        return FieldError(field=field, message=message, code="not_yours")
    return None


def _window(promo_code: PromoCode, promotion: Promotion, now: datetime) -> WindowStatus:
    """The narrower of the promotion's window and the code's own (a personal code's validity)."""
    status = promotion.window_status(now)
    return status if status is not WindowStatus.ACTIVE else promo_code.window_status(now)


def _usage_problem(
    promo_code: PromoCode, customer: Customer, redemptions: CodeRedemptions, field: str
) -> FieldError | None:
    if promo_code.usage_limit is None and promo_code.per_customer_limit is None:
        return None
    key = customer.redemption_key
    if promo_code.per_customer_limit is not None and key is None:
        message = f"{promo_code.code} is limited per customer: sign in or give your e-mail"
        return FieldError(field=field, message=message, code="sign_in_required")
    usage = redemptions.usage(promo_code.code, key)
    if promo_code.usage_limit is not None and usage.total >= promo_code.usage_limit:
        return FieldError(field=field, message=f"{promo_code.code} has been used up", code="exhausted")
    if promo_code.per_customer_limit is not None and usage.by_customer >= promo_code.per_customer_limit:
        message = f"you have already used {promo_code.code} as often as it allows"
        return FieldError(field=field, message=message, code="limit_reached_for_customer")
    return None


def redemption_for(entered: EnteredCode, customer: Customer) -> CodeRedemption:
    return CodeRedemption(
        code=entered.code,
        promotion_id=entered.promotion.id,
        customer_key=customer.redemption_key,
        usage_limit=entered.promo_code.usage_limit,
        per_customer_limit=entered.promo_code.per_customer_limit,
    )


def code_no_longer_available(redemption: CodeRedemption, prefix: str = "body") -> Conflict:
    """The 409 checkout raises when the conditional usage write fails: the last use went elsewhere, or a
    merchandiser disabled the code meanwhile."""
    message = (
        f"{redemption.code} was used up or withdrawn while you were checking out: the cart has been re-priced"
    )
    error = FieldError(field=f"{prefix}.promo_codes", message=message, code="exhausted")
    return Conflict(message, errors=[error])


class CodeTaken(Exception):
    """A new personal code collided with an existing code: nothing was written; draw another code."""
