"""Gift certificates are a tender, not a discount: they pay part of the grand total after tax.

Certificates are applied in the order entered, each paying ``min(balance, still due)``, so one can be
redeemed partly and keep the rest of its balance. A certificate that is not needed pays nothing and is
not debited. Checks (one 422 naming ``body.gift_certificates.<i>``): ``duplicate``, ``unknown_code``,
``expired``, ``currency_mismatch`` (balance in another currency) and ``exhausted`` (no balance left).

Certificates themselves are loyalty's (issued, kept and debited there): pricing sees each through the
``GiftCertificates`` port as a balance and an expiry. Checkout debits each ``GiftCertificateRedemption``
through ``loyalty.contract`` with a conditional write on ``expected_balance``; when the balance moved in
the meantime loyalty's ``balance_changed`` is the 409 it answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pricing.domain.models import Cart, GiftCertificateRedemption, GiftCertificateTender
from pricing.domain.ports import GiftCertificate, GiftCertificates
from pricing.domain.promotions import normalise_code
from shop_kernel.errors import FieldError, ValidationFailed
from shop_kernel.money import Money


def validate_certificates(
    cart: Cart, store: GiftCertificates, now: datetime, prefix: str
) -> list[GiftCertificate]:
    errors: list[FieldError] = []
    usable: list[GiftCertificate] = []
    seen: set[str] = set()
    for index, raw in enumerate(cart.gift_certificates):
        code, field = normalise_code(raw), f"{prefix}.gift_certificates.{index}"
        if code in seen:
            errors.append(
                FieldError(field=field, message="this certificate is entered twice", code="duplicate")
            )
            continue
        seen.add(code)
        outcome = _check(store.find(code), cart.currency, now, field)
        if isinstance(outcome, FieldError):
            errors.append(outcome)
        else:
            usable.append(outcome)
    if errors:
        raise ValidationFailed("some gift certificates cannot be used", errors=errors)
    return usable


def _check(
    certificate: GiftCertificate | None, currency: str, now: datetime, field: str
) -> FieldError | GiftCertificate:
    if certificate is None:
        return FieldError(field=field, message="no gift certificate has this code", code="unknown_code")
    if certificate.expires_at is not None and now >= certificate.expires_at:
        return FieldError(field=field, message="this gift certificate has expired", code="expired")
    if certificate.balance.currency != currency:
        message = f"this gift certificate is in {certificate.balance.currency}, the cart in {currency}"
        return FieldError(field=field, message=message, code="currency_mismatch")
    if certificate.balance.amount <= 0:
        return FieldError(field=field, message="this gift certificate has no balance left", code="exhausted")
    return certificate


def tender(certificates: Sequence[GiftCertificate], due: Money) -> list[GiftCertificateTender]:
    tenders: list[GiftCertificateTender] = []
    remaining = max(due, Money.zero(due.currency))
    for certificate in certificates:
        amount = min(certificate.balance, remaining)
        remaining = remaining - amount
        tenders.append(
            GiftCertificateTender(
                code=certificate.code,
                amount=amount,
                balance_before=certificate.balance,
                balance_after=certificate.balance - amount,
            )
        )
    return tenders


def redemptions_for(tenders: Sequence[GiftCertificateTender]) -> list[GiftCertificateRedemption]:
    return [
        GiftCertificateRedemption(code=t.code, amount=t.amount, expected_balance=t.balance_before)
        for t in tenders
        if t.amount.amount > 0
    ]
