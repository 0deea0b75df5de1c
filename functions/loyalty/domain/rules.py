"""Loyalty's configuration: earning, redemption, tiers, cashback, expiry, and bonus campaigns.

One versioned rule set (merchandisers replace it whole, with If-Match) and campaigns beside it, each
validated here. Rates are integers: points per major currency unit, multipliers and shares in basis
points (10,000 = x1 / 100 %), money in minor units per currency.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shop_kernel.money import MINOR_UNITS, Currency

BP = 10_000
BasisPoints = Annotated[int, Field(ge=0, le=100_000, description="Basis points: 10000 = x1 or 100 %")]
Slug = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
TierName = Literal["silver", "gold", "platinum"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _known_currencies(values: dict[str, int], field: str) -> None:
    unknown = sorted(set(values) - set(MINOR_UNITS))
    if unknown:
        raise ValueError(f"{field}: unknown currency {', '.join(unknown)}")


class TierRule(Strict):
    name: TierName
    min_spend: dict[Currency, Annotated[int, Field(ge=0)]] = Field(
        description="Rolling 12-month spend (minor units) that reaches the tier, per currency"
    )
    multiplier_bp: BasisPoints = BP
    free_shipping_over: dict[Currency, Annotated[int, Field(ge=0)]] = Field(
        default_factory=dict, description="Order subtotal from which shipping is free, per currency"
    )

    @model_validator(mode="after")
    def _currencies(self) -> Self:
        _known_currencies(self.min_spend, "min_spend")
        _known_currencies(self.free_shipping_over, "free_shipping_over")
        return self


class EarningRules(Strict):
    points_per_unit: dict[Currency, Annotated[int, Field(ge=0, le=1_000)]] = Field(
        description="Points per major unit spent (1 = one point per euro), per currency"
    )
    category_multipliers_bp: dict[Slug, BasisPoints] = Field(default_factory=dict)
    brand_multipliers_bp: dict[Slug, BasisPoints] = Field(default_factory=dict)
    welcome_bonus: Annotated[int, Field(ge=0, le=1_000_000)] = 0

    @model_validator(mode="after")
    def _currencies(self) -> Self:
        _known_currencies(self.points_per_unit, "points_per_unit")
        return self


class RedemptionRules(Strict):
    point_value: dict[Currency, Annotated[int, Field(ge=1, le=10_000)]] = Field(
        description="What one point pays, in minor units, per currency"
    )
    max_share_bp: BasisPoints = Field(default=5_000, le=BP, description="The most of an order points may pay")
    excluded_categories: tuple[Slug, ...] = ()

    @model_validator(mode="after")
    def _currencies(self) -> Self:
        _known_currencies(self.point_value, "point_value")
        return self


class ExpiryRules(Strict):
    mode: Literal["inactivity", "lot"] = "inactivity"
    after_days: Annotated[int, Field(ge=30, le=3_650)] = 365
    announce_days: Annotated[int, Field(ge=1, le=90)] = 30


CouponTrigger = Literal["birthday", "tier_reached", "first_order", "win_back"]
TIER_ORDER: tuple[str, ...] = ("silver", "gold", "platinum")


class CouponRule(Strict):
    """A personal coupon issued on a trigger: a single-use code of pricing's ``promotion_id`` (what it
    gives), valid for ``valid_days`` from its issue."""

    trigger: CouponTrigger
    promotion_id: Annotated[str, Field(min_length=1, max_length=64)] = Field(
        description="The pricing promotion the code unlocks (its benefit is what the coupon gives)"
    )
    valid_days: Annotated[int, Field(ge=1, le=365)] = 30
    tiers: tuple[TierName, ...] = Field(
        default=(), description="tier_reached: the tiers whose reaching issues a coupon (all when empty)"
    )
    after_days: Annotated[int, Field(ge=7, le=3_650)] | None = Field(
        default=None, description="win_back: days without an order after which the coupon is issued"
    )

    @model_validator(mode="after")
    def _trigger_fields(self) -> Self:
        if (self.trigger == "win_back") != (self.after_days is not None):
            raise ValueError("after_days: required for win_back, and only for it")
        if self.tiers and self.trigger != "tier_reached":
            raise ValueError("tiers: only for tier_reached")
        return self


class LoyaltyRules(Strict):
    """The whole rule set; ``version`` is the stored version (its ETag)."""

    earning: EarningRules
    redemption: RedemptionRules
    tiers: tuple[TierRule, ...] = ()
    cashback_bp: BasisPoints = Field(
        default=0, le=BP, description="Share of an order paid back as store credit"
    )
    return_window_days: Annotated[int, Field(ge=0, le=365)] = 14
    category_return_window_days: dict[Slug, Annotated[int, Field(ge=0, le=365)]] = Field(default_factory=dict)
    expiry: ExpiryRules = ExpiryRules()
    adjustment_approval_over: Annotated[int, Field(ge=0)] = Field(
        default=5_000, description="Manual adjustments above this many points need a second agent"
    )
    coupons: tuple[CouponRule, ...] = Field(
        default=(), description="Automatic personal coupons, at most one rule per trigger (none: no coupons)"
    )

    @model_validator(mode="after")
    def _tiers_ascend(self) -> Self:
        names = [t.name for t in self.tiers]
        if len(set(names)) != len(names):
            raise ValueError("tiers: each tier once")
        order = ["silver", "gold", "platinum"]
        if names != sorted(names, key=order.index):
            raise ValueError("tiers: list them silver, gold, platinum")
        return self

    @model_validator(mode="after")
    def _one_coupon_rule_per_trigger(self) -> Self:
        triggers = [c.trigger for c in self.coupons]
        if len(set(triggers)) != len(triggers):
            raise ValueError("coupons: one rule per trigger")
        return self

    def coupon_rule(self, trigger: str) -> CouponRule | None:
        return next((c for c in self.coupons if c.trigger == trigger), None)

    def window_days(self, categories: tuple[str, ...]) -> int:
        """The return window of an order: the longest of its lines' categories (default when none)."""
        days = [self.category_return_window_days.get(c, self.return_window_days) for c in categories]
        return max(days, default=self.return_window_days)


