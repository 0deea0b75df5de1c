"""POST /webhooks/carriers/{carrier} on moto, as API Gateway delivers it: a signed delivery advances the
shipment and the stream publishes ShipmentStatusChanged; forged, replayed and foreign deliveries change
nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from tests.integration.carriers.conftest import book_task, delivery, sign
from tests.support import TableStream


def _booked(task: Callable[[dict[str, Any]], Any]) -> str:
    return str(task(book_task())["tracking_number"])


def test_a_signed_delivery_moves_the_shipment_and_publishes_its_status(
    task, webhook, stream: TableStream, functions: Any, lambda_context: Any, event_log
):
    # GIVEN a booked shipment
    number = _booked(task)
    # WHEN the carrier posts "picked up", then "in transit", then "delivered"
    for index, status in enumerate(("picked_up", "in_transit", "delivered")):
        reply = webhook(delivery(number, status, f"2026-12-03T1{index}:00:00Z", delivery_id=f"whd_{index}"))
        # THEN each is accepted and applied
        assert reply.status == 200
        assert reply.body["events"][0]["outcome"] == "applied"
    # WHEN the shipments table's stream reaches carrier-events
    result = functions.invoke("carrier-events", stream.batch(), lambda_context)
    # THEN every change is one ShipmentStatusChanged on the bus, in order, with ids only
    assert result == {"batchItemFailures": []}
    published = [e for e in event_log() if e["detail-type"] == "ShipmentStatusChanged"]
    data = [e["detail"]["data"] for e in published]
    assert [d["status"] for d in data] == ["booked", "dispatched", "in_transit", "delivered"]
    assert {e["source"] for e in published} == {"shop.carriers"}
    assert data[-1]["order_id"] == book_task()["order_id"]
    assert data[-1]["occurred_at"] == "2026-12-03T12:00:00.000Z"
    assert set(data[-1]) == {
        "order_id",
        "shipment_id",
        "carrier",
        "tracking_number",
        "status",
        "previous_status",
        "occurred_at",
        "sequence",
    }


def test_the_same_delivery_twice_is_a_duplicate_and_a_late_update_is_stale(task, webhook):
    # GIVEN a delivered parcel
    number = _booked(task)
    webhook(delivery(number, "delivered", "2026-12-03T12:00:00Z", delivery_id="whd_1"))
    # WHEN the carrier resends that delivery (our answer was lost), then a late "in transit"
    repeat = webhook(delivery(number, "delivered", "2026-12-03T12:00:00Z", delivery_id="whd_1"))
    late = webhook(delivery(number, "in_transit", "2026-12-03T09:00:00Z", delivery_id="whd_2"))
    # THEN the first is recognised as a repeat and the second is stale: both 200, nothing moves
    assert repeat.status == 200
    assert repeat.body["duplicate"] is True
    assert late.body["events"][0]["outcome"] == "stale"


def test_forged_tampered_and_replayed_deliveries_are_400_and_change_nothing(
    task, webhook, carriers_stack: SimpleNamespace
):
    number = _booked(task)
    body = delivery(number, "delivered", "2026-12-03T12:00:00Z")
    # WHEN the body is signed with another key, signed then changed, signed ten minutes ago, or unsigned
    forged = webhook(body, signature=sign(body, key="whk_someone_else"))
    tampered = webhook(body.replace(b"delivered", b"returned"), signature=sign(body))
    replayed = webhook(body, signature=sign(body, at=int(time.time()) - 600))
    unsigned = webhook(body, signature=None)
    # THEN each is a 400 problem naming the signature header
    for reply in (forged, tampered, replayed, unsigned):
        assert reply.status == 400
        assert reply.headers["Content-Type"] == "application/problem+json"
        assert reply.body["errors"][0]["field"] == "header.carrier-signature"
    # AND the shipment is still only booked
    item = carriers_stack.dynamodb.scan(TableName=carriers_stack.table)["Items"]
    assert {i["status"]["S"] for i in item if i["type"]["S"] == "shipment"} == {"booked"}


def test_tracking_for_an_unknown_number_is_ignored_and_another_carrier_is_404(task, webhook):
    _booked(task)
    # WHEN the stand-in reports a parcel we never booked with it
    reply = webhook(delivery("SI9999999999", "delivered", "2026-12-03T12:00:00Z"))
    # THEN 200 (it stops sending), the event marked unknown
    assert reply.status == 200
    assert reply.body["events"][0]["outcome"] == "unknown"
    # WHEN someone posts for a carrier that has no webhook here (Nova Poshta is polled)
    body = delivery("20450987654321", "delivered", "2026-12-03T12:00:00Z")
    foreign = webhook(body, carrier="nova-poshta")
    # THEN 404: nobody may post tracking for it
    assert foreign.status == 404


def test_a_verified_body_the_carrier_would_not_send_is_a_400(task, webhook):
    # WHEN a correctly signed body has an unknown status, or no events
    unknown_status = json.dumps(
        {"id": "whd_x", "carrier": "standin", "events": [{"id": "e", "status": "lost"}]}
    ).encode()
    reply = webhook(unknown_status)
    # THEN it is refused as malformed
    assert reply.status == 400
    assert reply.body["type"].endswith("malformed-request")
