"""The smallest amount Stripe charges a card, per currency (minor units): a table kept as data.

Stripe refuses a PaymentIntent below its minimum charge amount (docs.stripe.com/currencies, "Minimum and
maximum charge amounts"). Where points or gift certificates leave the card less than that but more than
nothing, checkout answers before asking Stripe, and "as many points as allowed" leaves the card either
nothing or at least the minimum (``checkout.domain.points``).

The figures are Stripe's table as published. UAH is not in it: Stripe takes the equivalent of its
minimum in the account's settlement currency (0.50 USD or EUR), which moves with the exchange rate
(about 21 UAH at 41-44 UAH to the dollar or euro); 25.00 UAH leaves room for the rate to move. A currency
in neither list falls back to 50 minor units, a floor only: add a currency here before selling in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from shop_kernel.money import Money

STRIPE_MINIMUM_CHARGE: Mapping[str, int] = MappingProxyType(
    {
        "USD": 50,
        "AED": 200,
        "AUD": 50,
        "BGN": 100,
        "BRL": 50,
        "CAD": 50,
        "CHF": 50,
        "CZK": 1500,
        "DKK": 250,
        "EUR": 50,
        "GBP": 30,
        "HKD": 400,
        "HUF": 17500,
        "INR": 50,
        "JPY": 50,
        "MXN": 1000,
        "MYR": 200,
        "NOK": 300,
        "NZD": 50,
        "PLN": 200,
        "RON": 200,
        "SEK": 300,
        "SGD": 50,
        "THB": 1000,
        # not in Stripe's table: the settlement currency's 0.50 converted, with a margin (see above)
        "UAH": 2500,
    }
)


def minimum_card_charge(currency: str) -> Money:
    """The least a card may be charged in ``currency``."""
    return Money.of(STRIPE_MINIMUM_CHARGE.get(currency, STRIPE_MINIMUM_CHARGE["USD"]), currency)


def chargeable(amount: Money) -> bool:
    """Whether a card payment of ``amount`` can be asked for: nothing at all, or at least the minimum."""
    return amount.amount == 0 or amount.amount >= minimum_card_charge(amount.currency).amount
