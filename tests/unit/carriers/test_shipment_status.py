"""The shipment status machine: tracking moves it forward only; late, repeated and impossible updates
change nothing; a parcel the carrier has cannot be cancelled."""

from __future__ import annotations

from datetime import timedelta

import pytest
from carriers.domain.models import Booking, ShipmentStatus
from carriers.domain.shipment import Shipment, ShipmentNotCancellable

from shop_kernel.money import Money
from tests.unit.carriers.fakes import HOME, PARCEL, T0, event

S = ShipmentStatus


def booked() -> Shipment:
    claim = Shipment.claim("shp_1", "ord_1", "fake", HOME, PARCEL, T0)
    booking = Booking(
        carrier="fake",
        tracking_number="TN1",
        carrier_reference="ref",
        label=b"%PDF",
        label_format="pdf",
        price=Money.of(6500, "UAH"),
    )
    return claim.booked(booking, "labels/shp_1.pdf", T0 + timedelta(seconds=5))


def moved(shipment: Shipment, *statuses_at: tuple[ShipmentStatus, int]) -> Shipment:
    for status, minutes in statuses_at:
        outcome, shipment = shipment.track(event("TN1", status, minutes), "webhook")
        assert outcome == "applied", (status, outcome)
    return shipment


def test_tracking_moves_a_booked_shipment_through_to_delivered():
    # GIVEN a booked shipment
    # WHEN the carrier reports each step in order
    shipment = moved(booked(), (S.DISPATCHED, 60), (S.IN_TRANSIT, 120), (S.DELIVERED, 600))
    # THEN it is delivered, with every step in its history
    assert shipment.status is S.DELIVERED
    assert [c.status for c in shipment.history] == [
        S.BOOKING,
        S.BOOKED,
        S.DISPATCHED,
        S.IN_TRANSIT,
        S.DELIVERED,
    ]
    assert shipment.is_final


def test_a_skipped_status_is_still_a_move_forward():
    # GIVEN a booked shipment WHEN the carrier's first report is "in transit" (no pickup scan)
    outcome, shipment = booked().track(event("TN1", S.IN_TRANSIT, 30), "poll")
    # THEN it is applied
    assert outcome == "applied"
    assert shipment.status is S.IN_TRANSIT


def test_the_same_event_twice_is_a_duplicate_and_changes_nothing():
    # GIVEN a shipment that applied an event
    shipment = moved(booked(), (S.DISPATCHED, 60))
    # WHEN the same event (same id) arrives again
    outcome, again = shipment.track(event("TN1", S.DISPATCHED, 60), "webhook")
    # THEN it is a duplicate and the very same shipment comes back
    assert outcome == "duplicate"
    assert again is shipment


def test_an_older_or_backward_update_is_stale():
    # GIVEN an in-transit shipment (updated at minute 120)
    shipment = moved(booked(), (S.DISPATCHED, 60), (S.IN_TRANSIT, 120))
    # WHEN "dispatched" arrives late (out of order), and a failed delivery stamped before the last update
    backward, after_backward = shipment.track(event("TN1", S.DISPATCHED, 61, "late-1"), "webhook")
    older, after_older = after_backward.track(event("TN1", S.FAILED_DELIVERY, 90, "late-2"), "webhook")
    # THEN both are stale: the status stays, only the ids are remembered
    assert (backward, older) == ("stale", "stale")
    assert after_older.status is S.IN_TRANSIT
    assert after_older.history == shipment.history
    assert {"late-1", "late-2"} <= set(after_older.seen_event_ids)


def test_a_delivered_shipment_ignores_transit_and_refuses_a_return():
    # GIVEN a delivered shipment
    shipment = moved(booked(), (S.IN_TRANSIT, 60), (S.DELIVERED, 120))
    # WHEN the carrier then reports "in transit" and "returned to sender"
    transit, _ = shipment.track(event("TN1", S.IN_TRANSIT, 200, "x1"), "webhook")
    returned, after = shipment.track(event("TN1", S.RETURNED_TO_SENDER, 300, "x2"), "webhook")
    # THEN the first is stale, the second refused (impossible), and it stays delivered
    assert (transit, returned) == ("stale", "refused")
    assert after.status is S.DELIVERED


def test_a_failed_delivery_can_be_retried_to_delivered_or_returned():
    # GIVEN a failed delivery attempt
    failed = moved(booked(), (S.IN_TRANSIT, 60), (S.FAILED_DELIVERY, 120))
    # WHEN the carrier tries again, or gives up
    retried = moved(failed, (S.IN_TRANSIT, 180), (S.DELIVERED, 240))
    returned = moved(failed, (S.RETURNED_TO_SENDER, 500))
    # THEN both are moves forward
    assert retried.status is S.DELIVERED
    assert returned.status is S.RETURNED_TO_SENDER


def test_tracking_for_a_cancelled_or_unbooked_shipment_is_refused():
    # GIVEN a cancelled shipment and a claim not booked yet
    cancelled = booked().cancel(T0 + timedelta(minutes=1))
    claim = Shipment.claim("shp_2", "ord_1", "fake", HOME, PARCEL, T0)
    # WHEN tracking arrives for them
    # THEN it is refused and they keep their status
    for shipment in (cancelled, claim):
        outcome, after = shipment.track(event("TN1", S.DELIVERED, 60), "webhook")
        assert outcome == "refused"
        assert after.status is shipment.status


def test_a_carrier_report_of_cancellation_is_refused_not_applied():
    # GIVEN a booked shipment WHEN the carrier reports it deleted (only our cancel may cancel)
    outcome, after = booked().track(event("TN1", S.CANCELLED, 30), "poll")
    # THEN it is refused (ops look at it), not cancelled
    assert outcome == "refused"
    assert after.status is S.BOOKED


def test_a_booked_shipment_cancels_once_and_a_dispatched_one_refuses():
    # GIVEN a booked shipment
    shipment = booked()
    # WHEN it is cancelled twice
    cancelled = shipment.cancel(T0 + timedelta(minutes=1))
    again = cancelled.cancel(T0 + timedelta(minutes=2))
    # THEN it is cancelled once (the second is the same shipment)
    assert cancelled.status is S.CANCELLED
    assert again is cancelled
    # AND a dispatched one cannot be cancelled
    with pytest.raises(ShipmentNotCancellable) as refused:
        moved(shipment, (S.DISPATCHED, 60)).cancel(T0 + timedelta(minutes=61))
    assert refused.value.status == 409


def test_the_remembered_event_ids_are_bounded():
    # GIVEN a shipment WHEN it sees many stale updates
    shipment = moved(booked(), (S.IN_TRANSIT, 60))
    for index in range(80):
        _, shipment = shipment.track(event("TN1", S.DISPATCHED, 1, f"old-{index}"), "poll")
    # THEN only the latest ids are kept
    assert len(shipment.seen_event_ids) == 50
    assert shipment.seen_event_ids[-1] == "old-79"
