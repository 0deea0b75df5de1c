"""Earliest pickup dates over opening hours, closed dates, time zones, carrier cut-offs and weekends."""

from __future__ import annotations

from datetime import date

import pytest

from inventory.domain.availability import earliest_pickup, next_dispatch, next_ready_moment
from inventory.domain.models import Location
from tests.unit.inventory.conftest import kyiv, level, location

SKU = "LAP-0001-BLK"


def test_in_stock_at_an_open_store_is_ready_after_handling_today(store: Location) -> None:
    # GIVEN the item on the shelf on a Monday morning (2 March 2026)
    stock = {"podil": level(SKU, "podil", 3)}
    # WHEN the shopper asks at 10:00
    estimate = earliest_pickup(store, stock, [], kyiv("2026-03-02 10:00"))
    # THEN it is ready 30 minutes later, today, from the store itself
    assert estimate is not None
    assert estimate.ready_at == kyiv("2026-03-02 10:30")
    assert estimate.local_date == date(2026, 3, 2)
    assert estimate.source == "in_store"


def test_too_close_to_closing_moves_to_next_opening(store: Location) -> None:
    # GIVEN a store closing at 20:00 with 30 minutes handling; WHEN asked at 19:45 on a Monday
    estimate = earliest_pickup(store, {"podil": level(SKU, "podil", 1)}, [], kyiv("2026-03-02 19:45"))
    # THEN it is ready on Tuesday at opening + handling
    assert estimate is not None
    assert estimate.ready_at == kyiv("2026-03-03 09:30")


def test_exactly_at_closing_minus_handling_is_still_today(store: Location) -> None:
    # GIVEN 19:30 on a Monday; WHEN asked THEN ready at 20:00 sharp, today
    estimate = earliest_pickup(store, {"podil": level(SKU, "podil", 1)}, [], kyiv("2026-03-02 19:30"))
    assert estimate is not None
    assert estimate.ready_at == kyiv("2026-03-02 20:00")


def test_before_opening_waits_for_opening(store: Location) -> None:
    # GIVEN 07:00 on a Monday; WHEN asked THEN ready at 09:30
    estimate = earliest_pickup(store, {"podil": level(SKU, "podil", 1)}, [], kyiv("2026-03-02 07:00"))
    assert estimate is not None
    assert estimate.ready_at == kyiv("2026-03-02 09:30")


def test_saturday_evening_skips_closed_sunday(store: Location) -> None:
    # GIVEN Saturday 7 March after the 16:00 close, and no Sunday hours
    estimate = earliest_pickup(store, {"podil": level(SKU, "podil", 1)}, [], kyiv("2026-03-07 17:00"))
    # THEN Monday 09:30
    assert estimate is not None
    assert estimate.local_date == date(2026, 3, 9)
    assert estimate.ready_at == kyiv("2026-03-09 09:30")


def test_closed_dates_are_skipped() -> None:
    # GIVEN a store closed on Monday 9 March (a holiday)
    shop = location("podil", closed_dates=["2026-03-09"])
    # WHEN asked on Saturday evening THEN Tuesday
    estimate = earliest_pickup(shop, {"podil": level(SKU, "podil", 1)}, [], kyiv("2026-03-07 17:00"))
    assert estimate is not None
    assert estimate.local_date == date(2026, 3, 10)


def test_split_day_hours_use_the_afternoon_interval() -> None:
    # GIVEN a store with a lunch break 13:00-14:00 on Mondays
    shop = location(
        "podil",
        opening_hours={"mon": [{"opens": "14:00", "closes": "18:00"}, {"opens": "09:00", "closes": "13:00"}]},
    )
    # WHEN asked at 12:45 (15 minutes before the break, handling 30)
    estimate = earliest_pickup(shop, {"podil": level(SKU, "podil", 1)}, [], kyiv("2026-03-02 12:45"))
    # THEN ready after the break
    assert estimate is not None
    assert estimate.ready_at == kyiv("2026-03-02 14:30")


def test_store_time_zone_is_its_own() -> None:
    # GIVEN a Lisbon store (UTC+0 in March) open 09:00-20:00 local
    lisbon = location(
        "chiado", timezone="Europe/Lisbon", address={"line1": "R. Garrett", "city": "Lisbon", "country": "PT"}
    )
    # WHEN asked at 08:00 UTC = 08:00 Lisbon = 10:00 Kyiv
    estimate = earliest_pickup(lisbon, {"chiado": level(SKU, "chiado", 1)}, [], kyiv("2026-03-02 10:00"))
    # THEN it is ready at 09:30 Lisbon time, i.e. 09:30 UTC
    assert estimate is not None
    assert estimate.ready_at.isoformat() == "2026-03-02T09:30:00+00:00"


def test_only_in_a_warehouse_before_cutoff_ships_today(store: Location, warehouse: Location) -> None:
    # GIVEN none in the store, some in the warehouse (cut-off 15:00, 20 h to this store)
    stock = {"kyiv-dc": level(SKU, "kyiv-dc", 5)}
    # WHEN asked Monday 11:00
    estimate = earliest_pickup(store, stock, [warehouse], kyiv("2026-03-02 11:00"))
    # THEN dispatched 15:00, arrives Tuesday 11:00, ready 11:30
    assert estimate is not None
    assert estimate.source == "transfer"
    assert estimate.from_location == "kyiv-dc"
    assert estimate.ready_at == kyiv("2026-03-03 11:30")


