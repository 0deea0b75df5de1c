"""Events loyalty publishes, from committed ledger entries and notices (the table's stream).

* ``PointsEarned`` - points added: earned on an order (pending), matured, campaign, welcome, an
  agent's credit, a restore (reason ``restore``: spent points given back by a cancelled order; the ledger
  shows it as reason ``cancellation``, kind ``spend``). ``pending`` says whether they wait for the return
  window.
* ``PointsSpent`` - points debited by an order at checkout (the ledger's reason ``order``, kind ``spend``).
* ``PointsExpired`` - points that expired; ``PointsExpiring`` - announced ``announce_days`` before.
* ``TierChanged`` - a member's tier moved (up or down).
* ``CouponIssued`` - an automatic personal coupon was issued (from the coupon item): the member, the
  trigger, the code (a random single-use code only its owner can use: not personal data, and what the
  notifications integration sends), the promotion and the validity window.
* ``GiftCertificateIssued`` - a gift certificate was issued (by a merchandiser, in a batch, or sold on a
  paid order). Never its code: a notification that delivers it asks loyalty for it.

Reversals (returns, cancellations) publish no event of their own: the ledger API shows them, and a
tier they move is a ``TierChanged``.

Ids and numbers only. Event ids derive from the entry's id, so a replayed stream record publishes the
same id.
"""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from loyalty.domain.certificates import GiftCertificate
from loyalty.domain.ledger import Entry, Kind, Reason
from shop_kernel.clock import isoformat
from shop_kernel.events import DomainEvent, make_event

SOURCE = "shop.loyalty"
SCHEMA_VERSION = "1.0"
_NAMESPACE = uuid.UUID("0b6f5e2a-7c1d-4e8f-9a3b-2d4c6e8f0a1b")
EARNING = {
    Reason.ORDER,
    Reason.CAMPAIGN,
    Reason.WELCOME,
    Reason.ADJUSTMENT,
    Reason.MATURED,
    Reason.CLAIM,
}
RESTORE = "restore"


class EventModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PointsEarned(EventModel):
    member_id: str
    entry_id: str
    reason: str
    points: int = Field(ge=1)
    pending: bool = Field(description="True while the points wait for the return window")
    order_id: str | None = None
    recorded_at: str


class PointsSpent(EventModel):
    member_id: str
    entry_id: str
    order_id: str | None = None
    points: int = Field(ge=1)
    recorded_at: str


class PointsExpired(EventModel):
    member_id: str
    entry_id: str
    points: int = Field(ge=1)
    recorded_at: str


class PointsExpiring(EventModel):
    member_id: str
    points: int = Field(ge=1)
    expires_at: str


class TierChanged(EventModel):
    member_id: str
    entry_id: str
    from_tier: str | None = None
    to_tier: str | None = None
    changed_at: str


class CouponIssued(EventModel):
    member_id: str
    coupon_id: str
    trigger: str = Field(description="birthday, tier_reached, first_order or win_back")
    code: str = Field(description="Single-use, usable by this member only")
    promotion_id: str
    valid_from: str
    valid_until: str
    issued_at: str


class GiftCertificateIssued(EventModel):
    certificate_id: str
    origin: str = Field(description="issued, batch or order")
    amount: int = Field(ge=1, description="The value issued, in minor units")
    currency: str
    expires_at: str | None = None
    batch_id: str | None = None
    order_id: str | None = Field(default=None, description="The paid order that bought it")
    issued_at: str


EVENT_MODELS: dict[str, type[EventModel]] = {
    "PointsEarned": PointsEarned,
    "PointsSpent": PointsSpent,
    "PointsExpired": PointsExpired,
    "PointsExpiring": PointsExpiring,
    "TierChanged": TierChanged,
    "CouponIssued": CouponIssued,
    "GiftCertificateIssued": GiftCertificateIssued,
}


def _event(detail_type: str, data: EventModel, key: str, at: str) -> DomainEvent:
    event_id = str(uuid.uuid5(_NAMESPACE, f"{key}:{detail_type}"))
    return make_event(SOURCE, detail_type, data, version=SCHEMA_VERSION, occurred_at=at, event_id=event_id)


def events_for_entry(entry: Entry) -> list[DomainEvent]:
    at = isoformat(entry.recorded_at)
    events: list[DomainEvent] = []
    gained = entry.points if entry.reason is Reason.MATURED else entry.points + entry.pending
    earned = entry.kind is Kind.EARN and entry.reason in EARNING and gained > 0
    if earned or entry.is_give_back:
        pending = entry.reason in (Reason.ORDER, Reason.CAMPAIGN) and entry.pending > 0
        data = PointsEarned(
            member_id=entry.member_id,
            entry_id=entry.entry_id,
            # a give-back keeps the event's word from before ledger kinds: consumers already know it
            reason=RESTORE if entry.is_give_back else entry.reason.value,
            points=gained,
            pending=pending,
            order_id=entry.order_id,
            recorded_at=at,
        )
        events.append(_event("PointsEarned", data, entry.entry_id, at))
    if entry.is_spending:
        data_spent = PointsSpent(
            member_id=entry.member_id,
            entry_id=entry.entry_id,
            order_id=entry.order_id,
            points=-entry.points,
            recorded_at=at,
        )
        events.append(_event("PointsSpent", data_spent, entry.entry_id, at))
    if entry.reason is Reason.EXPIRY and entry.points < 0:
        expired = PointsExpired(
            member_id=entry.member_id, entry_id=entry.entry_id, points=-entry.points, recorded_at=at
        )
        events.append(_event("PointsExpired", expired, entry.entry_id, at))
    if entry.tier_change is not None:
        before, after = entry.tier_change
        tier = TierChanged(
            member_id=entry.member_id,
            entry_id=entry.entry_id,
            from_tier=before or None,
            to_tier=after or None,
            changed_at=at,
        )
        events.append(_event("TierChanged", tier, entry.entry_id, at))
    return events


def points_expiring(member_id: str, points: int, expires_at: str, recorded_at: str) -> DomainEvent:
    data = PointsExpiring(member_id=member_id, points=points, expires_at=expires_at)
    return _event("PointsExpiring", data, f"{member_id}:{expires_at}", recorded_at)


def coupon_issued(
    member_id: str,
    coupon_id: str,
    trigger: str,
    code: str,
    promotion_id: str,
    window: tuple[str, str],
    issued_at: str,
) -> DomainEvent:
    data = CouponIssued(
        member_id=member_id,
        coupon_id=coupon_id,
        trigger=trigger,
        code=code,
        promotion_id=promotion_id,
        valid_from=window[0],
        valid_until=window[1],
        issued_at=issued_at,
    )
    return _event("CouponIssued", data, coupon_id, issued_at)


def gift_certificate_issued(certificate: GiftCertificate) -> DomainEvent:
    at = isoformat(certificate.issued_at)
    data = GiftCertificateIssued(
        certificate_id=certificate.id,
        origin=certificate.origin.value,
        amount=certificate.initial.amount,
        currency=certificate.initial.currency,
        expires_at=isoformat(certificate.expires_at) if certificate.expires_at else None,
        batch_id=certificate.batch_id,
        order_id=certificate.order_id,
        issued_at=at,
    )
    return _event("GiftCertificateIssued", data, certificate.id, at)
