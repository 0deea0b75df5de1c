"""Locations and stock for the inventory domain tests (Kyiv time: UTC+2 in winter, UTC+3 in summer)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from inventory.domain.models import Location, StockLevel

WEEKDAYS_9_TO_20 = {d: [{"opens": "09:00", "closes": "20:00"}] for d in ("mon", "tue", "wed", "thu", "fri")}


def location(location_id: str, kind: str = "store", **overrides: Any) -> Location:
    body: dict[str, Any] = {
        "id": location_id,
        "kind": kind,
        "name": {"en": location_id.title(), "uk": location_id.upper()},
        "address": {"line1": "Khreshchatyk 1", "city": "Kyiv", "country": "UA"},
        "timezone": "Europe/Kyiv",
        "opening_hours": {**WEEKDAYS_9_TO_20, "sat": [{"opens": "10:00", "closes": "16:00"}]},
        "pickup": kind == "store",
        "updated_at": "2026-01-01T00:00:00.000Z",
    }
    if kind == "warehouse":
        body.update(carrier_cutoff="15:00", opening_hours=WEEKDAYS_9_TO_20)
    body.update(overrides)
    return Location.model_validate(body)


def level(sku: str, location_id: str, available: int, reserved: int = 0) -> StockLevel:
    return StockLevel(
        sku=sku,
        location_id=location_id,
        on_hand=available + reserved,
        reserved=reserved,
        available=available,
        version=1,
    )


def kyiv(text: str) -> datetime:
    """``2026-03-02 10:00`` Kyiv winter time (UTC+2) as a UTC instant."""
    naive = datetime.fromisoformat(text)
    from zoneinfo import ZoneInfo

    return naive.replace(tzinfo=ZoneInfo("Europe/Kyiv")).astimezone(UTC)


@pytest.fixture
def store() -> Location:
    return location(
        "podil",
        handling_minutes=30,
        transfer_lead_time_hours={"kyiv-dc": 20},
        default_transfer_lead_time_hours=48,
    )


@pytest.fixture
def warehouse() -> Location:
    return location("kyiv-dc", "warehouse", priority=10)
