"""Fraud screening of an authorised payment: a points score, and manual review above a threshold.

When Stripe reports that a payment was authorised, the webhook handler collects what it knows about the
order (``RiskSignals``) and calls ``assess``. An order whose score reaches ``review_threshold`` (default
60 out of a maximum of 100) is flagged for manual review, and the fulfilment workflow waits for a person
to release or cancel it. Every rule that fires adds a ``RiskReason`` (code, points, detail) so the
reviewer sees why. No single weak signal reaches the threshold on its own; it takes several together,
or one strong signal repeated (the same card many times in an hour).

Rules, in the order their reasons are listed:

* Velocity, per customer (customer id, or e-mail for guests), per client IP and per card fingerprint.
  Above the orders allowed per hour (3, 5, 3), the first order over gives 20 points and each further
  one 10 more, capped per rule (40, 30, 60). An IP is shared (offices, mobile carriers) so it is allowed
  more and capped lower; one card used again and again is the strongest of the three.
* Address mismatch. Billing country differs from shipping country (10: gifts are common); card country
  differs from shipping country (15); IP country differs from both billing and shipping (10: VPNs and
  travel make it noisy). For store pickup the caller passes the store's country as shipping country.
* Order value. Per-currency tiers; the highest tier the amount reaches counts (EUR 1,000 -> 15,
  EUR 3,000 -> 30, with USD and UAH equivalents). A currency without tiers is not scored for value.
* High value together with a guest checkout (10), a prepaid card (15) or a first order (10). "High value"
  means the amount reaches the lowest value tier of its currency.

An unknown signal (None, or card funding ``unknown``) never fires a rule: missing data is not evidence of
fraud. The rules that could not be evaluated, including the value rules for a currency without tiers,
are listed in ``RiskAssessment.not_evaluated`` rather than as zero-point reasons, so every reason carries
points and the score is simply their sum, capped at ``max_score``.

Velocity counts include the order being assessed and come from fixed UTC hour buckets
(``velocity_bucket``, ``velocity_keys``): one counter item per dimension per hour, incremented
atomically, which is cheap in DynamoDB. It approximates "in the last hour": a burst that straddles the
hour boundary is split over two buckets.

``assess`` is pure and deterministic: the same signals and policy give the same assessment. The policy
carries a ``version`` copied into each assessment, so a stored assessment says which rules produced it;
bump ``POLICY_VERSION`` when a rule or a default number changes, and give an overridden policy its own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shop_kernel.limits import normalise_ip
from shop_kernel.money import Money

POLICY_VERSION = "fraud-rules-2026-12.1"

CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$", examples=["DE"])]
OrderCount = Annotated[int, Field(ge=0, strict=True)]
Points = Annotated[int, Field(ge=0, le=1_000, strict=True)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VelocityDimension(StrEnum):
    CUSTOMER = "customer"
    IP = "ip"
    CARD = "card"


class CardFunding(StrEnum):
    CREDIT = "credit"
    DEBIT = "debit"
    PREPAID = "prepaid"
    UNKNOWN = "unknown"


class RiskCode(StrEnum):
    """Rule codes, declared in the order reasons are listed."""

    CUSTOMER_VELOCITY = "customer_velocity"
    IP_VELOCITY = "ip_velocity"
    CARD_VELOCITY = "card_velocity"
    BILLING_COUNTRY_MISMATCH = "billing_country_mismatch"
    CARD_COUNTRY_MISMATCH = "card_country_mismatch"
    IP_COUNTRY_MISMATCH = "ip_country_mismatch"
    HIGH_VALUE = "high_value"
    GUEST_HIGH_VALUE = "guest_high_value"
    PREPAID_HIGH_VALUE = "prepaid_high_value"
    FIRST_ORDER_HIGH_VALUE = "first_order_high_value"


class RiskDecision(StrEnum):
    ACCEPT = "accept"
    REVIEW = "review"


class VelocityKey(Strict):
    """One hourly counter to increment for this order: ``dimension`` + ``value`` within ``bucket``."""

    dimension: VelocityDimension
    value: str = Field(min_length=1)
    bucket: str = Field(pattern=r"^\d{10}$", examples=["2026120214"])


def velocity_bucket(moment: datetime) -> str:
    """The UTC hour ``moment`` falls in, as ``YYYYMMDDHH``; ``moment`` must be timezone-aware."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("velocity buckets need a timezone-aware datetime")
    return moment.astimezone(UTC).strftime("%Y%m%d%H")


