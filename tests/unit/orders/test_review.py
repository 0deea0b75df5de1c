"""An agent's review decision against what the order is now (pure Python): accepted only while screening's
hold waits (paid, held, undecided), one timeline entry and one event with the same id; the same decision
again is the one recorded; anything else a 409 naming why."""

from __future__ import annotations

import pytest

from orders.domain.models import OrderStatus
from orders.domain.review import ReviewBody, decide_review
from orders.domain.timeline import Actor, Stage, TimelineEntry
from shop_kernel.errors import Conflict
from tests.integration.orders.conftest import AGENT, customer_order

AT = "2026-12-02T10:00:00.000Z"
AGENT_ACTOR = Actor(kind="agent", id=AGENT)
HELD = customer_order(review_required=True)


def _decide(order=HELD, stage=Stage.PAID, entries=(), decision="approve", note="called the buyer"):  # type: ignore[no-untyped-def]
    body = ReviewBody(decision=decision, note=note)
    return decide_review(order, stage, list(entries), body, AGENT_ACTOR, "rvd_1", AT)


def test_a_held_order_is_decided_once_with_the_agent_and_the_note() -> None:
    # WHEN an agent approves an order screening held
    decided = _decide()
    # THEN one entry names the agent, the decision and the note; the event carries the same, ids only
    assert decided.entry.model_dump(exclude_none=True) == {
        "at": AT,
        "event_id": "rvd_1",
        "what": "OrderReviewDecided",
        "actor": {"kind": "agent", "id": AGENT},
        "reason": "called the buyer",
        "decision": "approve",
    }
    assert decided.event.model_dump() == {
        "order_id": HELD.id,
        "decision": "approve",
        "agent_id": AGENT,
        "note": "called the buyer",
        "decided_at": AT,
    }
    assert not decided.repeated


def test_the_same_decision_again_is_the_one_recorded_and_the_other_is_refused() -> None:
    # GIVEN an order already rejected by an agent
    earlier = _decide(decision="reject", note="stolen card").entry
    # WHEN the rejection comes again (another note), and then an approval
    again = _decide(entries=[earlier], decision="reject", note="again")
    with pytest.raises(Conflict) as refused:
        _decide(entries=[earlier], decision="approve")
    # THEN the repeat answers the recorded decision (its id, its note); the approval is a 409
    assert again.repeated
    assert again.entry == earlier
    assert again.event.note == "stolen card"
    assert refused.value.extra["code"] == "already_decided"


@pytest.mark.parametrize(
    ("order", "stage", "code"),
    [
        (customer_order(), Stage.PAID, "not_held"),  # screening never held it
        (HELD, Stage.CONFIRMED, "not_held"),  # past review already
        (HELD, Stage.DISPATCHED, "not_held"),
        (HELD, Stage.CANCELLED, "already_cancelled"),  # cancelled, or the review window closed
        (customer_order(status=OrderStatus.PENDING_PAYMENT), Stage.PENDING_PAYMENT, "not_paid"),
    ],
)
def test_an_order_not_waiting_for_review_is_refused_with_why(order, stage: Stage, code: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Conflict) as refused:
        _decide(order=order, stage=stage)
    assert refused.value.extra["code"] == code


def test_a_decision_needs_a_note() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        ReviewBody.model_validate({"decision": "approve", "note": ""})
    with pytest.raises(ValidationError):
        ReviewBody.model_validate({"decision": "maybe", "note": "x"})


def test_entries_other_than_decisions_do_not_count_as_one() -> None:
    placed = TimelineEntry(at=AT, event_id="p", what="OrderPlaced", stage=Stage.PAID, actor=AGENT_ACTOR)
    assert not _decide(entries=[placed]).repeated
