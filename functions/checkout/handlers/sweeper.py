"""Scheduled every few minutes: orders left unpaid past ``payment_due_by`` are cancelled.

The sparse ``ORDERS#pending_payment`` index gives them by deadline (never a Scan). For each, Stripe is
asked first: a PaymentIntent that is authorised after all (its webhook is late) places the order
instead; otherwise the PaymentIntent is cancelled (so the shopper can no longer pay it) and the order
cancelled, under a version condition that races safely with the webhook. The orders stream then
releases the stock and publishes ``OrderCancelled``.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from checkout.adapters import clock, payment_events, store
from shop_kernel.clock import isoformat
from shop_kernel.observability import logger, metrics

BATCH = 50
SAFETY_MARGIN_MS = 10_000  # stop early enough to answer before the function's timeout


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    outcomes: dict[str, int] = {}
    seen: set[str] = set()
    while context.get_remaining_time_in_millis() > SAFETY_MARGIN_MS:
        due = [o for o in store().unpaid_orders(isoformat(clock().now()), BATCH) if o not in seen]
        for order_id in due:
            seen.add(order_id)
            outcome = payment_events().expire(order_id)
            outcomes[outcome.action] = outcomes.get(outcome.action, 0) + 1
        if len(due) < BATCH:
            break
    metrics.add_metric(name="UnpaidOrdersExpired", unit="Count", value=outcomes.get("expired", 0))
    logger.info("swept unpaid orders", extra={"outcomes": outcomes, "schedule": event.get("resources")})
    return {"expired": outcomes.get("expired", 0), "checked": len(seen)}
