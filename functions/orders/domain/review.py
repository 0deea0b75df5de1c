"""An agent's fraud review decision on an order checkout's screening held (``POST /admin/orders/{id}/review``).

The orders context decides nothing about the money or the stock: fulfilment keeps the workflow's review
token and answers it when ``OrderReviewDecided`` reaches it (approve: fulfilment goes on; reject: the order is
cancelled and everything given back). Here the decision is checked against what the order is now: an order
is waiting for a review when screening held it (``review_required``), it is paid and nothing moved it on yet
(stage ``paid``: not confirmed, dispatched or cancelled) and no decision is on its timeline. Otherwise a
409: ``not_held`` (never held, or already past review), ``already_cancelled`` (a cancellation or the review
window's timeout ended it), ``not_paid``, or ``already_decided`` for the other decision. The same decision
again is the one recorded (no second entry; the event is published again with the same id, in case the first
request died between the two; fulfilment answers a repeat once). An accepted decision is one timeline entry
(the agent, the decision, the note) and one ``OrderReviewDecided`` with the same id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from orders.domain.events import OrderReviewDecided
from orders.domain.models import Order
from orders.domain.timeline import Actor, Stage, TimelineEntry
from shop_kernel.errors import Conflict

WHAT = "OrderReviewDecided"


class ReviewBody(BaseModel):
    """Approve or reject, and why (the note goes onto the timeline and to fulfilment)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    decision: Literal["approve", "reject"]
    note: str = Field(min_length=1, max_length=500, examples=["called the buyer: the card is theirs"])


@dataclass(frozen=True)
class Decided:
    entry: TimelineEntry
    event: OrderReviewDecided
    repeated: bool = False


def recorded_decision(entries: Sequence[TimelineEntry]) -> TimelineEntry | None:
    """The first review decision on the timeline, if any (by when it was made)."""
    decided = sorted((e for e in entries if e.what == WHAT), key=lambda e: (e.at, e.event_id))
    return decided[0] if decided else None


def _event(order_id: str, entry: TimelineEntry) -> OrderReviewDecided:
    assert entry.decision is not None
    return OrderReviewDecided(
        order_id=order_id,
        decision=entry.decision,
        agent_id=entry.actor.id,
        note=entry.reason or "",
        decided_at=entry.at,
    )


def decide_review(
    order: Order,
    stage: Stage,
    entries: Sequence[TimelineEntry],
    body: ReviewBody,
    agent: Actor,
    decision_id: str,
    at: str,
) -> Decided:
    assert agent.kind == "agent"
    earlier = recorded_decision(entries)
    if earlier is not None:
        if earlier.decision != body.decision:
            raise Conflict(
                f"the order's review was decided already: {earlier.decision}", code="already_decided"
            )
        return Decided(earlier, _event(order.id, earlier), repeated=True)
    if stage is Stage.CANCELLED:
        raise Conflict("the order is cancelled", code="already_cancelled")
    if stage is Stage.PENDING_PAYMENT:
        raise Conflict("the order is not paid: nothing is held for review yet", code="not_paid")
    if not order.review_required or stage is not Stage.PAID:
        raise Conflict("the order is not waiting for a review decision", code="not_held")
    entry = TimelineEntry(
        at=at, event_id=decision_id, what=WHAT, actor=agent, reason=body.note, decision=body.decision
    )
    return Decided(entry, _event(order.id, entry))
