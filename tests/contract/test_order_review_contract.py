"""What the orders context publishes as ``OrderReviewDecided``, fulfilment can read: the publisher's model
(orders.domain.events, built by orders.domain.review) and the consumer's (fulfilment.inbound.orders) are separate
on purpose (each context owns its code), so this test holds them together at the limits the orders API accepts."""

from __future__ import annotations

import pytest
from fulfilment.inbound.orders import OrderReviewDecided as Read

from orders.domain.events import EVENT_MODELS
from orders.domain.review import ReviewBody, decide_review
from orders.domain.timeline import Actor, Stage
from tests.integration.orders.conftest import customer_order


def _longest_note() -> str:
    note = ReviewBody.model_fields["note"]
    return "x" * next(m.max_length for m in note.metadata if hasattr(m, "max_length"))


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_fulfilment_reads_every_decision_the_orders_api_accepts(decision: str) -> None:
    # GIVEN the longest note the orders API accepts, decided by an agent (a Cognito sub) on a held order
    body = ReviewBody.model_validate({"decision": decision, "note": _longest_note()})
    agent = Actor(kind="agent", id="1a2b3c4d-5e6f-4a0b-9c8d-7e6f5a4b3c2d")
    order = customer_order(review_required=True)
    decided = decide_review(order, Stage.PAID, [], body, agent, "rvd_1", "2026-12-02T10:00:00.000Z")
    # WHEN fulfilment parses the event's detail data
    read = Read.model_validate(decided.event.model_dump(mode="json"))
    # THEN it reads the same decision, by the same agent, with the whole note
    assert (read.order_id, read.decision, read.agent_id) == (order.id, decision, agent.id)
    assert read.note == body.note
    assert EVENT_MODELS["OrderReviewDecided"] is type(decided.event)
