"""Parts of a reservation: which held lines a shipment (or a drop) takes, and what stays held."""

from __future__ import annotations

import pytest

from inventory.domain.reservations import HoldShort, ReservedLine, split_lines

HELD = (
    ReservedLine("LAP", "kyiv-dc", 2),
    ReservedLine("LAP", "lviv-dc", 1),
    ReservedLine("PHN", "kyiv-dc", 1),
)


def test_units_are_taken_from_the_lines_in_order_and_the_rest_stays_held() -> None:
    # GIVEN a hold of 2 laptops in Kyiv, 1 in Lviv and a phone in Kyiv
    # WHEN three laptops ship from wherever they are held
    taken, remaining = split_lines(HELD, {"LAP": 3})
    # THEN both locations' laptops are taken, and the phone stays held
    assert taken == (ReservedLine("LAP", "kyiv-dc", 2), ReservedLine("LAP", "lviv-dc", 1))
    assert remaining == (ReservedLine("PHN", "kyiv-dc", 1),)


def test_a_shipment_from_one_location_takes_only_what_is_held_there() -> None:
    # GIVEN the same hold
    # WHEN one laptop ships from Lviv
    taken, remaining = split_lines(HELD, {"LAP": 1}, "lviv-dc")
    # THEN the Lviv laptop is taken, the Kyiv ones stay
    assert taken == (ReservedLine("LAP", "lviv-dc", 1),)
    assert remaining == (ReservedLine("LAP", "kyiv-dc", 2), ReservedLine("PHN", "kyiv-dc", 1))


def test_more_than_is_held_is_refused() -> None:
    # GIVEN the same hold
    # WHEN two laptops are said to ship from Lviv, or a SKU the hold does not have
    # THEN nothing is taken
    with pytest.raises(HoldShort) as short:
        split_lines(HELD, {"LAP": 2}, "lviv-dc")
    assert (short.value.sku, short.value.wanted, short.value.held) == ("LAP", 2, 1)
    with pytest.raises(HoldShort):
        split_lines(HELD, {"TAB": 1})
