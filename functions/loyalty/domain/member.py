"""A member's summary: balances (the ledger's sums), tier, spend window, lots, and what is due next.

The summary is what a read of the member shows at once and what earning, reversal and the scheduled job
plan from. Its ``version`` grows with every write (points debited by checkout included), so a plan made
from a summary is written only if nothing changed it meanwhile.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from loyalty.domain.ledger import PENDING, POINTS, credit_account, credit_pending_account
from loyalty.domain.rules import TierRule


class PendingLot(BaseModel):
    """What one order earned and is waiting for its return window: points and cashback."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    order_id: str
    points: int = Field(ge=0)
    credit: int = Field(ge=0, description="Cashback in the order's currency, minor units")
    currency: str
    matures_at: datetime


class EarnedLot(BaseModel):
    """Points that became available together, and when they expire (expiry per lot)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lot_id: str
    points: int = Field(ge=0)
    expires_at: datetime


class Expiring(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    points: int = Field(ge=0)
    at: datetime


class MemberState(BaseModel):
    """The summary as read (``version`` 0: the member has no summary yet)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    member_id: str
    version: int = 0
    balances: dict[str, int] = Field(default_factory=dict)
    tier: str | None = None
    # The tier's rule and the next tier's, as the rules stood at the last write: a read of the member
    # shows benefits and progress without reading the rules.
    tier_rule: TierRule | None = None
    next_tier_rule: TierRule | None = None
    spend: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="Spend per currency per month (YYYY-MM), minor units"
    )
    pending: tuple[PendingLot, ...] = ()
    lots: tuple[EarnedLot, ...] = ()
    last_activity_at: datetime | None = None
    expiring: Expiring | None = None
    next_due: datetime | None = None
    # A guest's summary once claimed: the customer who claimed it (later events of the guest's orders
    # earn and give back on that customer's ledger).
    claimed_by: str | None = None

    @property
    def available(self) -> int:
        return self.balances.get(POINTS, 0)

    @property
    def pending_points(self) -> int:
        return self.balances.get(PENDING, 0)

    def credit(self, currency: str) -> int:
        return self.balances.get(credit_account(currency), 0)

    def credit_pending(self, currency: str) -> int:
        return self.balances.get(credit_pending_account(currency), 0)

    def credits(self) -> dict[str, tuple[int, int]]:
        """(available, pending) store credit per currency that has any."""
        currencies = {account.rsplit("_", 1)[1] for account in self.balances if account.startswith("credit_")}
        return {c: (self.credit(c), self.credit_pending(c)) for c in sorted(currencies)}

    def lot_of(self, order_id: str) -> PendingLot | None:
        return next((lot for lot in self.pending if lot.order_id == order_id), None)

    def with_balances(self, deltas: dict[str, int]) -> MemberState:
        balances = dict(self.balances)
        for account, delta in deltas.items():
            balances[account] = balances.get(account, 0) + delta
        return self.model_copy(update={"balances": balances})
