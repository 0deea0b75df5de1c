"""``fulfilment-cancellations`` handed the orders context's ``OrderReviewDecided`` as its queue delivers it (an
SQS batch of EventBridge events; the fulfilment ports faked): the decision answers the review token once,
written before the token; a repeat changes nothing; a decision for an order not waiting is logged and ignored,
never retried."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from fulfilment import wiring
from fulfilment.domain.service import REJECTED
from fulfilment.handlers.cancellations import handler
from fulfilment.inbound.orders import SCHEMA_VERSION, SOURCE
from fulfilment.wiring import FulfilmentContainer

from shop_kernel.clock import FixedClock
from shop_kernel.events import InMemoryPublisher
from tests.conftest import REGION
from tests.unit.fulfilment.fakes import MemoryStore, RecordingCallbacks

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
ORDER = "ord_01JD8Z6V4T3M2K1N0P9Q8R7S6T"
AGENT = "1a2b3c4d-5e6f-4a0b-9c8d-7e6f5a4b3c2d"


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> tuple[MemoryStore, RecordingCallbacks]:
    store, callbacks = MemoryStore(), RecordingCallbacks()
    container = FulfilmentContainer(
        store=store, callbacks=callbacks, publisher=InMemoryPublisher(), clock=FixedClock(NOW)
    )
    monkeypatch.setattr(wiring, "container", container)
    return store, callbacks


def _batch(decision: str, event_id: str = "rvd_01JD8Z6V4T3M2K1N0P9Q8R7S6V") -> dict[str, Any]:
    """One ``OrderReviewDecided`` as the order-cancellations-to-fulfilment rule puts it on the queue."""
    at = "2026-03-02T08:00:00.000Z"
    envelope = {
        "version": "0",
        "id": f"eb-{event_id}",
        "detail-type": "OrderReviewDecided",
        "source": SOURCE,
        "account": "123456789012",
        "time": at,
        "region": REGION,
        "resources": [],
        "detail": {
            "metadata": {
                "version": SCHEMA_VERSION,
                "eventId": event_id,
                "occurredAt": at,
                "correlationId": ORDER,
            },
            "data": {
                "order_id": ORDER,
                "decision": decision,
                "agent_id": AGENT,
                "note": "called the buyer",
                "decided_at": at,
            },
        },
    }
    return {
        "Records": [
            {
                "messageId": f"msg-{event_id}",
                "receiptHandle": f"handle-{event_id}",
                "body": json.dumps(envelope),
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1763900000000"},
                "messageAttributes": {},
                "md5OfBody": "0" * 32,
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:shop-test-fulfilment-cancellations",
                "awsRegion": REGION,
            }
        ]
    }


def test_an_approval_answers_the_review_token_once_however_often_it_is_delivered(
    store: tuple[MemoryStore, RecordingCallbacks], lambda_context: Any
) -> None:
    # GIVEN an order the workflow holds for review
    memory, callbacks = store
    memory.hold_for_review(ORDER, "token-r", "2026-03-02T07:00:00Z")
    # WHEN the agent's approval is delivered twice
    first = handler(_batch("approve"), lambda_context)
    second = handler(_batch("approve"), lambda_context)
    # THEN the decision is written, and the token answered once with it
    assert first == second == {"batchItemFailures": []}
    assert memory.review(ORDER).status == "approve"  # type: ignore[union-attr]
    assert callbacks.answers == [("token-r", "success", {"decision": "approve", "by": AGENT})]


def test_a_rejection_fails_the_token_and_a_later_approval_is_ignored(
    store: tuple[MemoryStore, RecordingCallbacks], lambda_context: Any
) -> None:
    # GIVEN an order held for review
    memory, callbacks = store
    memory.hold_for_review(ORDER, "token-r", "2026-03-02T07:00:00Z")
    # WHEN it is rejected, then (another event) approved
    rejected = handler(_batch("reject"), lambda_context)
    approved = handler(_batch("approve", "rvd_01JD8Z6V4T3M2K1N0P9Q8R7S6W"), lambda_context)
    # THEN the token failed once with the rejection; the approval changed nothing and is not retried
    assert rejected == approved == {"batchItemFailures": []}
    assert memory.review(ORDER).status == "reject"  # type: ignore[union-attr]
    assert [(token, answer) for token, answer, _ in callbacks.answers] == [("token-r", REJECTED)]


def test_a_decision_for_an_order_not_held_or_cancelled_meanwhile_is_ignored(
    store: tuple[MemoryStore, RecordingCallbacks], lambda_context: Any
) -> None:
    # GIVEN no review hold at all
    memory, callbacks = store
    # WHEN a decision arrives / THEN it is acknowledged (not retried) and answers nothing
    assert handler(_batch("approve"), lambda_context) == {"batchItemFailures": []}
    assert callbacks.answers == []
    assert memory.review(ORDER) is None
