"""StockLevelChanged: derived from a stock item's images and its location, deterministic per change."""

from __future__ import annotations

from inventory.domain.events import StockPlace, stock_level_changed

WAREHOUSE = StockPlace(kind="warehouse", country="UA", pickup=False)


def _item(available: int, **extra: object) -> dict[str, object]:
    return {
        "sku": "LAP-1",
        "location_id": "kyiv-dc",
        "available": available,
        "updated_at": "2026-11-02T10:00:00.000Z",
        **extra,
    }


def test_a_change_of_available_is_announced_with_its_level_and_a_deterministic_id() -> None:
    # GIVEN 10 available becoming 3 WHEN derived twice from the same stream record
    first = stock_level_changed(_item(10), _item(3), WAREHOUSE, "000123", "2026-11-02T10:00:01.000Z")
    again = stock_level_changed(_item(10), _item(3), WAREHOUSE, "000123", "2026-11-02T10:00:01.000Z")
    # THEN one event, low stock below the default threshold of 5, with the same id both times
    (event,) = first
    assert event.detail_type == "StockLevelChanged"
    assert event.data["level"] == "low_stock"
    assert event.data["threshold"] == 5
    assert event.metadata.event_id == again[0].metadata.event_id
    # AND a later change of the same item gets another id
    later = stock_level_changed(_item(3), _item(0), WAREHOUSE, "000124", "2026-11-02T10:00:02.000Z")
    assert later[0].metadata.event_id != event.metadata.event_id
    assert later[0].data["level"] == "sold_out"


def test_a_per_sku_threshold_on_the_stock_item_wins_over_the_default() -> None:
    (event,) = stock_level_changed(
        None, _item(8, low_stock_threshold=10), WAREHOUSE, "7", "2026-11-02T10:00:00.000Z"
    )
    assert (event.data["threshold"], event.data["level"]) == (10, "low_stock")


def test_nothing_is_announced_when_available_is_unchanged_the_item_is_gone_or_the_location_unknown() -> None:
    assert (
        stock_level_changed(_item(4), _item(4, on_hand=6), WAREHOUSE, "9", "2026-11-02T10:00:00.000Z") == []
    )
    assert stock_level_changed(_item(4), None, WAREHOUSE, "9", "2026-11-02T10:00:00.000Z") == []
    assert stock_level_changed(None, _item(4), None, "9", "2026-11-02T10:00:00.000Z") == []
