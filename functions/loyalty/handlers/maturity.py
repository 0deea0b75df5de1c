"""The scheduled job: matures pending points and cashback whose return window closed, expires points
and announces expiry ahead (``loyalty.domain.schedule``), for the members due now (an index query);
then issues win-back coupons to members whose last order is older than the rule's days (once per lapse)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty import wiring
from shop_kernel.observability import get_tracer, logger, metrics

tracer = get_tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    c = wiring.container
    counts = c.service().run_due(c.settings().loyalty_due_batch)
    for outcome, count in counts.items():
        metrics.add_metric(name=f"LoyaltyDue{outcome.title().replace('-', '')}", unit="Count", value=count)
    win_back = c.coupons().run_win_back(c.settings().loyalty_due_batch)
    for outcome, count in win_back.items():
        metrics.add_metric(
            name=f"LoyaltyWinBack{outcome.title().replace('-', '')}", unit="Count", value=count
        )
    logger.info("due members handled", extra={"counts": counts, "win_back": win_back})
    return {"members": counts, "win_back": win_back}
