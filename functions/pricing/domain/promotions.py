"""Promotion definitions: what a promotion gives, to which lines, when, and how it stacks.

Benefits (``benefit.kind``):

* ``percent_off`` - basis points off; ``scope=lines`` rounds per matching line, ``scope=order`` takes the
  percentage of the matching lines together and allocates it over them (largest remainder).
* ``amount_off`` - a fixed amount per currency; ``scope=lines`` is off each matching unit, ``scope=order``
  is off the matching lines together (allocated pro rata). Never more than what it applies to.
* ``buy_x_get_y`` - for every ``buy_quantity`` units bought (``buy`` selector), ``get_quantity`` units of
  the ``get`` selector (default: the same) get ``basis_points`` off (10000 = free); the cheapest units are
  the discounted ones, the dearest count as bought.
* ``free_shipping`` - the shipping charge of the listed methods (all when empty) becomes zero.

Selectors match a line by SKU, category or brand (any of them); an empty selector matches every line.
Conditions are thresholds measured on the lines the benefit targets, after the discounts of promotions
applied before it: a minimum subtotal (per currency) and a minimum quantity; plus the customer groups
allowed (empty: all). Validity is the half-open window ``[starts_at, ends_at)``.

A promotion is automatic (applies without a code) or needs one of its codes (``PromoCode``). Stacking is
explained in ``pricing.domain.stacking``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, ConfigDict, Field, model_validator

from pricing.domain.models import MethodCode, Strict
from pricing.domain.ports import CatalogItem
from shop_kernel.money import Money


class Stacking(StrEnum):
    STACKABLE = "stackable"
    EXCLUSIVE = "exclusive"


class Scope(StrEnum):
    ORDER = "order"
    LINES = "lines"


class WindowStatus(StrEnum):
    ACTIVE = "active"
    NOT_STARTED = "not_started"
    EXPIRED = "expired"


class LineSelector(Strict):
    skus: frozenset[str] = frozenset()
    category_ids: frozenset[str] = frozenset()
    brand_ids: frozenset[str] = frozenset()

    def matches(self, item: CatalogItem) -> bool:
        if not (self.skus or self.category_ids or self.brand_ids):
            return True
        return (
            item.sku in self.skus
            or not self.category_ids.isdisjoint(item.category_ids)
            or (item.brand_id is not None and item.brand_id in self.brand_ids)
        )


def _one_per_currency(amounts: tuple[Money, ...]) -> None:
    currencies = [m.currency for m in amounts]
    if len(currencies) != len(set(currencies)):
        raise ValueError("one amount per currency")
    if any(m.amount <= 0 for m in amounts):
        raise ValueError("amounts must be positive")


def amount_in(amounts: tuple[Money, ...], currency: str) -> Money | None:
    return next((m for m in amounts if m.currency == currency), None)


def _kind_required(schema: dict[str, Any]) -> None:
    """A benefit is told apart by ``kind`` (the union's discriminator): a document must say it is required,
    or a client may leave it out and be refused for what the document allowed."""
    required = schema.setdefault("required", [])
    if "kind" not in required:
        required.insert(0, "kind")


_BENEFIT_SCHEMA = ConfigDict(json_schema_extra=_kind_required)


class PercentOff(Strict):
    model_config = _BENEFIT_SCHEMA
    kind: Literal["percent_off"] = "percent_off"
    basis_points: int = Field(ge=1, le=10_000, strict=True)
    scope: Scope = Scope.ORDER
    applies_to: LineSelector = LineSelector()


class AmountOff(Strict):
    model_config = _BENEFIT_SCHEMA
    kind: Literal["amount_off"] = "amount_off"
    # At least one amount: said in the document (minItems) and checked with the others below, so that an
    # amount refused for its own sake (an unknown currency) is that error alone, not also "too short".
    amounts: tuple[Money, ...] = Field(json_schema_extra={"minItems": 1})
    scope: Scope = Scope.ORDER
    applies_to: LineSelector = LineSelector()

    @model_validator(mode="after")
    def _valid_amounts(self) -> AmountOff:
        if not self.amounts:
            raise ValueError("at least one amount")
        _one_per_currency(self.amounts)
        return self


class BuyXGetY(Strict):
    model_config = _BENEFIT_SCHEMA
    kind: Literal["buy_x_get_y"] = "buy_x_get_y"
    buy_quantity: int = Field(ge=1, le=100, strict=True)
    get_quantity: int = Field(ge=1, le=100, strict=True)
    basis_points: int = Field(default=10_000, ge=1, le=10_000, strict=True)
    applies_to: LineSelector = LineSelector()
    get: LineSelector | None = None
    max_applications: int | None = Field(default=None, ge=1)

    @property
    def get_selector(self) -> LineSelector:
        return self.get if self.get is not None else self.applies_to


class FreeShipping(Strict):
    model_config = _BENEFIT_SCHEMA
    kind: Literal["free_shipping"] = "free_shipping"
    methods: frozenset[MethodCode] = frozenset()
    applies_to: LineSelector = LineSelector()


Benefit = Annotated[PercentOff | AmountOff | BuyXGetY | FreeShipping, Field(discriminator="kind")]


class Conditions(Strict):
    min_subtotal: tuple[Money, ...] = ()
    min_quantity: int = Field(default=0, ge=0)
    customer_groups: frozenset[str] = frozenset()

    @model_validator(mode="after")
    def _valid_thresholds(self) -> Conditions:
        _one_per_currency(self.min_subtotal)
        return self


class Promotion(Strict):
    id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    benefit: Benefit
    automatic: bool = False
    # Lower numbers apply first; equal priorities are ordered by id so pricing stays deterministic.
    priority: int = Field(default=100, ge=0, le=10_000)
    stacking: Stacking = Stacking.STACKABLE
    stacking_group: str | None = None
    conditions: Conditions = Conditions()
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _window_in_order(self) -> Promotion:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self

    def window_status(self, now: datetime) -> WindowStatus:
        if self.starts_at is not None and now < self.starts_at:
            return WindowStatus.NOT_STARTED
        if self.ends_at is not None and now >= self.ends_at:
            return WindowStatus.EXPIRED
        return WindowStatus.ACTIVE

    def priced_in(self, currency: str) -> bool:
        """False when the promotion names amounts or thresholds, none of them in ``currency``."""
        if self.conditions.min_subtotal and amount_in(self.conditions.min_subtotal, currency) is None:
            return False
        if isinstance(self.benefit, AmountOff):
            return amount_in(self.benefit.amounts, currency) is not None
        return True

    def sort_key(self) -> tuple[int, str]:
        return (self.priority, self.id)


class PromoCode(Strict):
    """One code that unlocks a promotion, with its usage limits (None: unlimited)."""

    code: str = Field(min_length=1, max_length=64)
    promotion_id: str
    usage_limit: int | None = Field(default=None, ge=1)
    per_customer_limit: int | None = Field(default=None, ge=1)
    # Set by the back office: a disabled code is refused by cart and checkout, and no use is counted.
    disabled_at: AwareDatetime | None = None
    # A personal code (loyalty's automatic coupons): usable by its owner only (a Cognito sub), within its
    # own window ``[valid_from, valid_until)`` as well as its promotion's.
    owner: str | None = Field(default=None, min_length=1, max_length=128)
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None

    @model_validator(mode="after")
    def _own_window_in_order(self) -> PromoCode:
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            raise ValueError("valid_until must be after valid_from")
        return self

    def window_status(self, now: datetime) -> WindowStatus:
        if self.valid_from is not None and now < self.valid_from:
            return WindowStatus.NOT_STARTED
        if self.valid_until is not None and now >= self.valid_until:
            return WindowStatus.EXPIRED
        return WindowStatus.ACTIVE


def normalise_code(raw: str) -> str:
    """Codes are case-insensitive and typed by people: compare them trimmed and upper-cased."""
    return raw.strip().upper()
