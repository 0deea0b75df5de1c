"""Checkout's OrderPlaced / OrderCancelled through customers-order-events (SQS batches as Lambda delivers
them): RFM segments from the orders that count, replays and disorder harmless, CustomerSegmentChanged."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from tests.integration.customers.conftest import CUSTOMER_SUB, cancelled, order_events_batch, placed
from tests.support import Reply


def _days_ago(days: int) -> str:
    return (
        (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def _segments(agent: Callable[..., Reply]) -> list[str]:
    view = agent("GET", f"/admin/customers/{CUSTOMER_SUB}")
    assert view.status == 200, view.body
    return list(view.body["segments"]["names"])


def test_frequent_recent_big_orders_make_a_champion_and_replays_count_once(
    consume: Callable[[list[tuple[str, dict[str, Any]]]], dict[str, Any]],
    agent: Callable[..., Reply],
    publish_changes: Callable[[], list[dict[str, Any]]],
) -> None:
    # GIVEN five recent orders worth 300 EUR each
    orders = [placed(f"ord_{n}", CUSTOMER_SUB, 30_000, _days_ago(n)) for n in range(1, 6)]
    # WHEN they arrive, and the same batch is delivered again
    assert consume(orders) == {"batchItemFailures": []}
    assert consume(orders) == {"batchItemFailures": []}
    # THEN the customer is a champion, counted from five orders (not ten)
    view = agent("GET", f"/admin/customers/{CUSTOMER_SUB}").body
    assert len(view["orders"]) == 5
    assert (view["segments"]["recency"], view["segments"]["frequency"], view["segments"]["monetary"]) == (
        5,
        4,
        5,
    )
    assert view["segments"]["names"] == ["champions", "loyal", "big_spender"]
    # AND every change of segments was announced, ending at the champion's
    changes = [e["detail"]["data"] for e in publish_changes() if e["detail-type"] == "CustomerSegmentChanged"]
    assert changes[0]["previous_segments"] == []
    assert changes[-1]["segments"] == ["champions", "loyal", "big_spender"]


def test_a_cancellation_before_its_placement_still_keeps_the_order_from_counting(
    consume: Callable[[list[tuple[str, dict[str, Any]]]], dict[str, Any]], agent: Callable[..., Reply]
) -> None:
    # GIVEN one counted order
    consume([placed("ord_1", CUSTOMER_SUB, 10_000, _days_ago(3))])
    assert _segments(agent) == ["new_customer"]
    # WHEN a second order's cancellation arrives before its placement (queues do not keep order)
    consume([cancelled("ord_2", _days_ago(1))])
    consume([placed("ord_2", CUSTOMER_SUB, 900_000, _days_ago(2))])
    # THEN it is remembered as cancelled and does not count
    orders = {
        o["order_id"]: o["cancelled"] for o in agent("GET", f"/admin/customers/{CUSTOMER_SUB}").body["orders"]
    }
    assert orders == {"ord_1": False, "ord_2": True}
    assert _segments(agent) == ["new_customer"]
    # WHEN the counted order is cancelled too THEN no segment is left
    consume([cancelled("ord_1", _days_ago(0))])
    assert _segments(agent) == []


def test_guest_orders_unplaced_cancellations_and_other_events_change_nothing(
    customers_stack: SimpleNamespace, lambda_context: Any, functions: Any
) -> None:
    # GIVEN a guest's order, an order cancelled before it was ever placed, and an event this consumer ignores
    batch = order_events_batch(
        [placed("ord_g", None, 10_000, _days_ago(1)), cancelled("ord_x", _days_ago(1), was_placed=False)]
    )
    other = json.loads(batch["Records"][0]["body"])
    other["detail-type"] = "PaymentFailed"
    batch["Records"].append({**batch["Records"][0], "messageId": "msg-x", "body": json.dumps(other)})
    # WHEN they are consumed
    answer = functions.invoke("customers-order-events", batch, lambda_context)
    # THEN none fails and nothing is written
    assert answer == {"batchItemFailures": []}
    assert customers_stack.dynamodb.scan(TableName=customers_stack.table)["Items"] == []


def test_an_event_of_an_unknown_major_version_is_a_batch_item_failure(
    customers_stack: SimpleNamespace, lambda_context: Any, functions: Any
) -> None:
    # GIVEN an OrderPlaced of a version this consumer does not read, in a batch with one it reads
    batch = order_events_batch(
        [
            placed("ord_1", CUSTOMER_SUB, 10_000, _days_ago(1)),
            placed("ord_2", CUSTOMER_SUB, 10_000, _days_ago(1)),
        ]
    )
    body = json.loads(batch["Records"][0]["body"])
    body["detail"]["metadata"]["version"] = "3.0"
    batch["Records"][0]["body"] = json.dumps(body)
    # WHEN it is consumed THEN that record is retried (then dead-lettered), not silently dropped
    answer = functions.invoke("customers-order-events", batch, lambda_context)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "msg-0"}]}
