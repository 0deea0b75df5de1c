"""Time is UTC and ISO-8601. The clock is injected so the domain can be tested at a fixed instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock for tests: returns ``at`` and moves only when told to."""

    def __init__(self, at: datetime) -> None:
        self._at = at

    def now(self) -> datetime:
        return self._at

    def advance(self, **delta: float) -> None:
        self._at = self._at + timedelta(**delta)


def isoformat(moment: datetime) -> str:
    """``2026-11-23T19:38:42.123Z`` (milliseconds, Z suffix)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def utc_now_iso(clock: Clock | None = None) -> str:
    return isoformat((clock or SystemClock()).now())
