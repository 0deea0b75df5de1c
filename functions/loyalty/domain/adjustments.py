"""Manual adjustments by agents: a note always, and a second agent's approval above a configured size."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from loyalty.domain.due import next_due
from loyalty.domain.earning import _entry
from loyalty.domain.errors import AdjustmentRefused, InsufficientPoints
from loyalty.domain.ledger import POINTS, Reason
from loyalty.domain.member import EarnedLot, MemberState
from loyalty.domain.plans import Plan, planned
from loyalty.domain.rules import LoyaltyRules


class Adjustment(BaseModel):
    """A requested adjustment: applied at once when small, else waiting for another agent."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    member_id: str
    points: int = Field(description="Signed: positive credits, negative debits")
    note: str = Field(min_length=3, max_length=500)
    requested_by: str
    requested_at: datetime
    status: Literal["pending", "applied", "rejected"] = "pending"
    decided_by: str | None = None
    decided_at: datetime | None = None


def needs_approval(points: int, rules: LoyaltyRules) -> bool:
    return abs(points) > rules.adjustment_approval_over


def check_approver(adjustment: Adjustment, agent: str) -> None:
    if adjustment.status != "pending":
        raise AdjustmentRefused.on(
            "path.adjustment_id", f"the adjustment is {adjustment.status} already", "decided"
        )
    if agent == adjustment.requested_by:
        raise AdjustmentRefused.on(
            "path.adjustment_id", "another agent must approve your adjustment", "same_agent"
        )


def plan_adjustment(
    state: MemberState, adjustment: Adjustment, rules: LoyaltyRules, now: datetime, approved_by: str | None
) -> Plan:
    """The adjustment's entry (audited: agent, note, approver); a debit only while the balance covers it."""
    if adjustment.points < 0 and state.available < -adjustment.points:
        raise InsufficientPoints(
            f"the member has {state.available} points available; the adjustment takes {-adjustment.points}"
        )
    entry = _entry(
        state, f"adjust#{adjustment.id}", Reason.ADJUSTMENT, now, None, {POINTS: adjustment.points}
    )
    entry = entry.model_copy(
        update={"note": adjustment.note, "agent_id": adjustment.requested_by, "approved_by": approved_by}
    )
    lots = state.lots
    if adjustment.points > 0:
        lots = (
            *lots,
            EarnedLot(
                lot_id=f"adjust#{adjustment.id}",
                points=adjustment.points,
                expires_at=now + timedelta(days=rules.expiry.after_days),
            ),
        )
    after = state.model_copy(update={"lots": lots, "last_activity_at": now})
    after = after.model_copy(update={"next_due": next_due(after.with_balances(entry.deltas), rules, now)})
    return planned(state, [entry], after)