class Campaign(Strict):
    """Bonus points in a time window: a multiplier on earning and/or a flat bonus per order."""

    id: Slug
    name: Annotated[str, Field(min_length=1, max_length=120)]
    starts_at: datetime
    ends_at: datetime
    multiplier_bp: BasisPoints = BP
    bonus_points: Annotated[int, Field(ge=0, le=1_000_000)] = 0
    categories: tuple[Slug, ...] = Field(
        default=(), description="Only lines of these categories; all when empty"
    )

    @model_validator(mode="after")
    def _window(self) -> Self:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("starts_at and ends_at need a UTC offset")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self

    def active(self, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at

    def applies_to(self, category: str | None) -> bool:
        return not self.categories or category in self.categories


DEFAULT_RULES = LoyaltyRules(
    earning=EarningRules(points_per_unit={"EUR": 1, "UAH": 1, "USD": 1}, welcome_bonus=100),
    redemption=RedemptionRules(point_value={"EUR": 1, "UAH": 10, "USD": 1}),
    tiers=(
        TierRule(name="silver", min_spend={"EUR": 0, "UAH": 0, "USD": 0}),
        TierRule(
            name="gold",
            min_spend={"EUR": 50_000, "UAH": 2_000_000, "USD": 50_000},
            multiplier_bp=12_500,
            free_shipping_over={"EUR": 5_000, "UAH": 200_000, "USD": 5_000},
        ),
        TierRule(
            name="platinum",
            min_spend={"EUR": 200_000, "UAH": 8_000_000, "USD": 200_000},
            multiplier_bp=15_000,
            free_shipping_over={"EUR": 0, "UAH": 0, "USD": 0},
        ),
    ),
    cashback_bp=100,
)
