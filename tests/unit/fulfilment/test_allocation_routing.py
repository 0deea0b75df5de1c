""" "Allocate shipments" answers its own task token (``Fulfilment.allocate_when_ready``, driven through the
``fulfilment-tasks`` handler with the payload the workflow builds: the action, the token, the whole state): the
allocation, or the error that routes the order to its fraud review or to the charge of its electronic lines,
always as an answer and never a raise; a retried invocation changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fulfilment import wiring
from fulfilment.domain.service import ELECTRONIC_TO_CHARGE, HELD_FOR_REVIEW
from fulfilment.handlers.tasks import handler
from fulfilment.wiring import FulfilmentContainer

from shop_kernel.clock import FixedClock
from shop_kernel.events import InMemoryPublisher
from tests.unit.fulfilment.fakes import MemoryStore, RecordingCallbacks
from tests.unit.inventory.conftest import location

MORNING = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # 10:00 in Kyiv, before the cut-off
ORDER = "ord_01JD8Z6V4T3M2K1N0P9Q8R7S6T"
LAPTOP = {
    "sku": "LAP-A-BLK",
    "quantity": 2,
    "total": {"amount": 8_000_000, "currency": "UAH"},
    "digital": False,
}
ECERT = {"sku": "ECERT-25", "quantity": 1, "total": {"amount": 220_000, "currency": "UAH"}, "digital": True}
ADDRESS = {"name": "O. S.", "line1": "Khreshchatyk 1", "city": "Kyiv", "country": "UA"}


def _state(
    *, review_required: bool | None = False, ecert: bool = False, charged: bool = False
) -> dict[str, Any]:
    """The workflow's state at "Allocate shipments": checkout's execution input, plus the charge of the
    electronic lines once "Charge electronic lines" ran (``$.electronic``)."""
    state: dict[str, Any] = {
        "order_id": ORDER,
        "review_timeout_s": 172800,
        "placed_at": "2026-03-02T07:59:00.000Z",
        "correlation_id": ORDER,
        "currency": "UAH",
        "lines": [LAPTOP, ECERT] if ecert else [LAPTOP],
        "digital": ecert,
        "allocations": [
            {"line": 0, "sku": "LAP-A-BLK", "location_id": "kyiv-dc", "quantity": 2, "transfer_to": None}
        ],
        "fulfilment": {"mode": "delivery", "location_id": None},
        "destination": {"kind": "address", "address": ADDRESS},
    }
    if review_required is not None:  # an execution without a screening result is held, as if flagged
        state["review_required"] = review_required
    if charged:
        state["electronic"] = {"captured": {"amount": 220_000, "currency": "UAH"}}
    return state


def _task(state: dict[str, Any], token: str = "token-a") -> dict[str, Any]:
    """The Lambda payload the Task's Parameters build (``order.$``: the whole state)."""
    return {"action": "allocate", "task_token": token, "order": state}


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> tuple[MemoryStore, RecordingCallbacks, InMemoryPublisher]:
    store, callbacks, publisher = MemoryStore(), RecordingCallbacks(), InMemoryPublisher()
    container = FulfilmentContainer(
        store=store,
        callbacks=callbacks,
        publisher=publisher,
        clock=FixedClock(MORNING),
        locations=lambda: {"kyiv-dc": location("kyiv-dc", "warehouse")},
    )
    monkeypatch.setattr(wiring, "container", container)
    return store, callbacks, publisher


def test_an_order_the_screening_cleared_is_allocated_and_its_token_answered_with_the_shipments(
    world: tuple[MemoryStore, RecordingCallbacks, InMemoryPublisher], lambda_context: Any
) -> None:
    store, callbacks, _ = world
    # GIVEN an order of two laptops that fraud screening did not flag
    # WHEN the workflow's Task invokes the function
    answer = handler(_task(_state()), lambda_context)
    # THEN it answered its own token with the one shipment (what the Task's ResultSelector reads), stored once
    assert answer == {"answered": "allocated"}
    ((token, outcome, output),) = callbacks.answers
    assert (token, outcome, output["count"]) == ("token-a", "success", 1)
    assert output["shipments"][0]["lines"] == [{"sku": "LAP-A-BLK", "quantity": 2}]
    assert output["shipments"][0]["shipment_id"] in store.shipments


@pytest.mark.parametrize("review_required", [True, None], ids=["flagged", "no screening result"])
def test_a_flagged_order_not_yet_approved_is_routed_to_its_review_without_an_allocation(
    world: tuple[MemoryStore, RecordingCallbacks, InMemoryPublisher],
    lambda_context: Any,
    review_required: bool | None,
) -> None:
    store, callbacks, _ = world
    # GIVEN an order screening flagged (or left without a result), no decision yet
    # WHEN the Task invokes the function
    answer = handler(_task(_state(review_required=review_required)), lambda_context)
    # THEN the token failed with the routing error (returned, not raised: no Lambda error), nothing allocated
    assert answer == {"answered": HELD_FOR_REVIEW}
    assert [a[:2] for a in callbacks.answers] == [("token-a", HELD_FOR_REVIEW)]
    assert store.allocations == {}
    # AND while the order waits undecided, entering again routes it to the review again
    store.hold_for_review(ORDER, "token-r", "2026-03-02T08:00:00Z")
    assert handler(_task(_state(review_required=review_required), "token-b"), lambda_context) == {
        "answered": HELD_FOR_REVIEW
    }


