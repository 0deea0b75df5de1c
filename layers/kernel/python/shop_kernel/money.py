"""Money as integer minor units plus an ISO-4217 currency. Never float.

Allocation splits an amount over ratios with the largest-remainder method so parts always add up to the
whole (used for discounts per line and for partial refunds).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

# ISO-4217 active codes with their minor-unit exponent. Codes not listed are rejected.
MINOR_UNITS: dict[str, int] = {
    "AED": 2,
    "AUD": 2,
    "BGN": 2,
    "BRL": 2,
    "CAD": 2,
    "CHF": 2,
    "CLP": 0,
    "CNY": 2,
    "CZK": 2,
    "DKK": 2,
    "EUR": 2,
    "GBP": 2,
    "HKD": 2,
    "HUF": 2,
    "IDR": 2,
    "ILS": 2,
    "INR": 2,
    "ISK": 0,
    "JPY": 0,
    "KRW": 0,
    "KWD": 3,
    "MDL": 2,
    "MXN": 2,
    "NOK": 2,
    "NZD": 2,
    "PLN": 2,
    "RON": 2,
    "RSD": 2,
    "SAR": 2,
    "SEK": 2,
    "SGD": 2,
    "THB": 2,
    "TRY": 2,
    "TWD": 2,
    "UAH": 2,
    "USD": 2,
    "ZAR": 2,
    "BHD": 3,
    "GEL": 2,
    "KZT": 2,
}


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were combined."""


def validate_currency(code: str) -> str:
    if code not in MINOR_UNITS:
        raise ValueError(f"unknown currency {code!r}: expected an ISO-4217 code such as EUR, USD or UAH")
    return code


Currency = Annotated[str, Field(min_length=3, max_length=3, pattern=r"^[A-Z]{3}$", examples=["EUR"])]


class Money(BaseModel):
    """An amount of money. ``amount`` is in minor units (cents), ``currency`` an ISO-4217 code."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    amount: StrictInt = Field(description="Amount in minor units of the currency (e.g. cents)")
    currency: Currency

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        return validate_currency(value)

    @classmethod
    def of(cls, amount: int, currency: str) -> Money:
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise TypeError("Money amount must be an int number of minor units")
        return cls(amount=amount, currency=currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(amount=0, currency=currency)

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(amount=self.amount - other.amount, currency=self.currency)

    def __mul__(self, factor: int) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, int):
            raise TypeError("Money can only be multiplied by an int; use percent_of() for rates")
        return Money(amount=self.amount * factor, currency=self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(amount=-self.amount, currency=self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    @property
    def is_zero(self) -> bool:
        return self.amount == 0

    def percent_of(self, basis_points: int) -> Money:
        """``basis_points``/10000 of this amount, rounded half-up away from zero (deterministic)."""
        numerator = self.amount * basis_points
        sign = -1 if numerator < 0 else 1
        quotient, remainder = divmod(abs(numerator), 10_000)
        if remainder * 2 >= 10_000:
            quotient += 1
        return Money(amount=sign * quotient, currency=self.currency)

    def allocate(self, ratios: Sequence[int]) -> list[Money]:
        """Split into parts proportional to integer ``ratios``; parts add up exactly to the whole."""
        if not ratios or any(r < 0 for r in ratios) or sum(ratios) == 0:
            raise ValueError("ratios must be non-negative integers with a positive sum")
        total = sum(ratios)
        sign = -1 if self.amount < 0 else 1
        whole = abs(self.amount)
        shares = [whole * r // total for r in ratios]
        remainders = sorted(range(len(ratios)), key=lambda i: (-(whole * ratios[i] % total), i))
        for i in remainders[: whole - sum(shares)]:
            shares[i] += 1
        return [Money(amount=sign * s, currency=self.currency) for s in shares]

    def format(self) -> str:
        exponent = MINOR_UNITS[self.currency]
        sign = "-" if self.amount < 0 else ""
        if exponent == 0:
            return f"{sign}{abs(self.amount)} {self.currency}"
        major, minor = divmod(abs(self.amount), 10**exponent)
        return f"{sign}{major}.{minor:0{exponent}d} {self.currency}"

    def to_item(self) -> dict[str, Any]:
        return {"amount": self.amount, "currency": self.currency}