def velocity_keys(
    customer_key: str | None, ip: str | None, card_fingerprint: str | None, moment: datetime
) -> list[VelocityKey]:
    """The counters an order increments, in dimension order; unknown (None or empty) values are skipped."""
    bucket = velocity_bucket(moment)
    values = [
        (VelocityDimension.CUSTOMER, customer_key),
        (VelocityDimension.IP, normalise_ip(ip) if ip else None),
        (VelocityDimension.CARD, card_fingerprint),
    ]
    return [
        VelocityKey(dimension=dimension, value=value, bucket=bucket) for dimension, value in values if value
    ]


class RiskSignals(Strict):
    """What the webhook handler knows about an authorised payment. None means unknown."""

    order_id: str = Field(min_length=1, max_length=64)
    amount: Money = Field(description="What is being paid")
    # Orders in the current UTC hour bucket, including this one.
    orders_by_customer: OrderCount | None = None
    orders_by_ip: OrderCount | None = None
    orders_by_card: OrderCount | None = None
    # For store pickup, the store's country.
    shipping_country: CountryCode | None = None
    billing_country: CountryCode | None = None
    card_country: CountryCode | None = None
    ip_country: CountryCode | None = None
    guest: bool
    first_order: bool | None = None
    card_funding: CardFunding | None = None
    # Carried for the reviewer; no rule scores it.
    email: str | None = Field(default=None, max_length=254)

    @field_validator("amount")
    @classmethod
    def _not_negative(cls, value: Money) -> Money:
        if value.amount < 0:
            raise ValueError("the amount paid cannot be negative")
        return value


class VelocityRule(Strict):
    """Orders allowed per hour; beyond that, points grow with each further order up to a cap."""

    allowed_per_hour: int = Field(ge=1, strict=True)
    first_excess_points: Points = 20
    points_per_further_order: Points = 10
    max_points: Points

    def points_for(self, orders: int) -> int:
        excess = orders - self.allowed_per_hour
        if excess <= 0:
            return 0
        return min(self.max_points, self.first_excess_points + (excess - 1) * self.points_per_further_order)


class ValueTier(Strict):
    """An amount at or above ``at_least`` (in its currency) scores ``points``."""

    at_least: Money
    points: int = Field(ge=1, le=1_000, strict=True)

    @field_validator("at_least")
    @classmethod
    def _positive(cls, value: Money) -> Money:
        if value.amount <= 0:
            raise ValueError("a value tier starts at a positive amount")
        return value


DEFAULT_VALUE_TIERS = (
    ValueTier(at_least=Money.of(1_000_00, "EUR"), points=15),
    ValueTier(at_least=Money.of(3_000_00, "EUR"), points=30),
    ValueTier(at_least=Money.of(1_100_00, "USD"), points=15),
    ValueTier(at_least=Money.of(3_300_00, "USD"), points=30),
    ValueTier(at_least=Money.of(45_000_00, "UAH"), points=15),
    ValueTier(at_least=Money.of(135_000_00, "UAH"), points=30),
)


