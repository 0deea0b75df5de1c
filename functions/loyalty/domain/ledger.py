"""The append-only points ledger and the member's balances, which are its sums.

Every movement is an ``Entry``: a reason, an idempotency id (the source event or order id and the kind
of movement, so a second delivery of the same event adds nothing) and signed deltas per account.
Accounts: ``points`` (available), ``points_pending`` (earned, waiting for the return window), and per
currency ``credit_<CUR>`` / ``credit_pending_<CUR>`` (cashback store credit, minor units). A member's
balance of an account is the sum of that account's deltas over the ledger; the store keeps the sums on
the member's summary and changes them in the transaction that appends the entry.

An entry's ``reason`` says why points moved, in the issue's words (order, return, cancellation, campaign,
welcome, adjustment, expiry; and the bookkeeping reasons matured and claim); its ``kind`` says which side of
the member's account it is: ``earn`` (points earned or granted, their maturing, reversal and expiry) or
``spend`` (points used as a tender for an order, and their give-back when the order is cancelled). A
spend is reason ``order``, kind ``spend``; its give-back reason ``cancellation``, kind ``spend``. Entries
written before kinds existed named these two ``spend`` and ``restore``: ``legacy_reason`` reads them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

POINTS = "points"
PENDING = "points_pending"


def credit_account(currency: str) -> str:
    return f"credit_{currency}"


def credit_pending_account(currency: str) -> str:
    return f"credit_pending_{currency}"


class Reason(StrEnum):
    ORDER = "order"
    RETURN = "return"
    CANCELLATION = "cancellation"
    CAMPAIGN = "campaign"
    WELCOME = "welcome"
    ADJUSTMENT = "adjustment"
    EXPIRY = "expiry"
    CLAIM = "claim"  # a guest's points claimed by the customer who signed up with the guest's e-mail
    MATURED = "matured"


class Kind(StrEnum):
    EARN = "earn"  # points earned or granted, and what later happens to them (maturing, reversal, expiry)
    SPEND = "spend"  # points used as a tender for an order, and their give-back when it is cancelled


_LEGACY_REASONS = {"spend": (Reason.ORDER, Kind.SPEND), "restore": (Reason.CANCELLATION, Kind.SPEND)}


def legacy_reason(stored: str, kind: str | None) -> tuple[Reason, Kind]:
    """The reason and kind of a stored entry, also one written before kinds existed (``spend``,
    ``restore``: a checkout's spend and its give-back)."""
    if stored in _LEGACY_REASONS:
        return _LEGACY_REASONS[stored]
    return Reason(stored), Kind(kind or Kind.EARN)


class Entry(BaseModel):
    """One movement on a member's ledger (never changed once written)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    member_id: str
    idempotency_id: str = Field(description="<kind>#<source id>: the same movement is written once")
    reason: Reason
    kind: Kind = Field(
        default=Kind.EARN, description="earn, or spend: points used as a tender (and given back)"
    )
    deltas: dict[str, int] = Field(description="Signed change per account; accounts absent are unchanged")
    recorded_at: datetime
    order_id: str | None = None
    note: str | None = Field(default=None, description="An agent's reason for a manual adjustment")
    agent_id: str | None = None
    approved_by: str | None = None
    tier_change: tuple[str, str] | None = Field(default=None, description="(from, to) when it moved the tier")

    @property
    def entry_id(self) -> str:
        """Stable per idempotency id: the same movement always has the same id."""
        digest = hashlib.sha256(f"{self.member_id}|{self.idempotency_id}".encode()).hexdigest()
        return f"le_{digest[:26]}"

    @property
    def is_spending(self) -> bool:
        """Points paid for an order at checkout (a negative points delta on the spend side)."""
        return self.kind is Kind.SPEND and self.points < 0

    @property
    def is_give_back(self) -> bool:
        """Spent points returned because the order was cancelled."""
        return self.kind is Kind.SPEND and self.points > 0

    @property
    def points(self) -> int:
        return self.deltas.get(POINTS, 0)

    @property
    def pending(self) -> int:
        return self.deltas.get(PENDING, 0)


def sum_deltas(entries: Iterable[Entry]) -> dict[str, int]:
    """Each account's balance over ``entries`` (accounts that sum to 0 included)."""
    total: dict[str, int] = {}
    for entry in entries:
        for account, delta in entry.deltas.items():
            total[account] = total.get(account, 0) + delta
    return total


def nonzero(deltas: Mapping[str, int]) -> dict[str, int]:
    return {account: delta for account, delta in deltas.items() if delta}
