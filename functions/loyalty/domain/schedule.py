"""What the scheduled job does for a member whose summary is due: mature, expire, announce, re-tier.

* Pending lots whose return window closed become available (points, and cashback as store credit).
* Expiry by inactivity: no earning or spending for ``after_days`` expires the available points.
  Expiry per lot: each lot of points expires ``after_days`` after it became available; what was spent
  counts against the oldest lots first, so the points that expire are the balance the younger lots do
  not cover.
* ``announce_days`` before points expire, a ``PointsExpiring`` notice (once per member and date).
* The tier is recomputed as months leave the rolling window.

``next_due`` is the earliest moment any of this has something to do again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from loyalty.domain.due import expiry_date, next_due
from loyalty.domain.earning import _entry, _retier, _with_tier_change
from loyalty.domain.ledger import (
    PENDING,
    POINTS,
    Entry,
    Reason,
    credit_account,
    credit_pending_account,
    sum_deltas,
)
from loyalty.domain.member import EarnedLot, Expiring, MemberState
from loyalty.domain.plans import Notice, Plan, planned
from loyalty.domain.rules import LoyaltyRules
from shop_kernel.clock import isoformat


def _mature(state: MemberState, rules: LoyaltyRules, now: datetime) -> tuple[list[Entry], MemberState]:
    entries: list[Entry] = []
    lots = list(state.lots)
    waiting = []
    for lot in state.pending:
        if lot.matures_at > now:
            waiting.append(lot)
            continue
        deltas = {
            PENDING: -lot.points,
            POINTS: lot.points,
            credit_pending_account(lot.currency): -lot.credit,
            credit_account(lot.currency): lot.credit,
        }
        entries.append(_entry(state, f"mature#{lot.order_id}", Reason.MATURED, now, lot.order_id, deltas))
        if lot.points:
            lots.append(
                EarnedLot(
                    lot_id=f"order#{lot.order_id}",
                    points=lot.points,
                    expires_at=now + timedelta(days=rules.expiry.after_days),
                )
            )
    return entries, state.model_copy(update={"pending": tuple(waiting), "lots": tuple(lots)})


def expiring_points(state: MemberState, available: int, rules: LoyaltyRules, at: datetime) -> int:
    """Available points that will have expired by ``at`` (if nothing is earned or spent before)."""
    if available <= 0:
        return 0
    if rules.expiry.mode == "inactivity":
        last = state.last_activity_at
        due = last is not None and last + timedelta(days=rules.expiry.after_days) <= at
        return available if due else 0
    covered = sum(lot.points for lot in state.lots if lot.expires_at > at)
    return max(0, available - covered)


def plan_due(state: MemberState, rules: LoyaltyRules, now: datetime) -> Plan:
    """Everything due for the member at ``now`` (an empty plan moves ``next_due`` only)."""
    entries, after = _mature(state, rules, now)
    available = state.available + sum(e.points for e in entries)
    expired = expiring_points(after, available, rules, now)
    if expired:
        # Named by the run: a replay of this plan is refused by the summary's version, and a later expiry
        # (of points that matured after this one) is a movement of its own.
        entries.append(
            _entry(state, f"expire#{isoformat(now)}", Reason.EXPIRY, now, None, {POINTS: -expired})
        )
        available -= expired
    lots = tuple(lot for lot in after.lots if lot.expires_at > now)
    after = after.model_copy(update={"balances": state.with_balances(sum_deltas(entries)).balances})
    after, change = _retier(after.model_copy(update={"lots": lots}), after.spend, rules, now)
    notices: tuple[Notice, ...] = ()
    horizon = now + timedelta(days=rules.expiry.announce_days)
    soon = expiring_points(after, available, rules, horizon)
    when = expiry_date(after, rules, now)
    expiring = None
    if soon and when is not None:
        expiring = Expiring(points=soon, at=when)
    # Announced once per expiry date: a later run (a lot matured meanwhile) does not announce it again.
    if expiring is not None and (state.expiring is None or state.expiring.at != expiring.at):
        notices = (
            Notice(
                member_id=state.member_id,
                idempotency_id=f"expiring#{expiring.at.date().isoformat()}",
                points=expiring.points,
                expires_at=expiring.at,
                recorded_at=now,
            ),
        )
    after = after.model_copy(update={"expiring": expiring})
    after = after.model_copy(update={"next_due": next_due(after, rules, now)})
    return planned(state, _with_tier_change(entries, change), after, notices=notices)