class RiskPolicy(Strict):
    """Points per rule and the review threshold. A rule given 0 points is switched off."""

    version: str = Field(default=POLICY_VERSION, min_length=1)
    review_threshold: int = Field(default=60, ge=1, strict=True)
    max_score: int = Field(default=100, ge=1, strict=True)
    customer_velocity: VelocityRule = VelocityRule(allowed_per_hour=3, max_points=40)
    ip_velocity: VelocityRule = VelocityRule(allowed_per_hour=5, max_points=30)
    card_velocity: VelocityRule = VelocityRule(allowed_per_hour=3, max_points=60)
    billing_country_mismatch_points: Points = 10
    card_country_mismatch_points: Points = 15
    ip_country_mismatch_points: Points = 10
    value_tiers: tuple[ValueTier, ...] = DEFAULT_VALUE_TIERS
    guest_high_value_points: Points = 10
    prepaid_high_value_points: Points = 15
    first_order_high_value_points: Points = 10

    @model_validator(mode="after")
    def _consistent(self) -> RiskPolicy:
        if self.review_threshold > self.max_score:
            raise ValueError("review_threshold cannot exceed max_score: no order could ever be reviewed")
        starts = [tier.at_least for tier in self.value_tiers]
        if len(starts) != len(set(starts)):
            raise ValueError("value tiers must start at different amounts")
        return self

    def rates_value_in(self, currency: str) -> bool:
        return any(tier.at_least.currency == currency for tier in self.value_tiers)

    def value_tier(self, amount: Money) -> ValueTier | None:
        """The highest tier ``amount`` reaches in its currency, if any."""
        reached = [
            tier
            for tier in self.value_tiers
            if tier.at_least.currency == amount.currency and tier.at_least.amount <= amount.amount
        ]
        return max(reached, key=lambda tier: tier.at_least.amount, default=None)


DEFAULT_POLICY = RiskPolicy()


class RiskReason(Strict):
    code: RiskCode
    points: int = Field(ge=1)
    detail: str


class RiskAssessment(Strict):
    score: int = Field(ge=0)
    decision: RiskDecision
    reasons: list[RiskReason]
    # Rules skipped because a signal they need is unknown (or the currency has no value tiers).
    not_evaluated: list[RiskCode]
    policy_version: str

    @property
    def needs_review(self) -> bool:
        return self.decision is RiskDecision.REVIEW


Rule = Callable[[RiskSignals, RiskPolicy], RiskReason | None]


def _reason(code: RiskCode, points: int, detail: str) -> RiskReason | None:
    return RiskReason(code=code, points=points, detail=detail) if points > 0 else None


def _velocity(code: RiskCode, orders: int | None, rule: VelocityRule, per: str) -> RiskReason | None:
    if orders is None:
        return None
    detail = f"{orders} orders this hour {per}; {rule.allowed_per_hour} allowed"
    return _reason(code, rule.points_for(orders), detail)


def _customer_velocity(signals: RiskSignals, policy: RiskPolicy) -> RiskReason | None:
    return _velocity(
        RiskCode.CUSTOMER_VELOCITY, signals.orders_by_customer, policy.customer_velocity, "by this customer"
    )


def _ip_velocity(signals: RiskSignals, policy: RiskPolicy) -> RiskReason | None:
    return _velocity(RiskCode.IP_VELOCITY, signals.orders_by_ip, policy.ip_velocity, "from this IP")


def _card_velocity(signals: RiskSignals, policy: RiskPolicy) -> RiskReason | None:
    return _velocity(RiskCode.CARD_VELOCITY, signals.orders_by_card, policy.card_velocity, "with this card")


def _billing_country_mismatch(signals: RiskSignals, policy: RiskPolicy) -> RiskReason | None:
    billing, shipping = signals.billing_country, signals.shipping_country
    if billing is None or shipping is None or billing == shipping:
        return None
    detail = f"billing country {billing} differs from shipping country {shipping}"
    return _reason(RiskCode.BILLING_COUNTRY_MISMATCH, policy.billing_country_mismatch_points, detail)


def _card_country_mismatch(signals: RiskSignals, policy: RiskPolicy) -> RiskReason | None:
    card, shipping = signals.card_country, signals.shipping_country
    if card is None or shipping is None or card == shipping:
        return None
    detail = f"card country {card} differs from shipping country {shipping}"
    return _reason(RiskCode.CARD_COUNTRY_MISMATCH, policy.card_country_mismatch_points, detail)


def _addresses(signals: RiskSignals) -> dict[str, str]:
    """The known countries the IP country is compared with, by what they are."""
    named = {"billing": signals.billing_country, "shipping": signals.shipping_country}
    return {name: country for name, country in named.items() if country is not None}


