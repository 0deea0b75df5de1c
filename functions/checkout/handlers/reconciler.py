"""Scheduled: orders against Stripe's PaymentIntents, differences reported and safe ones repaired.

``checkout.domain.reconciliation`` says what differs and what may be put right by itself (void a
PaymentIntent nobody can use any more, apply an authorisation or a capture whose webhook was lost); the
rest is flagged. Each run emits one metric per kind of drift (zero included, so an alarm sees the
series), ``PaymentDriftsRepaired`` and ``PaymentDriftsFlagged``, and publishes ``PaymentDriftFound``
(ids only) when anything differed.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from checkout import wiring
from checkout.domain.reconciliation import PaymentDriftKind, drift_event
from shop_kernel.clock import isoformat
from shop_kernel.observability import logger, metrics, record_published


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    run_at = isoformat(wiring.container.clock().now())
    report = wiring.container.payments_reconciler().run()
    found = report.found_by_kind()
    for kind in PaymentDriftKind:
        metrics.add_metric(name=f"PaymentDrift.{kind.value}", unit="Count", value=found.get(kind.value, 0))
    metrics.add_metric(name="PaymentDriftsRepaired", unit="Count", value=len(report.repaired))
    metrics.add_metric(name="PaymentDriftsFlagged", unit="Count", value=len(report.flagged))
    published = drift_event(report, run_at)
    if published is not None:
        wiring.container.publisher().publish([published])
        record_published([published])
    summary = {
        "intents_checked": report.intents_checked,
        "orders_checked": report.orders_checked,
        "found": found,
        "repaired": report.repaired_by_kind(),
        "flagged": len(report.flagged),
    }
    logger.info("reconciled payments", extra={**summary, "schedule": event.get("resources")})
    return summary
