"""A planned write: the entries to append, the summary they lead to, and what the store must check.

The store writes a plan as one transaction: each entry (once: its idempotency id must be new), the
summary (its balances changed by exactly the entries' deltas, conditioned on the version the plan was
made from and, when the plan takes available points, on the balance still covering them), the order's
facts when the plan changes them, and any notices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from loyalty.domain.ledger import POINTS, Entry, sum_deltas
from loyalty.domain.member import MemberState
from loyalty.domain.orders import OrderFacts


class Notice(BaseModel):
    """An announcement with no movement (points expiring soon), written once per idempotency id."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    member_id: str
    idempotency_id: str
    points: int = Field(ge=0)
    expires_at: datetime
    recorded_at: datetime


@dataclass(frozen=True)
class Plan:
    before: MemberState
    entries: tuple[Entry, ...]
    after: MemberState
    facts: OrderFacts | None = None
    facts_version: int | None = None  # the facts' version the plan was made from (0: new facts)
    notices: tuple[Notice, ...] = field(default=())

    @property
    def deltas(self) -> dict[str, int]:
        return sum_deltas(self.entries)

    @property
    def takes_points(self) -> int:
        """Available points the plan removes: the balance must still cover them when it is written."""
        return max(0, -self.deltas.get(POINTS, 0))

    @property
    def empty(self) -> bool:
        return not self.entries and not self.notices and self.facts is None and self.after == self.before


def planned(
    before: MemberState,
    entries: list[Entry],
    after: MemberState,
    facts: OrderFacts | None = None,
    facts_version: int | None = None,
    notices: tuple[Notice, ...] = (),
) -> Plan:
    """A plan whose summary balances are ``before``'s plus exactly the entries' deltas."""
    balanced = after.model_copy(update={"balances": before.with_balances(sum_deltas(entries)).balances})
    return Plan(before, tuple(entries), balanced, facts, facts_version, notices)
