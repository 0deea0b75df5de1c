"""Scheduled: poll tracking of the carriers that push nothing (Nova Poshta), and count stuck shipments.

1. For each configured polling carrier, its open shipments (gsi1, never a Scan) are asked for in
   batches of the carrier's limit (100 numbers per Nova Poshta call) and the answers go through the same
   ``Tracking.apply_tracking`` as webhooks; the stream then publishes ``ShipmentStatusChanged``. A carrier
   that cannot be reached is logged and counted (``TrackingPollFailed``); the next run asks again.
2. For every carrier, webhook or polling, the open shipments with no tracking update for
   ``STUCK_AFTER_HOURS`` are counted into the ``StuckShipments`` metric (alarmed on) and logged by id,
   so ops see a parcel the carrier lost, or a webhook that never came.

Answers ``{"polled": {carrier: {open, calls, applied}}, "stuck": {carrier: count}}``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from carriers import wiring
from carriers.domain.models import TrackingMode
from carriers.domain.ports import CarrierUnavailable
from shop_kernel.observability import get_tracer, logger, metrics

tracer = get_tracer()
STUCK_METRIC = "StuckShipments"


def poll_carriers() -> dict[str, dict[str, int]]:
    container = wiring.container
    polled: dict[str, dict[str, int]] = {}
    for carrier in container.carriers().values():
        if carrier.tracking_mode is not TrackingMode.POLLING:
            continue
        try:
            summary = container.tracking().poll(carrier)
        except CarrierUnavailable:
            logger.exception("tracking poll failed", extra={"carrier": carrier.carrier_id})
            metrics.add_metric(name="TrackingPollFailed", unit="Count", value=1)
            continue
        polled[carrier.carrier_id] = {
            "open": summary.open_shipments,
            "calls": summary.calls,
            "applied": summary.applied,
        }
        metrics.add_metric(name="TrackingUpdatesPolled", unit="Count", value=summary.applied)
    return polled


def count_stuck() -> dict[str, int]:
    container = wiring.container
    quiet_for = timedelta(hours=container.settings().stuck_after_hours)
    now = container.clock().now()
    stuck: dict[str, int] = {}
    for carrier_id in wiring.KNOWN_CARRIERS:
        shipments = container.tracking().stuck(carrier_id, quiet_for, now)
        stuck[carrier_id] = len(shipments)
        if shipments:
            logger.warning(
                "shipments without tracking updates",
                extra={
                    "carrier": carrier_id,
                    "quiet_hours": container.settings().stuck_after_hours,
                    "shipment_ids": [s.shipment_id for s in shipments[:50]],
                },
            )
    metrics.add_metric(name=STUCK_METRIC, unit="Count", value=sum(stuck.values()))
    return stuck


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    polled = poll_carriers()
    stuck = count_stuck()
    logger.info("tracking poll", extra={"polled": polled, "stuck": stuck, "schedule": event.get("resources")})
    return {"polled": polled, "stuck": stuck}
