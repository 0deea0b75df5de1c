"""carrier-tasks as the fulfilment workflow invokes it: quote, book (label in S3, idempotent on our
shipment id), cancel (idempotent; refused once the carrier has the parcel), on moto and the carrier
stand-in, with only the grants and environment its spec gives it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from carriers.domain.shipment import ShipmentNotCancellable
from carriers.handlers.tasks import InvalidCarrierTask

from shop_kernel.errors import Conflict
from tests.integration.carriers.conftest import book_task, delivery

PARCEL = book_task()["parcel"]


def test_quote_lists_the_stand_ins_rates_cheapest_first(task):
    # WHEN the workflow asks for rates to a Lviv parcel locker
    answer = task(
        {
            "action": "quote",
            "parcel": PARCEL,
            "origin": book_task()["origin"],
            "destination": book_task()["destination"],
        }
    )
    # THEN the configured carrier (the stand-in; Nova Poshta has no account here) quotes, cheapest first
    assert [(r["carrier"], r["service"]) for r in answer["rates"]] == [
        ("standin", "standard"),
        ("standin", "express"),
    ]
    assert answer["rates"][0]["price"] == {"amount": 7000, "currency": "UAH"}


def test_booking_twice_gives_one_booking_and_one_label(task, carriers_stack: SimpleNamespace):
    # GIVEN a shipment booked
    first = task(book_task())
    # WHEN the workflow retries the task (a Retry after a timeout, a redriven execution)
    second = task(book_task())
    # THEN the same booking both times
    assert first == second
    assert first["status"] == "booked"
    assert first["tracking_number"].startswith("SI")
    # AND one label in the bucket, the stand-in's PDF, under the shipment's key
    objects = carriers_stack.s3.list_objects_v2(Bucket=carriers_stack.bucket)["Contents"]
    assert [o["Key"] for o in objects] == ["labels/shp_01JD3Q4Z9K8M2N5P7R9T1V3X5Z.pdf"]
    label = carriers_stack.s3.get_object(Bucket=carriers_stack.bucket, Key=first["label_key"])["Body"].read()
    assert label.startswith(b"%PDF")
    # AND the stand-in booked one parcel
    assert carriers_stack.standin.tracking({"numbers": first["tracking_number"]}) == {"events": []}
    assert len(carriers_stack.standin._by_reference) == 1


def test_the_same_shipment_id_for_another_order_is_refused(task):
    # GIVEN a booked shipment WHEN another order books with its id THEN the task fails Conflict
    task(book_task())
    with pytest.raises(Conflict):
        task(book_task(order_id="ord_01JD3Q4Z9K8M2N5P7R9T1V3X5B"))


def test_cancel_is_idempotent_and_refused_once_picked_up(task, webhook):
    # GIVEN two booked shipments, the second picked up (the carrier's webhook says so)
    task(book_task("shp_1"))
    picked = task(book_task("shp_2"))
    reply = webhook(delivery(picked["tracking_number"], "picked_up", "2026-12-03T10:00:00Z"))
    assert reply.body["events"][0]["outcome"] == "applied"
    # WHEN the first is cancelled twice
    first = task({"action": "cancel", "shipment_id": "shp_1"})
    again = task({"action": "cancel", "shipment_id": "shp_1"})
    # THEN it is cancelled, the second call changing nothing
    assert first["status"] == again["status"] == "cancelled"
    # AND the picked-up one is refused with the error the workflow's Catch matches
    with pytest.raises(ShipmentNotCancellable):
        task({"action": "cancel", "shipment_id": "shp_2"})


def test_an_input_the_task_does_not_take_fails_by_name(task):
    # WHEN the workflow sends a book without a parcel, or an unknown action
    # THEN the task fails InvalidCarrierTask (never retried), naming what is wrong
    with pytest.raises(InvalidCarrierTask, match="parcel"):
        task({k: v for k, v in book_task().items() if k != "parcel"})
    with pytest.raises(InvalidCarrierTask):
        task({"action": "ship-it-now"})
