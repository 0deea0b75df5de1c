"""Entering promo codes and gift certificates without enumerating them.

A code the cart cannot use gets one answer, whatever the reason (unknown, not started, expired, used up,
another currency, not for this buyer): otherwise the answers would tell a guesser which codes exist and
which certificates hold money. Only a code entered twice is named as such. And each code entry counts
against its cart and the client address in fixed windows; over a limit it is a 429 with Retry-After
(counters in the carts table with a TTL, ``cart.adapters.dynamo_carts``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cart.domain.models import CartOwner
from shop_kernel.errors import FieldError, ValidationFailed
from shop_kernel.limits import AttemptKey, TooManyAttempts, attempt_key

NOT_APPLICABLE = "not_applicable"
_TOLD_APART = {"duplicate"}  # says nothing about the code itself


@dataclass(frozen=True)
class CodeEntryLimits:
    """Code entries per window: a shopper types a code or two, a guesser thousands."""

    window: timedelta = timedelta(hours=1)
    per_cart: int = 10
    per_ip: int = 30


def code_entry_keys(
    owner: CartOwner, client_ip: str | None, now: datetime, limits: CodeEntryLimits
) -> list[AttemptKey]:
    sources = [
        (f"codes-{owner.kind.value}", owner.key, limits.per_cart),
        ("codes-ip", client_ip, limits.per_ip),
    ]
    return [
        attempt_key(source, value.strip().lower(), now, limits.window, limit)
        for source, value, limit in sources
        if value and value.strip()
    ]


def too_many_entries(key: AttemptKey, now: datetime) -> TooManyAttempts:
    return TooManyAttempts(
        "too many codes were entered in a short time: retry after the Retry-After seconds", key, now
    )


def refused_entry(code: str, noun: str, reasons: list[FieldError]) -> ValidationFailed:
    """The one answer for a code the cart cannot use (a duplicate entry keeps its own)."""
    if reasons and all(reason.code in _TOLD_APART for reason in reasons):
        errors = [FieldError(field="body.code", message=r.message, code=r.code) for r in reasons]
        return ValidationFailed(reasons[0].message, errors=errors)
    message = f"{code} cannot be used for this cart: check the {noun} and its conditions"
    return ValidationFailed(
        message, errors=[FieldError(field="body.code", message=message, code=NOT_APPLICABLE)]
    )
