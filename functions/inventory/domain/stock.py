"""Stock commands ops send (set a counted level, adjust by a delta with a reason) and bulk rows.

The arithmetic and the invariants (on_hand >= reserved, available never below zero) are enforced by the
adapter's conditional writes; these models only refuse what can never be valid.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, StrictInt, ValidationError, field_validator, model_validator

from inventory.domain.models import MAX_DELTA, LocationId, Model, Sku, StockFigure
from shop_kernel.errors import FieldError

MAX_BULK_ROWS = 200


class AdjustmentReason(StrEnum):
    RECEIVED = "received"
    COUNTED = "counted"
    DAMAGED = "damaged"
    LOST = "lost"
    RETURNED = "returned"
    CORRECTION = "correction"


Delta = Annotated[StrictInt, Field(ge=-MAX_DELTA, le=MAX_DELTA, description="Units in (+) or out (-); not 0")]


class SetStock(Model):
    on_hand: StockFigure = Field(description="The counted units on hand")


class AdjustStock(Model):
    delta: Delta
    reason: AdjustmentReason
    note: str | None = Field(default=None, max_length=500)

    @field_validator("delta")
    @classmethod
    def _not_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("a delta of 0 changes nothing")
        return value


class BulkRow(Model):
    """Either ``on_hand`` (set; ``expected_version`` when the level exists) or ``delta`` + ``reason``."""

    sku: Sku
    location_id: LocationId
    on_hand: StockFigure | None = None
    expected_version: StrictInt | None = Field(default=None, ge=1)
    delta: Delta | None = None
    reason: AdjustmentReason | None = None
    note: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _one_operation(self) -> BulkRow:
        if (self.on_hand is None) == (self.delta is None):
            raise ValueError("give either on_hand (set) or delta with a reason (adjust)")
        if self.delta is not None and (self.delta == 0 or self.reason is None):
            raise ValueError("an adjustment needs a non-zero delta and a reason")
        return self


class BulkRequest(Model):
    rows: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_BULK_ROWS)


def parse_row(raw: Any, index: int) -> tuple[BulkRow | None, list[FieldError]]:
    """A row, or the errors naming ``rows.<index>.<field>`` (bad rows are reported, not fatal)."""
    try:
        return BulkRow.model_validate(raw), []
    except ValidationError as exc:
        errors = [
            FieldError(
                field=".".join(["rows", str(index), *(str(p) for p in err["loc"])]),
                message=err["msg"],
                code=err["type"],
            )
            for err in exc.errors()
        ]
        return None, errors
