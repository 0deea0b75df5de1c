"""Reservation events from item changes, and what location and stock models refuse."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from inventory.domain.events import events_for_change
from inventory.domain.models import LocationBody
from inventory.domain.stock import AdjustStock, SetStock, parse_row

ACTIVE: dict[str, Any] = {
    "type": "reservation",
    "reservation_id": "res_1",
    "order_id": "ord_1",
    "status": "active",
    "lines": [{"sku": "SKU-A", "location_id": "kyiv-dc", "quantity": 2}],
    "created_at": "2026-03-02T09:00:00.000Z",
}


def test_expiry_emits_one_event_with_a_deterministic_id() -> None:
    # GIVEN a reservation turning expired
    new = {**ACTIVE, "status": "expired", "finished_at": "2026-03-02T09:15:00.000Z"}
    # WHEN its change is read twice (a replay)
    first, again = events_for_change(ACTIVE, new), events_for_change(ACTIVE, new)
    # THEN one ReservationExpired, same id both times
    assert [e.detail_type for e in first] == ["ReservationExpired"]
    assert first[0].source == "shop.inventory"
    assert first[0].metadata.event_id == again[0].metadata.event_id
    assert first[0].data["lines"] == [{"sku": "SKU-A", "location_id": "kyiv-dc", "quantity": 2}]


def test_tombstone_insert_emits_expired_and_release_emits_released() -> None:
    tombstone = {**ACTIVE, "status": "expired", "finished_at": "2026-03-02T10:00:00.000Z"}
    assert [e.detail_type for e in events_for_change(None, tombstone)] == ["ReservationExpired"]
    released = {**ACTIVE, "status": "released", "finished_at": "2026-03-02T10:00:00.000Z"}
    assert [e.detail_type for e in events_for_change(ACTIVE, released)] == ["ReservationReleased"]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (None, ACTIVE),
        (ACTIVE, {**ACTIVE, "status": "committed"}),
        (ACTIVE, None),
        ({**ACTIVE, "status": "expired"}, {**ACTIVE, "status": "expired"}),
    ],
)
def test_other_changes_emit_nothing(old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
    assert events_for_change(old, new) == []


BODY = {
    "kind": "store",
    "name": {"en": "Podil", "uk": "Поділ"},
    "address": {"line1": "Sahaidachnoho 1", "city": "Kyiv", "country": "UA"},
    "timezone": "Europe/Kyiv",
    "opening_hours": {"mon": [{"opens": "09:00", "closes": "20:00"}]},
    "pickup": True,
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"opening_hours": {"funday": []}}, "opening_hours"),
        ({"opening_hours": {"mon": [{"opens": "20:00", "closes": "09:00"}]}}, "opening_hours"),
        ({"opening_hours": {"mon": [{"opens": "9am", "closes": "20:00"}]}}, "opening_hours"),
        ({"kind": "warehouse", "pickup": True}, ""),
        ({"carrier_cutoff": "25:00"}, "carrier_cutoff"),
        ({"name": {"uk": "Поділ"}}, "name"),
        ({"price": 1}, "price"),
    ],
)
def test_bad_locations_are_refused(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        LocationBody.model_validate({**BODY, **change})
    assert any(field in ".".join(map(str, e["loc"])) for e in raised.value.errors())


@pytest.mark.parametrize("value", [-1, 1_000_001, 2.5, "7", None])
def test_set_stock_needs_a_bounded_integer(value: object) -> None:
    with pytest.raises(ValidationError):
        SetStock.model_validate({"on_hand": value})


@pytest.mark.parametrize("delta", [0, 1.0, "3", 2_000_000])
def test_adjustments_need_a_nonzero_integer_delta(delta: object) -> None:
    with pytest.raises(ValidationError):
        AdjustStock.model_validate({"delta": delta, "reason": "received"})


def test_bulk_row_errors_name_the_row_and_field() -> None:
    # GIVEN a row with both a set and an adjustment, and one with a float
    _, both = parse_row(
        {"sku": "S-1", "location_id": "kyiv-dc", "on_hand": 1, "delta": 1, "reason": "received"}, 3
    )
    _, floaty = parse_row({"sku": "S-1", "location_id": "kyiv-dc", "on_hand": 1.5}, 4)
    # THEN the errors point at rows.3 and rows.4.on_hand
    assert both[0].field.startswith("rows.3")
    assert floaty[0].field == "rows.4.on_hand"
