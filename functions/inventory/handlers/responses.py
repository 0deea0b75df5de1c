"""What the inventory API reads and answers, as the OpenAPI document describes it.

The domain keeps its own names (``LocationBody``, ``SetStock``...); the request bodies here are the same
models under names that say which API they belong to, because the gateway merges every context's
document into one and a component name must mean one thing. The routes build plain dicts
(``inventory.domain.views``, ``StockLevel.as_dict``, ``location_document``); the integration suite
validates every answer it gets against the served document, so these models cannot drift from them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from inventory.domain.models import Location, LocationBody, LocationKind
from inventory.domain.stock import MAX_BULK_ROWS, AdjustStock, BulkRequest, SetStock
from shop_kernel.errors import FieldError

_LOCATION_EXAMPLE: dict[str, Any] = {
    "id": "podil",
    "kind": "store",
    "name": {"en": "Podil store", "uk": "Магазин на Подолі"},
    "address": {"line1": "Sahaidachnoho 1", "city": "Kyiv", "postal_code": "04070", "country": "UA"},
    "timezone": "Europe/Kyiv",
    "opening_hours": {"mon": [{"opens": "09:00", "closes": "20:00"}]},
    "closed_dates": ["2026-12-25"],
    "pickup": True,
    "priority": 100,
    "carrier_cutoff": None,
    "transfer_lead_time_hours": {"kyiv-dc": 20},
    "default_transfer_lead_time_hours": 48,
    "handling_minutes": 30,
    "version": 2,
    "updated_at": "2026-12-01T09:30:00.000Z",
}
_LOCATION_BODY_EXAMPLE: dict[str, Any] = {
    k: v for k, v in _LOCATION_EXAMPLE.items() if k not in {"id", "version", "updated_at"}
}
_LEVEL_EXAMPLE: dict[str, Any] = {
    "sku": "LAP-0001-BLK",
    "location_id": "kyiv-dc",
    "on_hand": 10,
    "reserved": 2,
    "available": 8,
    "version": 3,
    "updated_at": "2026-12-01T09:30:00.000Z",
}


class _Documented(BaseModel):
    """Built lazily: the routes answer plain dicts, so these schemas are needed only for the document."""

    model_config = ConfigDict(defer_build=True)


# --- request bodies ------------------------------------------------------------------------------


class InventoryLocationBody(LocationBody):
    """A warehouse or a store as ops describe it; the whole location (a replacement, not a patch)."""

    model_config = ConfigDict(defer_build=True, json_schema_extra={"examples": [_LOCATION_BODY_EXAMPLE]})


class InventoryStockCount(SetStock):
    """A counted figure: the units physically on hand now."""

    model_config = ConfigDict(defer_build=True, json_schema_extra={"examples": [{"on_hand": 12}]})


class InventoryStockAdjustment(AdjustStock):
    """A movement: goods received (+) or damaged, lost (-), with the reason for the stock ledger."""

    model_config = ConfigDict(
        defer_build=True,
        json_schema_extra={"examples": [{"delta": -2, "reason": "damaged", "note": "dropped in aisle 4"}]},
    )


class InventoryBulkStock(BulkRequest):
    """Up to 200 rows, each applied and reported on its own: a bad row fails alone."""

    rows: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=MAX_BULK_ROWS,
        description=(
            "Each row: sku and location_id, then either on_hand (a count; with expected_version, the level's "
            "version, when it exists) or delta with a reason (received, counted, damaged, lost, returned, "
            "correction) and an optional note. Rows are checked one by one: an invalid row is reported as failed"
        ),
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "rows": [
                        {
                            "sku": "LAP-0001-BLK",
                            "location_id": "kyiv-dc",
                            "on_hand": 12,
                            "expected_version": 3,
                        },
                        {"sku": "LAP-0001-SLV", "location_id": "kyiv-dc", "delta": 5, "reason": "received"},
                    ]
                }
            ]
        }
    )


# --- answers -------------------------------------------------------------------------------------


class InventoryPickup(_Documented):
    """When a shopper could collect one unit at a pickup store, if ordered now."""

    available: bool = Field(description="False: no unit can reach this store for pickup")
    ready_at: str | None = Field(
        default=None,
        description="UTC ISO-8601; present when available",
        examples=["2026-12-03T08:00:00.000Z"],
    )
    date: str | None = Field(
        default=None,
        description="The store's local date of ready_at; present when available",
        examples=["2026-12-03"],
    )
    source: Literal["in_store", "transfer"] | None = Field(
        default=None, description="From the store's own shelf, or transferred from a warehouse"
    )
    from_location_id: str | None = Field(
        default=None, description="Where the unit comes from", examples=["kyiv-dc"]
    )


class InventoryLocationAvailability(_Documented):
    location_id: str = Field(examples=["podil"])
    kind: LocationKind
    name: str = Field(description="In the negotiated language (en fallback)", examples=["Podil store"])
    country: str = Field(description="ISO 3166-1 alpha-2", examples=["UA"])
    city: str = Field(examples=["Kyiv"])
    available: int = Field(ge=0, description="Units that can be sold from here now", examples=[1])
    pickup: InventoryPickup | None = Field(default=None, description="Pickup stores only")


class InventoryAvailability(_Documented):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "sku": "LAP-0001-BLK",
                    "as_of": "2026-12-02T18:00:00.000Z",
                    "total_available": 11,
                    "locations": [
                        {
                            "location_id": "podil",
                            "kind": "store",
                            "name": "Podil store",
                            "country": "UA",
                            "city": "Kyiv",
                            "available": 1,
                            "pickup": {
                                "available": True,
                                "ready_at": "2026-12-03T07:30:00.000Z",
                                "date": "2026-12-03",
                                "source": "in_store",
                                "from_location_id": "podil",
                            },
                        },
                        {
                            "location_id": "kyiv-dc",
                            "kind": "warehouse",
                            "name": "Kyiv DC",
                            "country": "UA",
                            "city": "Kyiv",
                            "available": 10,
                        },
                    ],
                }
            ]
        }
    )

    sku: str
    as_of: str = Field(description="UTC ISO-8601: the moment the figures and estimates were computed")
    total_available: int = Field(ge=0, description="The sum over the locations shown")
    locations: list[InventoryLocationAvailability] = Field(
        description="The locations asked about (all, or those the filters leave), stores first"
    )


class InventoryLocation(Location):
    """A location as stored: what ops sent, with its id, version and last change."""

    model_config = ConfigDict(defer_build=True, json_schema_extra={"examples": [_LOCATION_EXAMPLE]})


class InventoryLocations(_Documented):
    model_config = ConfigDict(
        defer_build=True, json_schema_extra={"examples": [{"items": [_LOCATION_EXAMPLE]}]}
    )

    items: list[InventoryLocation] = Field(description="Every location, by id")


class InventoryStockLevel(_Documented):
    """One SKU at one location."""

    model_config = ConfigDict(defer_build=True, json_schema_extra={"examples": [_LEVEL_EXAMPLE]})

    sku: str
    location_id: str
    on_hand: int = Field(description="Units physically there")
    reserved: int = Field(description="Units held for orders not yet shipped")
    available: int = Field(description="on_hand - reserved: what can still be sold")
    version: int = Field(description="Also the ETag; send it as If-Match to set the level")
    updated_at: str | None = Field(description="UTC ISO-8601 of the last change")


class InventoryStockLevels(_Documented):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"sku": "LAP-0001-BLK", "levels": [_LEVEL_EXAMPLE]}]}
    )

    sku: str
    levels: list[InventoryStockLevel] = Field(description="One per location that ever held the SKU")


class InventoryBulkRowReport(_Documented):
    row: int = Field(description="The row's index in the request, from 0")
    sku: str | None = Field(description="As sent (null when not a string)")
    location_id: str | None = Field(description="As sent (null when not a string)")
    outcome: Literal["set", "adjusted", "failed"]
    level: InventoryStockLevel | None = Field(
        default=None, description="The level after the row (set, adjusted)"
    )
    status: int | None = Field(
        default=None, description="Failed rows: the status the single-row operation would have answered"
    )
    detail: str | None = Field(default=None, description="Failed rows refused by a business rule: why")
    errors: list[FieldError] = Field(default_factory=list, description="Failed rows: the offending fields")


class InventoryBulkReport(_Documented):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "rows": [
                        {
                            "row": 0,
                            "sku": "LAP-0001-BLK",
                            "location_id": "kyiv-dc",
                            "outcome": "set",
                            "level": _LEVEL_EXAMPLE,
                        },
                        {
                            "row": 1,
                            "sku": "LAP-0001-SLV",
                            "location_id": "mars",
                            "outcome": "failed",
                            "status": 404,
                            "detail": "no location 'mars'",
                            "errors": [
                                {
                                    "field": "path.location_id",
                                    "message": "no location 'mars'",
                                    "code": "unknown",
                                }
                            ],
                        },
                    ],
                    "applied": 1,
                    "failed": 1,
                }
            ]
        }
    )

    rows: list[InventoryBulkRowReport] = Field(description="One per request row, in order")
    applied: int = Field(description="Rows set or adjusted")
    failed: int = Field(description="Rows refused")
