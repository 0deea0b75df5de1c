"""Whose birthday is today: the month-days a day covers (29 February on 28 February of other years)."""

from __future__ import annotations

from datetime import datetime

import pytest

from customers.domain.birthdays import birthday_month_days


@pytest.mark.parametrize(
    ("day", "keys"),
    [
        (datetime(2027, 2, 28), ["02-28", "02-29"]),
        (datetime(2028, 2, 28), ["02-28"]),
        (datetime(2028, 2, 29), ["02-29"]),
        (datetime(2026, 12, 3), ["12-03"]),
    ],
)
def test_which_month_days_a_day_covers(day: datetime, keys: list[str]) -> None:
    assert birthday_month_days(day.date()) == keys
