"""Tiers from rolling 12-month spend, and how far the member is from the next one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from loyalty.domain.rules import LoyaltyRules, TierRule

WINDOW_MONTHS = 12


def month_of(moment: datetime) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def window_months(now: datetime) -> list[str]:
    """The 12 months ending with ``now``'s month, oldest first."""
    months = []
    year, month = now.year, now.month
    for _ in range(WINDOW_MONTHS):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months[::-1]


def rolling_spend(spend: dict[str, dict[str, int]], now: datetime) -> dict[str, int]:
    """Spend per currency over the rolling window."""
    months = set(window_months(now))
    return {
        currency: sum(v for m, v in per_month.items() if m in months) for currency, per_month in spend.items()
    }


def prune(spend: dict[str, dict[str, int]], now: datetime) -> dict[str, dict[str, int]]:
    """The spend window without months that left it (the summary stays small)."""
    months = set(window_months(now))
    kept = {c: {m: v for m, v in per.items() if m in months and v} for c, per in spend.items()}
    return {c: per for c, per in kept.items() if per}


def add_spend(
    spend: dict[str, dict[str, int]], currency: str, month: str, amount: int
) -> dict[str, dict[str, int]]:
    """``amount`` (negative for a refund) added to a month, never leaving it below zero."""
    per = dict(spend.get(currency, {}))
    per[month] = max(0, per.get(month, 0) + amount)
    return {**spend, currency: per}


def _reached(rule: TierRule, totals: dict[str, int]) -> bool:
    return any(totals.get(c, 0) >= threshold for c, threshold in rule.min_spend.items())


def tier_for(spend: dict[str, dict[str, int]], rules: LoyaltyRules, now: datetime) -> TierRule | None:
    """The highest tier whose threshold the rolling spend reaches in some currency."""
    totals = rolling_spend(spend, now)
    reached = [rule for rule in rules.tiers if _reached(rule, totals)]
    return reached[-1] if reached else None


def tier_named(name: str | None, rules: LoyaltyRules) -> TierRule | None:
    return next((t for t in rules.tiers if t.name == name), None)


@dataclass(frozen=True)
class Progress:
    next_tier: str | None
    remaining: dict[str, int]  # minor units still to spend, per currency with a threshold


def progress(spend: dict[str, dict[str, int]], rules: LoyaltyRules, now: datetime) -> Progress:
    current = tier_for(spend, rules, now)
    index = rules.tiers.index(current) + 1 if current else 0
    if index >= len(rules.tiers):
        return Progress(next_tier=None, remaining={})
    target = rules.tiers[index]
    totals = rolling_spend(spend, now)
    return Progress(
        next_tier=target.name,
        remaining={c: max(0, t - totals.get(c, 0)) for c, t in sorted(target.min_spend.items())},
    )
