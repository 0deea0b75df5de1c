"""Rules on a provisioned bus: what reaches the orders projection's queue (``order-news-to-orders``) and
fulfilment's wait for delivery (``shipment-status-to-fulfilment``)."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import boto3

from infra.local.provision import event_bus_name
from infra.resources import physical_name
from tests.conftest import REGION


def _news(source: str, detail_type: str, **data: str) -> dict[str, str]:
    detail = {"metadata": {"eventId": f"evt_{detail_type}_{data.get('status', '')}"}, "data": data}
    return {
        "EventBusName": event_bus_name("test"),
        "Source": source,
        "DetailType": detail_type,
        "Detail": json.dumps(detail),
    }


def _drained(sqs: Any, queue: str) -> list[tuple[str, str]]:
    """(detail-type, status) of every message on the queue, sorted."""
    bodies = []
    while messages := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
        bodies += [json.loads(m["Body"]) for m in messages]
        entries = [{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)]
        sqs.delete_message_batch(QueueUrl=queue, Entries=entries)
    return sorted((b["detail-type"], b["detail"]["data"].get("status", "")) for b in bodies)


def test_neither_a_carriers_booking_nor_a_capture_reaches_the_orders_queue_but_other_news_does(
    orders_stack: SimpleNamespace,
) -> None:
    # GIVEN a provisioned stage
    sqs = boto3.client("sqs", region_name=REGION)
    queue = sqs.get_queue_url(QueueName=physical_name("test", "orders-events"))["QueueUrl"]

    # WHEN checkout places an order and captures its charge, and the carrier books, dispatches and
    # delivers its parcel
    tracking = [
        _news("shop.carriers", "ShipmentStatusChanged", order_id="ord_1", status=status)
        for status in ("booked", "dispatched", "delivered")
    ]
    placed, captured = (
        _news("shop.checkout", kind, order_id="ord_1") for kind in ("OrderPlaced", "PaymentCaptured")
    )
    entries = [placed, captured, *tracking]
    assert boto3.client("events", region_name=REGION).put_events(Entries=entries)["FailedEntryCount"] == 0

    # THEN the orders projection is handed the placement and every tracking change but the booking
    assert _drained(sqs, queue) == [
        ("OrderPlaced", ""),
        ("ShipmentStatusChanged", "delivered"),
        ("ShipmentStatusChanged", "dispatched"),
    ]


def test_only_the_tracking_that_ends_a_wait_reaches_fulfilments_queue(orders_stack: SimpleNamespace) -> None:
    # GIVEN a provisioned stage
    sqs = boto3.client("sqs", region_name=REGION)
    queue = sqs.get_queue_url(QueueName=physical_name("test", "fulfilment-carrier-events"))["QueueUrl"]

    # WHEN a carrier reports every status a parcel can reach
    statuses = ("booked", "dispatched", "in_transit", "failed_delivery", "returned_to_sender", "delivered")
    entries = [_news("shop.carriers", "ShipmentStatusChanged", order_id="ord_1", status=s) for s in statuses]
    events = boto3.client("events", region_name=REGION)
    assert events.put_events(Entries=entries[:5])["FailedEntryCount"] == 0
    assert events.put_events(Entries=entries[5:])["FailedEntryCount"] == 0

    # THEN fulfilment is handed delivered, failed delivery and returned to sender, nothing else
    assert _drained(sqs, queue) == [
        ("ShipmentStatusChanged", "delivered"),
        ("ShipmentStatusChanged", "failed_delivery"),
        ("ShipmentStatusChanged", "returned_to_sender"),
    ]
