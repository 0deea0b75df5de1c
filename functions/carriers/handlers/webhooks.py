"""``POST /webhooks/carriers/{carrier}``: a carrier's tracking updates, verified, deduplicated, applied.

1. The carrier must be one that pushes tracking (``wiring.WEBHOOK_PARSERS``) and have a key in the
   ``carrier-webhook-signing`` secret; otherwise 404 (nobody may post for it).
2. ``Carrier-Signature`` is checked on the exact body (``carriers.domain.webhooks``): forged, tampered,
   signed with another carrier's key, or more than five minutes old -> 400, nothing changes.
3. The delivery id: a delivery handled before answers 200 ``duplicate`` and changes nothing (a carrier
   retries when our answer is lost; a replay inside the tolerance is the same).
4. Each tracking event advances its shipment through the status machine (``Tracking.apply_tracking``).
   An event for a tracking number this carrier never booked for us (another carrier's shipment, a
   stranger's parcel) is ignored and logged, as are stale, repeated and impossible moves: the answer is
   200 with what happened to each, so the carrier stops sending it. The shipments table's stream
   publishes ``ShipmentStatusChanged`` for the moves.

An outage answers 503 and the carrier retries; the delivery is remembered only once handled, so its
retry is applied (each event is idempotent on its id within the shipment).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Header, Path
from pydantic import BaseModel, ConfigDict, Field

from carriers import wiring
from carriers.domain.webhooks import SIGNATURE_HEADER, verify
from shop_kernel.errors import MalformedRequest, NotFound
from shop_kernel.http import api_function, json_response
from shop_kernel.observability import logger, metrics
from shop_kernel.openapi import documented, ok, problem, route_checked

TITLE = "Carrier webhooks"
VERSION = "1.0.0"
SignatureHeader = Annotated[
    str | None,
    Header(
        alias=SIGNATURE_HEADER,
        description="The carrier's signature of the body: `t=<unix time>,v1=<HMAC-SHA256 hex of "
        '"<t>.<body>">` (checked by the route)',
        json_schema_extra=route_checked(
            examples=["t=1767225600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd"]
        ),
    ),
]
CarrierPath = Annotated[str, Path(pattern=r"^[a-z][a-z0-9-]{1,30}$", examples=["standin"])]

router = Router()


class CarrierWebhook(BaseModel):
    """A carrier's tracking delivery (its own format past ``id``; only what routing needs is listed)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "id": "whd_01JD3Q4Z9K8M2N5P7R9T1V3X5Z",
                    "carrier": "standin",
                    "events": [
                        {
                            "id": "trk_01JD3Q4Z9K8M2N5P7R9T1V3X60",
                            "tracking_number": "SI0000000001",
                            "status": "in_transit",
                            "occurred_at": "2026-12-03T10:15:00Z",
                        }
                    ],
                }
            ]
        },
    )

    id: str = Field(min_length=1, max_length=128, description="The delivery's id (deduplication)")


class TrackingOutcome(BaseModel):
    tracking_number: str
    event_id: str
    status: str
    outcome: Literal["applied", "duplicate", "stale", "refused", "unknown"] = Field(
        description="applied: the shipment moved; duplicate/stale: seen or behind its status; refused: an "
        "impossible move (logged for ops); unknown: no shipment of this carrier has the number (logged)"
    )


class WebhookReceived(BaseModel):
    """The delivery was verified and handled (or recognised as a repeat); the carrier stops sending it."""

    received: Literal[True]
    delivery_id: str
    duplicate: bool
    events: list[TrackingOutcome]


@router.post(
    "/webhooks/carriers/<carrier>",
    summary="Receive a carrier's tracking updates",
    description="A carrier's endpoint for tracking updates (picked up, in transit, delivered, failed "
    "delivery, returned): not for shops or shoppers. The Carrier-Signature must match the exact body with "
    "that carrier's key and be at most five minutes old, else 400 and nothing changes. A delivery seen "
    "before answers 200 as a duplicate; updates for parcels this carrier did not book for us are ignored "
    "(200, outcome unknown). A carrier without webhooks here is a 404; a 503 makes the carrier retry.",
    tags=["carriers"],
    operation_id="receive_carrier_tracking",
    responses=documented(
        ok(WebhookReceived, "Verified and handled (or a repeat of one handled)"),
        problem(404, "No webhook for this carrier"),
    ),
)
def carrier_webhook(_delivery: CarrierWebhook, carrier: CarrierPath, signature: SignatureHeader = None):
    container = wiring.container
    parse = wiring.WEBHOOK_PARSERS.get(carrier)
    key = container.webhook_keys()().get(carrier) if parse is not None else None
    if parse is None or key is None:
        raise NotFound(f"no tracking webhook for carrier {carrier!r}")
    raw = (router.current_event.decoded_body or "").encode()
    settings = container.settings()
    now = container.clock().now()
    # The signature covers the exact bytes the carrier sent, so it is checked on the raw body.
    verify(raw, signature, key, now, timedelta(seconds=settings.webhook_tolerance_s))
    try:
        delivery_id, events = parse(json.loads(raw))
    except ValueError as exc:
        raise MalformedRequest(f"not a {carrier} tracking delivery: {exc}") from exc
    store = container.store()
    if store.delivery_seen(carrier, delivery_id):
        logger.info("carrier webhook repeated", extra={"carrier": carrier, "delivery_id": delivery_id})
        return json_response({"received": True, "delivery_id": delivery_id, "duplicate": True, "events": []})
    results = container.tracking().apply_tracking(events, "webhook")
    store.remember_delivery(carrier, delivery_id, now + timedelta(days=settings.webhook_dedup_days))
    outcomes = [_outcome(result) for result in results]
    for outcome in outcomes:
        if outcome["outcome"] in ("unknown", "refused"):
            logger.warning(
                "tracking update ignored", extra={"carrier": carrier, "delivery_id": delivery_id, **outcome}
            )
        metrics.add_metric(name=f"TrackingUpdate{outcome['outcome'].title()}", unit="Count", value=1)
    return json_response(
        {"received": True, "delivery_id": delivery_id, "duplicate": False, "events": outcomes}
    )


def _outcome(result: Any) -> dict[str, str]:
    return {
        "tracking_number": result.event.tracking_number,
        "event_id": result.event.event_id,
        "status": result.event.status.value,
        "outcome": result.outcome or "unknown",
    }


# The correlation id is the X-Request-Id every answer carries (shop_kernel.proxy.finish).
app, handler = api_function(
    [router], openapi_path="/webhooks/carriers/openapi.json", title=TITLE, version=VERSION
)
