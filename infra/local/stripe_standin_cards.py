"""Stripe's test payment methods, as the stand-in knows them, and what confirming with each one does.

Only the tokens Stripe documents for test mode (https://docs.stripe.com/testing): the shopper's card
never reaches our code (PCI SAQ-A); the browser turns it into one of these ids. Each card keeps its
public test number, because what fraud screening reads about a card comes from the number: the
``fingerprint`` (the same number always has the same one) and the issuing ``country``.
"""

from __future__ import annotations

import hashlib
import string
from dataclasses import dataclass

_FINGERPRINT_ALPHABET = string.digits + string.ascii_letters
FINGERPRINT_LENGTH = 16  # Stripe's fingerprints: 16 letters and digits, e.g. "Xt5EWLLDS7FJjR1c"


@dataclass(frozen=True)
class TestCard:
    brand: str
    number: str  # Stripe's public test number, never a real card
    funding: str = "credit"
    # "success", "authentication_required", "refund_fail", or a decline code.
    outcome: str = "success"
    country: str = "US"  # the issuing country; Stripe's basic test cards are US cards

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def fingerprint(self) -> str:
        return card_fingerprint(self.number)


def card_fingerprint(number: str) -> str:
    """A stable id of the card number, as Stripe's ``card.fingerprint``: same number, same fingerprint.

    Derived from the whole number, not brand and last4: several test cards share a last4 (0002 is the
    declined card, the Dutch and the Czech one) and must still be different cards.
    """
    value = int.from_bytes(hashlib.sha256(f"stripe-standin:{number}".encode()).digest(), "big")
    digits = []
    for _ in range(FINGERPRINT_LENGTH):
        value, index = divmod(value, len(_FINGERPRINT_ALPHABET))
        digits.append(_FINGERPRINT_ALPHABET[index])
    return "".join(digits)


TEST_CARDS: dict[str, TestCard] = {
    "pm_card_visa": TestCard("visa", "4242424242424242"),
    "pm_card_us": TestCard("visa", "4242424242424242"),  # Stripe's US card of the country table
    "pm_card_visa_debit": TestCard("visa", "4000056655665556", funding="debit"),
    "pm_card_mastercard": TestCard("mastercard", "5555555555554444"),
    "pm_card_amex": TestCard("amex", "378282246310005"),
    # A brand Stripe offers no multicapture for here (one capture per PaymentIntent).
    "pm_card_unionpay": TestCard("unionpay", "6200000000000005"),
    "pm_card_chargeDeclined": TestCard("visa", "4000000000000002", outcome="generic_decline"),
    "pm_card_chargeDeclinedInsufficientFunds": TestCard(
        "visa", "4000000000009995", outcome="insufficient_funds"
    ),
    "pm_card_chargeDeclinedLostCard": TestCard("visa", "4000000000009987", outcome="lost_card"),
    "pm_card_chargeDeclinedExpiredCard": TestCard("visa", "4000000000000069", outcome="expired_card"),
    "pm_card_chargeDeclinedIncorrectCvc": TestCard("visa", "4000000000000127", outcome="incorrect_cvc"),
    # Its issuing country is not verified here (the number carries 276, Germany's numeric code): US,
    # like the basic cards.
    "pm_card_authenticationRequired": TestCard("visa", "4000002760003184", outcome="authentication_required"),
    "pm_card_threeDSecure2Required": TestCard("visa", "4000000000003220", outcome="authentication_required"),
    "pm_card_refundFail": TestCard("visa", "4000000000005126", outcome="refund_fail"),
    # Stripe's "International cards" (https://docs.stripe.com/testing#international-cards): Visa cards
    # issued in the country the token names; the digits after 4000 00 are its ISO 3166 numeric code.
    "pm_card_at": TestCard("visa", "4000000400000008", country="AT"),
    "pm_card_cz": TestCard("visa", "4000002030000002", country="CZ"),
    "pm_card_de": TestCard("visa", "4000002760000016", country="DE"),
    "pm_card_es": TestCard("visa", "4000007240000007", country="ES"),
    "pm_card_fr": TestCard("visa", "4000002500000003", country="FR"),
    "pm_card_gb": TestCard("visa", "4000008260000000", country="GB"),
    "pm_card_it": TestCard("visa", "4000003800000008", country="IT"),
    "pm_card_nl": TestCard("visa", "4000005280000002", country="NL"),
    "pm_card_pl": TestCard("visa", "4000006160000005", country="PL"),
    "pm_card_ro": TestCard("visa", "4000006420000001", country="RO"),
    # Stripe documents no Ukrainian test card; a UA shopper is simulated with billing_details instead.
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
    # Not a settlement currency, so not in Stripe's table: Stripe converts the account's minimum (0.50
    # USD/EUR) at the day's rate, about 20-25 UAH; the stand-in fixes it at 20.00 UAH.
    "uah": 2000,
}  # fmt: skip
ZERO_DECIMAL = frozenset({"jpy", "krw", "vnd", "clp", "pyg", "ugx", "xaf", "xof", "bif", "djf", "gnf", "kmf"})
MAXIMUM_AMOUNT = 99_999_999


def minor_unit_exponent(currency: str) -> int:
    return 0 if currency in ZERO_DECIMAL else 2
