"""The order fulfilment workflow (``state_machines/order_fulfilment.asl.json``) executed in moto.

For now it only routes: orders checkout flagged for review are held, every other paid order is accepted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.workflows.conftest import Execution

WORKFLOW = "order-fulfilment"


def _order(*, review_required: bool) -> dict[str, Any]:
    """The execution input checkout-events starts the workflow with."""
    return {
        "order_id": "ord_01JD8Z6V4T3M2K1N0P9Q8R7S6T",
        "review_required": review_required,
        "placed_at": "2025-03-14T09:26:53Z",
        "correlation_id": "c0ffee00-1234-4abc-9def-0123456789ab",
    }


def test_an_order_without_review_is_accepted_straight_away(
    run_execution: Callable[[str, dict[str, Any]], Execution],
) -> None:
    # GIVEN a paid order checkout did not flag
    order = _order(review_required=False)
    # WHEN the workflow runs
    execution = run_execution(WORKFLOW, order)
    # THEN it succeeds without the fraud hold and passes the order on unchanged
    assert execution.status == "SUCCEEDED"
    assert execution.visited == ["Needs manual review?", "Accept paid order", "Ready for fulfilment"]
    assert execution.output == order


def test_an_order_flagged_for_review_is_held_first(
    run_execution: Callable[[str, dict[str, Any]], Execution],
) -> None:
    # GIVEN a paid order checkout's fraud screening flagged
    order = _order(review_required=True)
    # WHEN the workflow runs
    execution = run_execution(WORKFLOW, order)
    # THEN it goes through the fraud hold before it is accepted
    assert execution.status == "SUCCEEDED"
    assert execution.visited == [
        "Needs manual review?",
        "Hold for fraud review",
        "Accept paid order",
        "Ready for fulfilment",
    ]
    assert execution.output == order


def test_an_order_without_a_screening_result_is_held_too(
    run_execution: Callable[[str, dict[str, Any]], Execution],
) -> None:
    # GIVEN an order whose input lacks review_required (a screening that did not run)
    order = _order(review_required=False)
    del order["review_required"]
    # WHEN the workflow runs
    execution = run_execution(WORKFLOW, order)
    # THEN it is held for review rather than accepted unscreened
    assert execution.status == "SUCCEEDED"
    assert "Hold for fraud review" in execution.visited
