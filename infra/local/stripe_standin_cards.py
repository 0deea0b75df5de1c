"""Stripe's test payment methods, as the stand-in knows them, and what confirming with each one does.

Only the tokens Stripe documents for test mode (https://docs.stripe.com/testing): the shopper's card
never reaches our code (PCI SAQ-A); the browser turns it into one of these ids.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TestCard:
    brand: str
    last4: str
    funding: str = "credit"
    # "success", "authentication_required", "refund_fail", or a decline code.
    outcome: str = "success"


TEST_CARDS: dict[str, TestCard] = {
    "pm_card_visa": TestCard("visa", "4242"),
    "pm_card_visa_debit": TestCard("visa", "5556", funding="debit"),
    "pm_card_mastercard": TestCard("mastercard", "4444"),
    "pm_card_amex": TestCard("amex", "8431"),
    "pm_card_chargeDeclined": TestCard("visa", "0002", outcome="generic_decline"),
    "pm_card_chargeDeclinedInsufficientFunds": TestCard("visa", "9995", outcome="insufficient_funds"),
    "pm_card_chargeDeclinedLostCard": TestCard("visa", "9987", outcome="lost_card"),
    "pm_card_chargeDeclinedExpiredCard": TestCard("visa", "0069", outcome="expired_card"),
    "pm_card_chargeDeclinedIncorrectCvc": TestCard("visa", "0127", outcome="incorrect_cvc"),
    "pm_card_authenticationRequired": TestCard("visa", "3184", outcome="authentication_required"),
    "pm_card_threeDSecure2Required": TestCard("visa", "3220", outcome="authentication_required"),
    "pm_card_refundFail": TestCard("visa", "5126", outcome="refund_fail"),
}

# decline outcome -> (error code, decline_code, message), as Stripe answers them.
DECLINES: dict[str, tuple[str, str, str]] = {
    "generic_decline": ("card_declined", "generic_decline", "Your card was declined."),
    "insufficient_funds": ("card_declined", "insufficient_funds", "Your card has insufficient funds."),
    "lost_card": ("card_declined", "lost_card", "Your card was declined."),
    "expired_card": ("expired_card", "expired_card", "Your card has expired."),
    "incorrect_cvc": ("incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect."),
}

# Smallest amount Stripe charges, in minor units (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts).
MINIMUM_AMOUNTS: dict[str, int] = {
    "usd": 50, "eur": 50, "gbp": 30, "chf": 50, "cad": 50, "aud": 50, "nzd": 50, "sgd": 50, "hkd": 400,
    "jpy": 50, "sek": 300, "nok": 300, "dkk": 250, "pln": 200, "czk": 1500, "huf": 17500, "ron": 200,
    "bgn": 100, "mxn": 1000, "brl": 50, "inr": 50, "aed": 200, "thb": 1000, "myr": 200,
}  # fmt: skip
ZERO_DECIMAL = frozenset({"jpy", "krw", "vnd", "clp", "pyg", "ugx", "xaf", "xof", "bif", "djf", "gnf", "kmf"})
MAXIMUM_AMOUNT = 99_999_999


def minor_unit_exponent(currency: str) -> int:
    return 0 if currency in ZERO_DECIMAL else 2
