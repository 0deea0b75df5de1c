"""Shipping charges from a rules table: flat rates and weight bands per zone.

The rules are data (the cart/checkout adapter loads them from its table); their evaluation is domain
code, here. For a request the first rule (in table order) whose method matches and whose zone contains
the destination country wins; a zone with no countries is "rest of the world", so put it last. A flat
rule charges its price; a weight rule charges the first band whose ``up_to_grams`` covers the parcel.
A rule without a price in the cart currency, or a parcel heavier than every band, gives no quote.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import Field, model_validator

from pricing.domain.models import MethodCode, Strict
from pricing.domain.ports import CarrierQuotes, ShipmentRequest, ShippingQuote
from pricing.domain.promotions import amount_in
from shop_kernel.errors import ValidationFailed
from shop_kernel.money import Money


class FlatRate(Strict):
    kind: Literal["flat"] = "flat"
    prices: tuple[Money, ...] = Field(min_length=1)


class WeightBand(Strict):
    up_to_grams: int = Field(ge=1)
    prices: tuple[Money, ...] = Field(min_length=1)


class WeightRate(Strict):
    kind: Literal["weight"] = "weight"
    bands: tuple[WeightBand, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _ascending(self) -> WeightRate:
        limits = [band.up_to_grams for band in self.bands]
        if limits != sorted(set(limits)):
            raise ValueError("weight bands must be in ascending order of up_to_grams")
        return self


Rate = Annotated[FlatRate | WeightRate, Field(discriminator="kind")]


class ShippingRule(Strict):
    method: MethodCode
    zone: str = Field(min_length=1, max_length=40)
    countries: frozenset[str] = frozenset()
    rate: Rate
    includes_tax: bool = True

    def serves(self, request: ShipmentRequest) -> bool:
        return self.method == request.method and (not self.countries or request.country in self.countries)

    def price_for(self, request: ShipmentRequest) -> Money | None:
        if isinstance(self.rate, FlatRate):
            return amount_in(self.rate.prices, request.currency)
        band = next((b for b in self.rate.bands if request.weight_grams <= b.up_to_grams), None)
        return amount_in(band.prices, request.currency) if band else None


class RuleBasedCarrierQuotes:
    """A ``CarrierQuotes`` that evaluates a rules table held in memory."""

    def __init__(self, rules: Sequence[ShippingRule]) -> None:
        self._rules = tuple(rules)

    def quote(self, request: ShipmentRequest) -> ShippingQuote | None:
        rule = next((r for r in self._rules if r.serves(request)), None)
        if rule is None:
            return None
        price = rule.price_for(request)
        return ShippingQuote(price=price, includes_tax=rule.includes_tax) if price is not None else None


def quote_shipping(carriers: CarrierQuotes, request: ShipmentRequest, prefix: str) -> ShippingQuote:
    quote = carriers.quote(request)
    if quote is None:
        raise ValidationFailed.on(
            f"{prefix}.shipping_method",
            f"{request.method} shipping is not available to {request.country} for this parcel",
            "not_available",
        )
    if quote.price.currency != request.currency or quote.price.amount < 0:
        raise ValidationFailed.on(
            f"{prefix}.currency", "no shipping charge in this currency", "currency_mismatch"
        )
    return quote
