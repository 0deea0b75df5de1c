"""Shipping and Tracking over in-memory ports: idempotent booking and cancelling, quotes across carriers,
tracking from webhooks and polls through one path, stuck shipments, and the events each change makes."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from carriers.domain.events import status_changes
from carriers.domain.models import ShipmentStatus, TrackingMode
from carriers.domain.ports import CarrierRejected, CarrierUnavailable
from carriers.domain.service import Shipping, Tracking
from carriers.domain.shipment import ShipmentNotCancellable

from shop_kernel.clock import FixedClock
from shop_kernel.errors import Conflict, ValidationFailed
from tests.unit.carriers.fakes import (
    LOCKER,
    PARCEL,
    T0,
    WAREHOUSE,
    FakeCarrier,
    MemoryLabels,
    MemoryShipments,
    event,
    request,
)

S = ShipmentStatus


@pytest.fixture
def world():
    carrier, poller = FakeCarrier("fake"), FakeCarrier("poly", TrackingMode.POLLING, price=50_00)
    store, labels, clock = MemoryShipments(), MemoryLabels(), FixedClock(T0)
    shipping = Shipping({"fake": carrier, "poly": poller}, store, labels, clock)
    return shipping, Tracking(store), carrier, poller, store, labels, clock


def test_booking_twice_returns_the_first_booking_and_one_label(world):
    shipping, _, carrier, _, store, labels, _ = world
    # GIVEN a shipment booked once
    first = shipping.book("fake", request())
    # WHEN the workflow retries the task
    second = shipping.book("fake", request())
    # THEN the carrier booked once, one label is stored, and both answers are the same booking
    assert len(carrier.bookings) == 1
    assert list(labels.objects) == ["labels/shp_1.pdf"]
    assert first == second
    assert first.status is S.BOOKED
    assert first.tracking_number == "FAKE0001"
    assert labels.get(first.label_key or "") == b"%PDF-1.4 label FAKE0001"
    # AND the tracking number leads back to the shipment
    assert store.find_by_tracking("fake", "FAKE0001") == first


def test_a_booking_interrupted_after_the_claim_books_again_with_the_same_reference(world):
    shipping, _, carrier, _, store, _, _ = world
    # GIVEN a claim left by a crashed attempt (claimed, carrier never answered)
    from carriers.domain.shipment import Shipment

    store.create(Shipment.claim("shp_1", "ord_1", "fake", request().destination, PARCEL, T0))
    # WHEN the retry books
    shipment = shipping.book("fake", request())
    # THEN it books with our shipment id as the reference and records it
    assert [r.shipment_id for r in carrier.bookings] == ["shp_1"]
    assert shipment.status is S.BOOKED


def test_the_same_shipment_id_for_another_order_or_after_a_cancel_is_a_conflict(world):
    shipping, *_ = world
    # GIVEN a booked shipment
    shipping.book("fake", request())
    # WHEN another order books with its id THEN conflict
    with pytest.raises(Conflict):
        shipping.book("fake", request(order_id="ord_2"))
    # AND once cancelled, booking it again is a conflict too (a new shipment id is needed)
    shipping.cancel("shp_1")
    with pytest.raises(Conflict):
        shipping.book("fake", request())


def test_a_booking_the_carrier_refuses_leaves_no_open_claim(world, monkeypatch):
    shipping, _, carrier, _, store, labels, _ = world

    def refuse(request):
        raise CarrierRejected("no such branch")

    # GIVEN a carrier that refuses the parcel
    monkeypatch.setattr(carrier, "create_shipment", refuse)
    # WHEN it is booked THEN the refusal reaches the workflow
    with pytest.raises(CarrierRejected):
        shipping.book("fake", request())
    # AND the claim is closed (not polled, not counted stuck), no label stored
    assert store.get("shp_1").status is S.CANCELLED
    assert store.open_shipments("fake") == []
    assert labels.objects == {}


def test_cancel_is_idempotent_and_refused_once_dispatched(world):
    shipping, tracking, carrier, _, _, _, _ = world
    # GIVEN two booked shipments, one of them dispatched
    shipping.book("fake", request("shp_1"))
    shipping.book("fake", request("shp_2"))
    tracking.apply_tracking([event("FAKE0002", S.DISPATCHED, 30)], "webhook")
    # WHEN the first is cancelled twice
    assert shipping.cancel("shp_1").status is S.CANCELLED
    assert shipping.cancel("shp_1").status is S.CANCELLED
    # THEN the carrier was told once
    assert carrier.cancelled == ["FAKE0001"]
    # AND the dispatched one refuses
    with pytest.raises(ShipmentNotCancellable):
        shipping.cancel("shp_2")


def test_quotes_come_cheapest_first_and_skip_a_carrier_that_is_down(world):
    shipping, _, carrier, poller, *_ = world
    # WHEN every carrier quotes THEN the cheaper comes first
    assert [r.carrier for r in shipping.quote(PARCEL, WAREHOUSE, LOCKER)] == ["poly", "fake"]
    # WHEN one is down THEN the other still quotes
    poller.down = True
    assert [r.carrier for r in shipping.quote(PARCEL, WAREHOUSE, LOCKER)] == ["fake"]
    # WHEN all are down THEN the carriers are unavailable (the workflow retries)
    carrier.down = True
    with pytest.raises(CarrierUnavailable):
        shipping.quote(PARCEL, WAREHOUSE, LOCKER)
    # AND an unknown carrier is a validation error
    with pytest.raises(ValidationFailed):
        shipping.quote(PARCEL, WAREHOUSE, LOCKER, ["dhl"])


def test_tracking_for_another_carriers_number_is_unknown(world):
    shipping, tracking, *_ = world
    # GIVEN a shipment booked with "fake"
    shipping.book("fake", request())
    # WHEN "poly" reports the same tracking number, and "fake" a number it never booked
    results = tracking.apply_tracking(
        [event("FAKE0001", S.DELIVERED, 60, carrier="poly"), event("NOPE", S.DELIVERED, 61)], "webhook"
    )
    # THEN both are unknown and the shipment did not move
    assert [r.outcome for r in results] == [None, None]
    assert shipping.get("shp_1").status is S.BOOKED


def test_events_of_one_delivery_apply_in_the_order_they_happened(world):
    shipping, tracking, *_ = world
    shipping.book("fake", request())
    # WHEN a delivery lists "delivered" before "in transit"
    results = tracking.apply_tracking(
        [event("FAKE0001", S.DELIVERED, 300), event("FAKE0001", S.IN_TRANSIT, 100)], "webhook"
    )
    # THEN both apply, oldest first
    assert [r.outcome for r in results] == ["applied", "applied"]
    assert [c.status for c in shipping.get("shp_1").history][-2:] == [S.IN_TRANSIT, S.DELIVERED]


def test_polling_asks_for_open_shipments_in_batches_and_uses_the_same_path(world):
    shipping, tracking, _, poller, *_ = world
    # GIVEN three booked shipments with the polling carrier, one already delivered
    for index in (1, 2, 3):
        shipping.book("poly", request(f"shp_{index}"))
    tracking.apply_tracking([event("POLY0003", S.DELIVERED, 10, carrier="poly")], "webhook")
    poller.reported = {"POLY0001": event("POLY0001", S.IN_TRANSIT, 30, carrier="poly")}
    # WHEN it is polled
    summary = tracking.poll(poller)
    # THEN only the two open ones were asked for, two per call, and one moved
    assert poller.tracking_calls == [["POLY0001", "POLY0002"]]
    assert (summary.open_shipments, summary.calls, summary.applied) == (2, 1, 1)
    assert shipping.get("shp_1").status is S.IN_TRANSIT


def test_stuck_shipments_are_the_open_ones_quiet_for_too_long(world):
    shipping, tracking, _, _, _, _, clock = world
    # GIVEN a shipment booked at T0 and another that moved two days later
    shipping.book("fake", request("shp_1"))
    shipping.book("fake", request("shp_2"))
    tracking.apply_tracking([event("FAKE0002", S.IN_TRANSIT, 48 * 60)], "webhook")
    # WHEN three days have passed
    clock.advance(hours=72, minutes=1)
    # THEN only the first is stuck
    stuck = tracking.stuck("fake", timedelta(hours=72), clock.now())
    assert [s.shipment_id for s in stuck] == ["shp_1"]


def test_each_change_is_one_event_with_a_stable_id_and_ids_only(world):
    shipping, tracking, _, _, store, _, _ = world
    # GIVEN a booked shipment (its claim publishes nothing)
    claim_view = None
    booked = shipping.book("fake", request())
    [booked_event] = status_changes(claim_view, booked)
    # WHEN it is dispatched
    tracking.apply_tracking([event("FAKE0001", S.DISPATCHED, 30)], "webhook")
    dispatched = store.get("shp_1")
    events = status_changes(booked, dispatched)
    # THEN one event, in sequence, carrying ids and statuses only
    assert [e.data["status"] for e in events] == ["dispatched"]
    assert events[0].data == {
        "order_id": "ord_1",
        "shipment_id": "shp_1",
        "carrier": "fake",
        "tracking_number": "FAKE0001",
        "status": "dispatched",
        "previous_status": "booked",
        "occurred_at": "2026-12-03T09:30:00.000Z",
        "sequence": 3,
    }
    assert booked_event.data["status"] == "booked"
    assert booked_event.data["previous_status"] is None
    # AND the same change seen again (a replayed stream record) has the same id
    assert status_changes(booked, dispatched)[0].metadata.event_id == events[0].metadata.event_id
    # AND a write that moved nothing (a stale update remembered) publishes nothing
    assert status_changes(dispatched, replace(dispatched, seen_event_ids=("x",))) == []


def test_a_retry_after_the_carrier_booked_but_before_we_recorded_finds_that_booking(world):
    shipping, _, carrier, _, store, _, _ = world
    # GIVEN the carrier booked shp_1, but the attempt died before recording it (only the claim is stored)
    from carriers.domain.shipment import Shipment

    store.create(Shipment.claim("shp_1", "ord_1", "fake", request().destination, PARCEL, T0))
    carrier.create_shipment(request())
    # WHEN the retry books
    shipment = shipping.book("fake", request())
    # THEN it asked the carrier first and recorded the existing booking: no second booking
    assert carrier.lookups == ["shp_1"]
    assert len(carrier.bookings) == 1
    assert shipment.tracking_number == "FAKE0001"


def test_a_first_booking_does_not_look_up(world):
    shipping, _, carrier, *_ = world
    shipping.book("fake", request())
    assert carrier.lookups == []