def test_an_approved_order_is_allocated_when_the_review_leads_back(
    world: tuple[MemoryStore, RecordingCallbacks, InMemoryPublisher], lambda_context: Any
) -> None:
    store, callbacks, _ = world
    # GIVEN a flagged order an agent approved (the decision in fulfilment's own table)
    store.hold_for_review(ORDER, "token-r", "2026-03-02T08:00:00Z")
    store.decide_review(ORDER, "approve", "agent-1", "2026-03-02T09:00:00Z")
    # WHEN "Wait for fraud review" leads back to the Task (the same input: review_required is still true)
    answer = handler(_task(_state(review_required=True), "token-b"), lambda_context)
    # THEN it is allocated
    assert answer == {"answered": "allocated"}
    assert [a[:2] for a in callbacks.answers] == [("token-b", "success")]
    assert ORDER in store.allocations


def test_a_held_order_with_electronic_lines_is_reviewed_then_charged_then_allocated(
    world: tuple[MemoryStore, RecordingCallbacks, InMemoryPublisher], lambda_context: Any
) -> None:
    store, callbacks, publisher = world
    # GIVEN a flagged order of a laptop and an e-certificate
    # WHEN the Task runs first, after the approval, and after the charge of the electronic lines
    held = handler(_task(_state(review_required=True, ecert=True), "token-1"), lambda_context)
    store.hold_for_review(ORDER, "token-r", "2026-03-02T08:00:00Z")
    store.decide_review(ORDER, "approve", "agent-1", "2026-03-02T09:00:00Z")
    to_charge = handler(_task(_state(review_required=True, ecert=True), "token-2"), lambda_context)
    allocated = handler(
        _task(_state(review_required=True, ecert=True, charged=True), "token-3"), lambda_context
    )
    # THEN the review comes before any money moves, then the charge, then the allocation
    assert [held, to_charge, allocated] == [
        {"answered": HELD_FOR_REVIEW},
        {"answered": ELECTRONIC_TO_CHARGE},
        {"answered": "allocated"},
    ]
    assert [a[:2] for a in callbacks.answers] == [
        ("token-1", HELD_FOR_REVIEW),
        ("token-2", ELECTRONIC_TO_CHARGE),
        ("token-3", "success"),
    ]
    # AND only the allocation announced the electronic lines fulfilled
    assert [e.detail_type for e in publisher.published] == ["ElectronicLinesFulfilled"]


def test_electronic_lines_of_an_order_the_screening_cleared_are_charged_first(
    world: tuple[MemoryStore, RecordingCallbacks, InMemoryPublisher], lambda_context: Any
) -> None:
    store, callbacks, _ = world
    # GIVEN an unflagged order with an e-certificate, not charged yet / WHEN the Task invokes the function
    answer = handler(_task(_state(ecert=True)), lambda_context)
    # THEN it is routed to the charge, nothing allocated
    assert answer == {"answered": ELECTRONIC_TO_CHARGE}
    assert [a[:2] for a in callbacks.answers] == [("token-a", ELECTRONIC_TO_CHARGE)]
    assert store.allocations == {}


def test_a_retried_invocation_allocates_once_and_a_spent_token_is_no_error(
    world: tuple[MemoryStore, RecordingCallbacks, InMemoryPublisher], lambda_context: Any
) -> None:
    store, callbacks, _ = world
    # GIVEN an allocated order whose token was answered
    first = handler(_task(_state()), lambda_context)
    # WHEN the same invocation runs again (its token spent: TaskTimedOut / InvalidToken), then the Task's
    # retry with a new token
    again = handler(_task(_state()), lambda_context)
    retried = handler(_task(_state(), "token-retry"), lambda_context)
    # THEN no error; the spent token is not answered twice, the new one gets the same shipments
    assert first == again == retried == {"answered": "allocated"}
    assert [a[:2] for a in callbacks.answers] == [("token-a", "success"), ("token-retry", "success")]
    assert callbacks.answers[0][2] == callbacks.answers[1][2]
    assert len(store.shipments) == 1


def test_an_order_cancelled_before_its_allocation_answers_the_cancellation(
    world: tuple[MemoryStore, RecordingCallbacks, InMemoryPublisher], lambda_context: Any
) -> None:
    store, callbacks, _ = world
    # GIVEN a whole-order cancellation that came before the workflow allocated
    store.pending.add(ORDER)
    # WHEN the Task invokes the function
    answer = handler(_task(_state()), lambda_context)
    # THEN the token failed with CancelledByRequest (the workflow voids the order), nothing allocated
    assert answer == {"answered": "CancelledByRequest"}
    assert [a[:2] for a in callbacks.answers] == [("token-a", "CancelledByRequest")]
    assert store.allocations == {}