def _ip_country_mismatch(signals: RiskSignals, policy: RiskPolicy) -> RiskReason | None:
    ip, known = signals.ip_country, _addresses(signals)
    if ip is None or not known or ip in known.values():
        return None
    compared = " and ".join(f"{name} country {country}" for name, country in known.items())
    detail = f"IP country {ip} differs from {compared}"
    return _reason(RiskCode.IP_COUNTRY_MISMATCH, policy.ip_country_mismatch_points, detail)


def _high_value(signals: RiskSignals, policy: RiskPolicy) -> RiskReason | None:
    tier = policy.value_tier(signals.amount)
    if tier is None:
        return None
    detail = f"{signals.amount.format()} reaches the {tier.at_least.format()} value tier"
    return _reason(RiskCode.HIGH_VALUE, tier.points, detail)


def _with_high_value(
    code: RiskCode, applies: bool, points: int, signals: RiskSignals, policy: RiskPolicy, what: str
) -> RiskReason | None:
    if not applies or policy.value_tier(signals.amount) is None:
        return None
    return _reason(code, points, f"{what} paying {signals.amount.format()}")


def _guest_high_value(signals: RiskSignals, policy: RiskPolicy) -> RiskReason | None:
    code, points = RiskCode.GUEST_HIGH_VALUE, policy.guest_high_value_points
    return _with_high_value(code, signals.guest, points, signals, policy, "guest checkout")


def _prepaid_high_value(signals: RiskSignals, policy: RiskPolicy) -> RiskReason | None:
    code, points = RiskCode.PREPAID_HIGH_VALUE, policy.prepaid_high_value_points
    prepaid = signals.card_funding is CardFunding.PREPAID
    return _with_high_value(code, prepaid, points, signals, policy, "prepaid card")


def _first_order_high_value(signals: RiskSignals, policy: RiskPolicy) -> RiskReason | None:
    code, points = RiskCode.FIRST_ORDER_HIGH_VALUE, policy.first_order_high_value_points
    return _with_high_value(code, signals.first_order is True, points, signals, policy, "first order")


RULES: tuple[Rule, ...] = (
    _customer_velocity,
    _ip_velocity,
    _card_velocity,
    _billing_country_mismatch,
    _card_country_mismatch,
    _ip_country_mismatch,
    _high_value,
    _guest_high_value,
    _prepaid_high_value,
    _first_order_high_value,
)


def _not_evaluated(signals: RiskSignals, policy: RiskPolicy) -> list[RiskCode]:
    unrated = not policy.rates_value_in(signals.amount.currency)
    shipping_unknown = signals.shipping_country is None
    missing = {
        RiskCode.CUSTOMER_VELOCITY: signals.orders_by_customer is None,
        RiskCode.IP_VELOCITY: signals.orders_by_ip is None,
        RiskCode.CARD_VELOCITY: signals.orders_by_card is None,
        RiskCode.BILLING_COUNTRY_MISMATCH: signals.billing_country is None or shipping_unknown,
        RiskCode.CARD_COUNTRY_MISMATCH: signals.card_country is None or shipping_unknown,
        RiskCode.IP_COUNTRY_MISMATCH: signals.ip_country is None or not _addresses(signals),
        RiskCode.HIGH_VALUE: unrated,
        RiskCode.GUEST_HIGH_VALUE: unrated,
        RiskCode.PREPAID_HIGH_VALUE: unrated or signals.card_funding in (None, CardFunding.UNKNOWN),
        RiskCode.FIRST_ORDER_HIGH_VALUE: unrated or signals.first_order is None,
    }
    return [code for code in RiskCode if missing[code]]


def assess(signals: RiskSignals, policy: RiskPolicy = DEFAULT_POLICY) -> RiskAssessment:
    """Score an authorised payment; ``review`` when the capped score reaches the policy's threshold."""
    reasons = [reason for rule in RULES if (reason := rule(signals, policy)) is not None]
    score = min(policy.max_score, sum(reason.points for reason in reasons))
    decision = RiskDecision.REVIEW if score >= policy.review_threshold else RiskDecision.ACCEPT
    return RiskAssessment(
        score=score,
        decision=decision,
        reasons=reasons,
        not_evaluated=_not_evaluated(signals, policy),
        policy_version=policy.version,
    )
