"""Scheduled every few minutes: orders left unpaid past ``payment_due_by`` are cancelled.

The sparse ``ORDERS#pending_payment`` index gives them by deadline (never a Scan), a page at a time. For
each, Stripe is asked first: a PaymentIntent that is authorised after all (its webhook is late) places
the order instead, extending its stock hold; otherwise the PaymentIntent is cancelled (so the shopper
can no longer pay it) and the order cancelled, giving back its code uses and certificate debits in the
same transaction, under a version condition that races safely with the webhook. The orders stream then
releases the stock and publishes ``OrderCancelled``.

Each order stands alone: one that fails (Stripe unreachable, a refused write) is logged, counted in the
``UnpaidOrdersFailed`` metric and left for the next run, and the sweep goes on past it to the next page,
so no order at the head of the index can stop the others from being expired.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from checkout import wiring
from checkout.domain.payments import Outcome
from shop_kernel.clock import isoformat
from shop_kernel.observability import logger, metrics

BATCH = 50
SAFETY_MARGIN_MS = 10_000  # stop early enough to answer before the function's timeout
FAILED = "failed"


def _expire(order_id: str) -> Outcome:
    try:
        return wiring.container.payment_events().expire(order_id)
    except Exception:  # one order's failure must not stop the sweep: logged, counted, retried next run
        logger.exception("unpaid order not swept", extra={"order_id": order_id})
        return Outcome(FAILED, order_id)


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    outcomes: dict[str, int] = {}
    now, after, checked = isoformat(wiring.container.clock().now()), None, 0
    while context.get_remaining_time_in_millis() > SAFETY_MARGIN_MS:
        due, after = wiring.container.store().unpaid_orders(now, BATCH, after)
        for order_id in due:
            if context.get_remaining_time_in_millis() <= SAFETY_MARGIN_MS:
                break
            outcome = _expire(order_id)
            outcomes[outcome.action] = outcomes.get(outcome.action, 0) + 1
            checked += 1
        if after is None:
            break
    metrics.add_metric(name="UnpaidOrdersExpired", unit="Count", value=outcomes.get("expired", 0))
    metrics.add_metric(name="UnpaidOrdersFailed", unit="Count", value=outcomes.get(FAILED, 0))
    logger.info("swept unpaid orders", extra={"outcomes": outcomes, "schedule": event.get("resources")})
    return {"expired": outcomes.get("expired", 0), "failed": outcomes.get(FAILED, 0), "checked": checked}
