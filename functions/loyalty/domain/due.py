"""When the scheduled job next has something to do for a member (the summary's ``next_due``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from loyalty.domain.member import MemberState
from loyalty.domain.rules import LoyaltyRules
from loyalty.domain.tiers import window_months


def _first_of_next_month(now: datetime) -> datetime:
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return now.replace(year=year, month=month, day=1, hour=0, minute=0, second=0, microsecond=0)


def expiry_date(state: MemberState, rules: LoyaltyRules, now: datetime) -> datetime | None:
    """When the next points expire, as things stand."""
    if rules.expiry.mode == "inactivity":
        if state.last_activity_at is None:
            return None
        return state.last_activity_at + timedelta(days=rules.expiry.after_days)
    upcoming = [lot.expires_at for lot in state.lots if lot.expires_at > now]
    return min(upcoming, default=None)


def next_due(state: MemberState, rules: LoyaltyRules, now: datetime) -> datetime | None:
    """The earliest moment the job has something to do for the member (None: nothing ever)."""
    moments = [lot.matures_at for lot in state.pending]
    when = expiry_date(state, rules, now)
    if when is not None and state.available > 0:
        announce = when - timedelta(days=rules.expiry.announce_days)
        moments.extend(m for m in (announce, when) if m > now)
    if any(state.spend.values()):
        oldest = min(m for per in state.spend.values() for m in per)
        if oldest in window_months(now):
            moments.append(_first_of_next_month(now))
    return min(moments, default=None)
