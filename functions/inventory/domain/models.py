"""Locations (warehouses and stores) and stock levels, as ops manage them."""

from __future__ import annotations

import re
from datetime import date, time
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator, model_validator

from shop_kernel.address import POSTAL_CODE_PATTERN, Address

MAX_STOCK = 1_000_000  # one SKU at one location; a larger figure is a typo, not a delivery
MAX_LINE_QUANTITY = 1_000  # per reservation line and per adjustment of a shopper's order
MAX_DELTA = MAX_STOCK
LOCATION_ID = r"^[a-z0-9][a-z0-9-]{1,39}$"
SKU = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_POSTAL_CODE = re.compile(POSTAL_CODE_PATTERN)

LocationId = Annotated[str, Field(pattern=LOCATION_ID, examples=["kyiv-dc", "lviv-centre"])]
Sku = Annotated[str, Field(pattern=SKU, examples=["LAP-0001-BLK"])]
Quantity = Annotated[StrictInt, Field(ge=1, le=MAX_LINE_QUANTITY)]
StockFigure = Annotated[StrictInt, Field(ge=0, le=MAX_STOCK)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocationKind(StrEnum):
    WAREHOUSE = "warehouse"
    STORE = "store"


def parse_hhmm(value: str) -> time:
    if not _HHMM.match(value):
        raise ValueError("use 24-hour HH:MM, e.g. 09:30")
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


class OpeningInterval(Model):
    opens: str = Field(examples=["09:00"])
    closes: str = Field(examples=["20:00"])

    @field_validator("opens", "closes")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        parse_hhmm(value)
        return value

    @model_validator(mode="after")
    def _opens_before_closing(self) -> OpeningInterval:
        if parse_hhmm(self.opens) >= parse_hhmm(self.closes):
            raise ValueError("closes must be after opens (intervals past midnight are not supported)")
        return self

    @property
    def opening(self) -> time:
        return parse_hhmm(self.opens)

    @property
    def closing(self) -> time:
        return parse_hhmm(self.closes)


class LocationBody(Model):
    """What ops send to create or replace a location."""

    kind: LocationKind
    name: dict[str, str] = Field(description="Localised name, e.g. {en, uk}", min_length=1)
    address: Address
    timezone: str = Field(examples=["Europe/Kyiv"])
    opening_hours: dict[str, list[OpeningInterval]] = Field(
        default_factory=dict, description="Weekday (mon..sun) -> intervals, local time; absent = closed"
    )
    closed_dates: list[date] = Field(default_factory=list, max_length=366)
    pickup: bool = Field(default=False, description="Shoppers may collect orders here (stores only)")
    priority: StrictInt = Field(default=100, ge=0, le=10_000, description="Lower ships first (warehouses)")
    carrier_cutoff: str | None = Field(
        default=None, description="Warehouses: last carrier collection of the day, local HH:MM"
    )
    transfer_lead_time_hours: dict[str, StrictInt] = Field(
        default_factory=dict, description="Stores: hours from each warehouse's dispatch to arrival here"
    )
    default_transfer_lead_time_hours: StrictInt = Field(default=48, ge=0, le=24 * 60)
    handling_minutes: StrictInt = Field(
        default=30, ge=0, le=24 * 60, description="Stores: time to get an item ready for pickup"
    )

    @field_validator("name")
    @classmethod
    def _locales(cls, value: dict[str, str]) -> dict[str, str]:
        if "en" not in value or not all(v.strip() for v in value.values()):
            raise ValueError("name needs a non-empty 'en' value")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("unknown IANA time zone, e.g. Europe/Kyiv") from exc
        return value

    @field_validator("opening_hours")
    @classmethod
    def _weekdays(cls, value: dict[str, list[OpeningInterval]]) -> dict[str, list[OpeningInterval]]:
        unknown = sorted(set(value) - set(WEEKDAYS))
        if unknown:
            raise ValueError(f"weekdays are {', '.join(WEEKDAYS)}; not {', '.join(unknown)}")
        return {day: sorted(intervals, key=lambda i: i.opens) for day, intervals in value.items()}

    @field_validator("carrier_cutoff")
    @classmethod
    def _cutoff(cls, value: str | None) -> str | None:
        if value is not None:
            parse_hhmm(value)
        return value

    @field_validator("transfer_lead_time_hours")
    @classmethod
    def _lead_times(cls, value: dict[str, int]) -> dict[str, int]:
        for warehouse, hours in value.items():
            if not re.match(LOCATION_ID, warehouse) or not 0 <= hours <= 24 * 60:
                raise ValueError("warehouse id -> hours between 0 and 1440")
        return value

    @model_validator(mode="after")
    def _kind_rules(self) -> LocationBody:
        if self.kind == LocationKind.WAREHOUSE and self.pickup:
            raise ValueError("pickup is for stores; a warehouse cannot be a pickup location")
        return self


class Location(LocationBody):
    id: LocationId
    version: int = 1
    updated_at: str

    @model_validator(mode="before")
    @classmethod
    def _stored_before_the_shared_address(cls, data: Any) -> Any:
        """Items written before locations used the shared ``Address`` say ``postcode``: read them as
        ``postal_code`` (a value that is no postal code is kept readable in ``line2``)."""
        address = data.get("address") if isinstance(data, dict) else None
        if not isinstance(address, dict) or "postcode" not in address:
            return data
        upgraded = {k: v for k, v in address.items() if k != "postcode"}
        postcode = address["postcode"]
        if postcode is not None and _POSTAL_CODE.match(postcode):
            upgraded["postal_code"] = postcode
        elif postcode:
            upgraded["line2"] = " ".join(p for p in (upgraded.get("line2"), postcode) if p)
        return {**data, "address": upgraded}

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except ZoneInfoNotFoundError as exc:  # validated on write; a stored typo must not become a 500
            raise ValueError(self.timezone) from exc

    def lead_time_hours_from(self, warehouse_id: str) -> int:
        return self.transfer_lead_time_hours.get(warehouse_id, self.default_transfer_lead_time_hours)

    def localised_name(self, locale: str) -> str:
        return self.name.get(locale) or self.name["en"]


class StockLevel(Model):
    """One SKU at one location. ``available`` = ``on_hand`` - ``reserved``, kept on the item."""

    sku: str
    location_id: str
    on_hand: int
    reserved: int
    available: int
    version: int
    updated_at: str | None = None

    def as_dict(self) -> dict[str, int | str | None]:
        return self.model_dump()
