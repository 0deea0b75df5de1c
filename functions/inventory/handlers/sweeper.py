"""Scheduled every few minutes: expire active reservations past their ``expires_at``.

DynamoDB's TTL deletes expired reservations eventually (it can lag by hours), and stock held by an
abandoned checkout must come back sooner. The sweeper queries the sparse ``RESERVATIONS#active`` index
by expiry (never a Scan) and expires each under a ``status = active`` condition, so it races safely with
checkout, the TTL path and another sweeper. The stream then publishes ``ReservationExpired``.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from inventory import wiring
from shop_kernel.observability import logger, metrics

BATCH = 100
SAFETY_MARGIN_MS = 5_000  # stop early enough to answer before the function's timeout


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    expired = 0
    while True:
        swept = wiring.container.reservations().sweep_expired(limit=BATCH)
        expired += swept
        if swept < BATCH or context.get_remaining_time_in_millis() < SAFETY_MARGIN_MS:
            break
    metrics.add_metric(name="ReservationsExpiredBySweeper", unit="Count", value=expired)
    logger.info("swept expired reservations", extra={"expired": expired, "schedule": event.get("resources")})
    return {"expired": expired}
