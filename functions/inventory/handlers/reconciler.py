"""Scheduled: stock counters against active reservations, differences reported and safe ones repaired.

``inventory.domain.reconciliation`` says what differs; a ``reserved`` (or ``available``) counter that
does not add up is recounted from the active reservations when the level has been quiet long enough,
under a condition that it is still exactly as read. Everything else is flagged. Each run emits one
metric per kind of drift (zero included), ``StockHoldDriftsRepaired`` and ``StockHoldDriftsFlagged``,
and publishes ``StockHoldDriftFound`` when anything differed.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from inventory import wiring
from inventory.domain.reconciliation import HoldDriftKind, drift_event
from shop_kernel.clock import isoformat
from shop_kernel.observability import logger, metrics, record_published


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    run_at = isoformat(wiring.container.clock().now())
    report = wiring.container.holds_reconciler().run()
    found = report.found_by_kind()
    for kind in HoldDriftKind:
        metrics.add_metric(name=f"StockHoldDrift.{kind.value}", unit="Count", value=found.get(kind.value, 0))
    metrics.add_metric(name="StockHoldDriftsRepaired", unit="Count", value=len(report.repaired))
    metrics.add_metric(name="StockHoldDriftsFlagged", unit="Count", value=len(report.flagged))
    published = drift_event(report, run_at)
    if published is not None:
        wiring.container.publisher().publish([published])
        record_published([published])
    summary = {
        "levels_checked": report.levels_checked,
        "holds_checked": report.holds_checked,
        "found": found,
        "repaired": report.repaired_by_kind(),
        "flagged": len(report.flagged),
    }
    logger.info("reconciled stock holds", extra={**summary, "schedule": event.get("resources")})
    return summary
