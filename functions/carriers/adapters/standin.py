"""The local carrier stand-in (``infra/local/carrier_standin.py``) behind the ``Carrier`` port.

It speaks a small JSON API under ``<base>/v1``: ``POST /rates``, ``GET /branches?city=``, ``POST
/shipments`` (idempotent on ``reference``, our shipment id: the same reference answers the first
booking), ``POST /shipments/<id>/cancel`` (409 once picked up), ``GET /tracking?numbers=``. Tracking is
pushed: after a booking it posts signed webhooks (``picked_up``, ``in_transit``, ``delivered``) to
``/webhooks/carriers/standin`` on its own timers; ``parse_webhook`` reads them. The stand-in asks for no
API key (it runs on 127.0.0.1 only).

Webhook body: ``{"id": <delivery id>, "carrier": "standin", "events": [{"id", "tracking_number",
"status", "occurred_at", "description"}]}``, statuses in ``STATUSES``.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from carriers.adapters.transport import Transport
from carriers.domain.models import (
    Booking,
    Branch,
    Destination,
    Parcel,
    Rate,
    ShipmentRequest,
    ShipmentStatus,
    TrackingEvent,
    TrackingMode,
)
from carriers.domain.ports import CarrierRejected, CarrierUnavailable
from shop_kernel.address import Address
from shop_kernel.money import Money

CARRIER_ID = "standin"
S = ShipmentStatus
STATUSES: dict[str, ShipmentStatus] = {
    "picked_up": S.DISPATCHED,
    "in_transit": S.IN_TRANSIT,
    "out_for_delivery": S.IN_TRANSIT,
    "delivery_failed": S.FAILED_DELIVERY,
    "delivered": S.DELIVERED,
    "returned": S.RETURNED_TO_SENDER,
}


class StandinCarrier:
    carrier_id = CARRIER_ID
    tracking_mode = TrackingMode.WEBHOOK
    tracking_batch_size = 50

    def __init__(self, base_url: str, transport: Transport) -> None:
        self._base = base_url.rstrip("/") + "/v1"
        self._transport = transport

    def rates(self, parcel: Parcel, origin: Address, destination: Destination) -> list[Rate]:
        answer = self._call(
            "POST",
            "/rates",
            {
                "parcel": parcel.model_dump(mode="json"),
                "origin": origin.model_dump(mode="json"),
                "destination": destination.model_dump(mode="json"),
            },
        )
        return [
            Rate(
                carrier=CARRIER_ID,
                service=row["service"],
                price=Money.model_validate(row["price"]),
                estimated_delivery=date.fromisoformat(row["estimated_delivery"]),
            )
            for row in answer["rates"]
        ]

    def delivery_estimate(
        self, origin: Address, destination: Destination, ship_on: date, service: str | None = None
    ) -> date:
        query = urllib.parse.urlencode({"ship_on": ship_on.isoformat(), "service": service or "standard"})
        return date.fromisoformat(self._call("GET", f"/estimates?{query}")["estimated_delivery"])

    def branches(self, city: str) -> list[Branch]:
        answer = self._call("GET", f"/branches?{urllib.parse.urlencode({'city': city})}")
        return [Branch(carrier=CARRIER_ID, **row) for row in answer["branches"]]

    def create_shipment(self, request: ShipmentRequest) -> Booking:
        answer = self._call(
            "POST",
            "/shipments",
            {
                "reference": request.shipment_id,
                "service": request.service or "standard",
                "destination": request.destination.model_dump(mode="json"),
                "parcel": request.parcel.model_dump(mode="json"),
            },
        )
        return Booking(
            carrier=CARRIER_ID,
            tracking_number=answer["tracking_number"],
            carrier_reference=answer["id"],
            label=base64.b64decode(answer["label"]),
            label_format=answer["label_format"],
            price=Money.model_validate(answer["price"]),
            estimated_delivery=date.fromisoformat(answer["estimated_delivery"]),
        )

    def find_shipment(self, request: ShipmentRequest, since: date) -> Booking | None:
        return None  # the stand-in answers a second create with the same reference by the first booking

    def cancel(self, tracking_number: str, carrier_reference: str) -> None:
        self._call("POST", f"/shipments/{urllib.parse.quote(carrier_reference)}/cancel", {})

    def tracking(self, tracking_numbers: Sequence[str]) -> list[TrackingEvent]:
        query = urllib.parse.urlencode({"numbers": ",".join(tracking_numbers)})
        return [_event(row) for row in self._call("GET", f"/tracking?{query}")["events"]]

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        status, _, raw = self._transport.request(method, self._base + path, data, headers)
        if status >= 500 or status == 429:
            raise CarrierUnavailable(f"the carrier stand-in answered {status} to {method} {path}")
        answer = json.loads(raw or b"{}")
        if status >= 400:
            raise CarrierRejected(
                f"the carrier stand-in refused {method} {path}: {answer.get('error', status)}",
                carrier=CARRIER_ID,
            )
        return dict(answer)


def parse_webhook(body: Mapping[str, Any]) -> tuple[str, list[TrackingEvent]]:
    """(the delivery id, its tracking events) from a verified webhook body; ``ValueError`` if malformed."""
    try:
        if body.get("carrier") != CARRIER_ID:
            raise ValueError("the body names another carrier")
        return str(body["id"]), [_event(row) for row in body["events"]]
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"not a stand-in tracking webhook: {exc}") from exc


def _event(row: Mapping[str, Any]) -> TrackingEvent:
    status = STATUSES.get(str(row["status"]))
    if status is None:
        raise ValueError(f"unknown stand-in status {row['status']!r}")
    return TrackingEvent(
        carrier=CARRIER_ID,
        tracking_number=str(row["tracking_number"]),
        event_id=str(row["id"]),
        status=status,
        occurred_at=datetime.fromisoformat(str(row["occurred_at"]).replace("Z", "+00:00")),
        description=row.get("description"),
        carrier_status=str(row["status"]),
    )
