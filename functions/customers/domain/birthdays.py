"""Whose birthday is today: the month-days the daily job looks up.

A customer born on 29 February has their birthday on 28 February in a year that has no 29th.
"""

from __future__ import annotations

import calendar
from datetime import date


def birthday_month_days(today: date) -> list[str]:
    """The ``MM-DD`` keys whose customers have their birthday on ``today``."""
    days = [today.strftime("%m-%d")]
    if (today.month, today.day) == (2, 28) and not calendar.isleap(today.year):
        days.append("02-29")
    return days
