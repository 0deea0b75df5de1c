"""The loyalty API's bodies: what it answers (documented in OpenAPI, built from the domain here)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from loyalty.domain.adjustments import Adjustment
from loyalty.domain.ledger import Entry
from loyalty.domain.member import MemberState
from loyalty.domain.rules import DEFAULT_RULES, Campaign, LoyaltyRules
from loyalty.domain.tiers import rolling_spend
from shop_kernel.clock import isoformat


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": list(examples)})


_ENTRY = {
    "entry_id": "le_3f1c2a9b8d7e6f5a4b3c2d1e0f",
    "reason": "order",
    "kind": "earn",
    "points": 0,
    "pending": 120,
    "credit": {"EUR": 120},
    "order_id": "ord_01JD0000000000000000000001",
    "note": None,
    "recorded_at": "2026-11-05T12:00:00.000Z",
}
_PAGE = {"items": [_ENTRY], "next_cursor": None}
_TIER = {
    "name": "silver",
    "multiplier_bp": 10_000,
    "free_shipping_over": {},
    "next_tier": "gold",
    "remaining_to_next": {"EUR": 38_000},
    "rolling_spend": {"EUR": 12_000},
}
_VIEW = {
    "member_id": "5c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
    "available": 100,
    "pending": 120,
    "tier": _TIER,
    "store_credit": {"EUR": {"available": 0, "pending": 120}},
    "expiring_soon": None,
    "ledger": _PAGE,
}
_ADJUSTMENT = {
    "id": "adj_01JD0000000000000000000001",
    "member_id": "5c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
    "points": 6000,
    "note": "lost parcel, customer kept waiting",
    "status": "pending",
    "requested_by": "a9e8d7c6-b5a4-4938-8271-605f4e3d2c1b",
    "requested_at": "2026-12-01T09:00:00.000Z",
    "decided_by": None,
    "decided_at": None,
}


class LedgerEntryView(Closed):
    model_config = _examples(_ENTRY)

    entry_id: str
    reason: str = Field(
        description="Why the points moved: order, return, cancellation, campaign, welcome, adjustment, "
        "expiry, matured or claim"
    )
    kind: Literal["earn", "spend"] = Field(
        description="spend: points used as a tender for the order (negative) or given back when it was "
        "cancelled (positive); earn: every other movement"
    )
    points: int = Field(description="Change of the available points")
    pending: int = Field(description="Change of the pending points")
    credit: dict[str, int] = Field(description="Change of store credit per currency (available + pending)")
    order_id: str | None = None
    note: str | None = None
    recorded_at: str


class LedgerPage(Closed):
    model_config = _examples(_PAGE)

    items: list[LedgerEntryView]
    next_cursor: str | None = None


class TierView(Closed):
    name: str | None
    multiplier_bp: int
    free_shipping_over: dict[str, int]
    next_tier: str | None
    remaining_to_next: dict[str, int] = Field(description="Minor units still to spend for the next tier")
    rolling_spend: dict[str, int]


class CreditView(Closed):
    available: int
    pending: int


class ExpiringView(Closed):
    points: int
    at: str


class LoyaltyView(Closed):
    model_config = _examples(_VIEW)

    member_id: str
    available: int
    pending: int
    tier: TierView
    store_credit: dict[str, CreditView]
    expiring_soon: ExpiringView | None = None
    ledger: LedgerPage


class AdminMemberView(LoyaltyView):
    model_config = _examples({**_VIEW, "version": 3, "pending_orders": []})

    version: int
    pending_orders: list[dict[str, Any]]


class AdjustmentBody(Closed):
    points: Annotated[int, Field(ge=-10_000_000, le=10_000_000, description="Signed: + credits, - debits")]
    note: Annotated[str, Field(min_length=3, max_length=500, description="Why: kept in the ledger")]


class AdjustmentView(Closed):
    model_config = _examples(_ADJUSTMENT)

    id: str
    member_id: str
    points: int
    note: str
    status: Literal["pending", "applied", "rejected"]
    requested_by: str
    requested_at: str
    decided_by: str | None = None
    decided_at: str | None = None


class AdjustmentList(Closed):
    model_config = _examples({"items": [_ADJUSTMENT]})

    items: list[AdjustmentView]


class RulesView(Closed):
    model_config = _examples({"version": 0, "rules": DEFAULT_RULES.model_dump(mode="json")})

    version: int
    rules: LoyaltyRules


_CAMPAIGN: dict[str, Any] = {
    "id": "black-friday",
    "name": "Black Friday double points",
    "starts_at": "2026-11-27T00:00:00Z",
    "ends_at": "2026-11-30T23:59:59Z",
    "multiplier_bp": 20_000,
    "bonus_points": 0,
    "categories": [],
}


class CampaignView(Campaign):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [_CAMPAIGN]})


class CampaignList(Closed):
    model_config = _examples({"items": [_CAMPAIGN]})

    items: list[CampaignView]


def entry_view(entry: Entry) -> dict[str, Any]:
    credit: dict[str, int] = {}
    for account, delta in entry.deltas.items():
        if account.startswith("credit_"):
            currency = account.rsplit("_", 1)[1]
            credit[currency] = credit.get(currency, 0) + delta
    return LedgerEntryView(
        entry_id=entry.entry_id,
        reason=entry.reason.value,
        kind=entry.kind.value,
        points=entry.points,
        pending=entry.pending,
        credit=credit,
        order_id=entry.order_id,
        note=entry.note,
        recorded_at=isoformat(entry.recorded_at),
    ).model_dump(mode="json")


def member_view(
    state: MemberState, entries: list[Entry], cursor: str | None, now: datetime
) -> dict[str, Any]:
    tier, following = state.tier_rule, state.next_tier_rule
    spend = rolling_spend(state.spend, now)
    remaining = (
        {c: max(0, t - spend.get(c, 0)) for c, t in sorted(following.min_spend.items())} if following else {}
    )
    expiring = state.expiring if state.expiring and state.expiring.at > now else None
    return LoyaltyView(
        member_id=state.member_id,
        available=state.available,
        pending=state.pending_points,
        tier=TierView(
            name=state.tier,
            multiplier_bp=tier.multiplier_bp if tier else 10_000,
            free_shipping_over=dict(tier.free_shipping_over) if tier else {},
            next_tier=following.name if following else None,
            remaining_to_next=remaining,
            rolling_spend=spend,
        ),
        store_credit={c: CreditView(available=a, pending=p) for c, (a, p) in state.credits().items()},
        expiring_soon=ExpiringView(points=expiring.points, at=isoformat(expiring.at)) if expiring else None,
        ledger=LedgerPage(items=[LedgerEntryView(**entry_view(e)) for e in entries], next_cursor=cursor),
    ).model_dump(mode="json")


def adjustment_view(adjustment: Adjustment) -> dict[str, Any]:
    data = adjustment.model_dump(mode="json")
    data["requested_at"] = isoformat(adjustment.requested_at)
    data["decided_at"] = isoformat(adjustment.decided_at) if adjustment.decided_at else None
    return AdjustmentView.model_validate(data).model_dump(mode="json")