def test_after_cutoff_ships_next_working_day(store: Location, warehouse: Location) -> None:
    # GIVEN Friday 6 March 16:00, after the cut-off; the warehouse does not work weekends
    estimate = earliest_pickup(
        store, {"kyiv-dc": level(SKU, "kyiv-dc", 5)}, [warehouse], kyiv("2026-03-06 16:00")
    )
    # THEN dispatched Monday 15:00, arrives Tuesday 11:00
    assert estimate is not None
    assert estimate.ready_at == kyiv("2026-03-10 11:30")


def test_arrival_after_store_closes_waits_for_next_opening(warehouse: Location) -> None:
    # GIVEN a store 28 h away from the warehouse (arrives 19:00 next day, handling 90 minutes)
    shop = location("obolon", transfer_lead_time_hours={"kyiv-dc": 28}, handling_minutes=90)
    estimate = earliest_pickup(
        shop, {"kyiv-dc": level(SKU, "kyiv-dc", 5)}, [warehouse], kyiv("2026-03-02 11:00")
    )
    # THEN not Tuesday evening but Wednesday 10:30
    assert estimate is not None
    assert estimate.ready_at == kyiv("2026-03-04 10:30")


def test_default_lead_time_for_an_unlisted_warehouse(store: Location) -> None:
    # GIVEN a warehouse the store has no lead time for (default 48 h)
    far = location("lviv-dc", "warehouse")
    estimate = earliest_pickup(store, {"lviv-dc": level(SKU, "lviv-dc", 5)}, [far], kyiv("2026-03-02 11:00"))
    # THEN dispatched Monday 15:00, arrives Wednesday 15:00, ready 15:30
    assert estimate is not None
    assert estimate.ready_at == kyiv("2026-03-04 15:30")


def test_earliest_of_several_warehouses_wins(store: Location, warehouse: Location) -> None:
    # GIVEN a far warehouse with stock and the near one with stock
    far = location("lviv-dc", "warehouse")
    stock = {"kyiv-dc": level(SKU, "kyiv-dc", 1), "lviv-dc": level(SKU, "lviv-dc", 9)}
    estimate = earliest_pickup(store, stock, [far, warehouse], kyiv("2026-03-02 11:00"))
    # THEN the near one
    assert estimate is not None
    assert estimate.from_location == "kyiv-dc"


def test_in_store_stock_beats_a_transfer_and_reserved_units_do_not_count(
    store: Location, warehouse: Location
) -> None:
    # GIVEN the store's only unit is reserved (available 0)
    stock = {"podil": level(SKU, "podil", 0, reserved=1), "kyiv-dc": level(SKU, "kyiv-dc", 2)}
    estimate = earliest_pickup(store, stock, [warehouse], kyiv("2026-03-02 11:00"))
    # THEN it comes from the warehouse
    assert estimate is not None
    assert estimate.source == "transfer"


def test_nowhere_in_stock_is_not_available(store: Location, warehouse: Location) -> None:
    # GIVEN no stock anywhere THEN no estimate
    assert (
        earliest_pickup(store, {"kyiv-dc": level(SKU, "kyiv-dc", 0)}, [warehouse], kyiv("2026-03-02 11:00"))
        is None
    )


def test_a_store_never_open_has_no_pickup_date() -> None:
    # GIVEN a store without opening hours THEN no ready moment
    shop = location("closed", opening_hours={})
    assert next_ready_moment(shop, kyiv("2026-03-02 11:00")) is None


def test_lead_time_counts_elapsed_hours_across_dst(store: Location, warehouse: Location) -> None:
    # GIVEN dispatch on Friday 27 March 15:00 (UTC+2); Kyiv moves to UTC+3 on Sunday 29 March
    shop = location("podil", transfer_lead_time_hours={"kyiv-dc": 72}, handling_minutes=0)
    estimate = earliest_pickup(
        shop, {"kyiv-dc": level(SKU, "kyiv-dc", 1)}, [warehouse], kyiv("2026-03-27 11:00")
    )
    # THEN 72 elapsed hours later is Monday 30 March 16:00 local summer time (15:00 + 72 h + 1 h)
    assert estimate is not None
    assert estimate.ready_at.isoformat() == "2026-03-30T13:00:00+00:00"


@pytest.mark.parametrize(
    ("asked", "dispatch"),
    [
        ("2026-03-02 14:59", "2026-03-02 15:00"),
        ("2026-03-02 15:00", "2026-03-03 15:00"),
        ("2026-03-07 09:00", "2026-03-09 15:00"),
    ],
)
def test_next_dispatch_respects_cutoff_and_weekends(warehouse: Location, asked: str, dispatch: str) -> None:
    # GIVEN a weekday warehouse with a 15:00 cut-off; WHEN asked THEN its next collection
    result = next_dispatch(warehouse, kyiv(asked))
    assert result is not None
    assert result == kyiv(dispatch)
