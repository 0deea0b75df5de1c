"""The shipments table layout on moto: a shipment is created once, saved only from the version read,
findable by its tracking number once booked, listed among its carrier's open shipments until final."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import boto3
import pytest
from carriers.adapters.dynamo import DynamoShipmentStore
from carriers.domain.models import Booking, ShipmentStatus, TrackingEvent
from carriers.domain.ports import ConcurrentUpdate
from carriers.domain.shipment import Shipment

from shop_kernel.money import Money
from tests.conftest import REGION
from tests.unit.carriers.fakes import HOME, PARCEL

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(carriers_stack: SimpleNamespace) -> DynamoShipmentStore:
    return DynamoShipmentStore(boto3.client("dynamodb", region_name=REGION), carriers_stack.table)


def test_a_shipment_round_trips_and_is_created_once(store: DynamoShipmentStore):
    # GIVEN a claimed then booked shipment
    claim = store.create(Shipment.claim("shp_1", "ord_1", "standin", HOME, PARCEL, T0))
    assert claim is not None
    booking = Booking(
        carrier="standin",
        tracking_number="SI1",
        carrier_reference="sis_1",
        label=b"%PDF",
        label_format="pdf",
        price=Money.of(7000, "UAH"),
    )
    booked = store.save(claim.booked(booking, "labels/shp_1.pdf", T0 + timedelta(seconds=1)))
    # THEN it reads back equal, by id and by tracking number, and a second create is refused
    assert store.get("shp_1") == booked
    assert store.find_by_tracking("standin", "SI1") == booked
    assert store.find_by_tracking("nova-poshta", "SI1") is None
    assert store.create(Shipment.claim("shp_1", "ord_2", "standin", HOME, PARCEL, T0)) is None


def test_a_save_from_an_old_version_is_a_concurrent_update(store: DynamoShipmentStore):
    # GIVEN a shipment read by two writers
    claim = store.create(Shipment.claim("shp_1", "ord_1", "standin", HOME, PARCEL, T0))
    assert claim is not None
    store.save(claim.cancel(T0 + timedelta(minutes=1)))
    # WHEN the second saves from the version it read THEN it is refused
    with pytest.raises(ConcurrentUpdate):
        store.save(claim.cancel(T0 + timedelta(minutes=2)))


def test_open_shipments_leave_the_index_when_final(store: DynamoShipmentStore):
    # GIVEN two booked shipments, one then delivered
    for index in (1, 2):
        claim = store.create(Shipment.claim(f"shp_{index}", "ord_1", "standin", HOME, PARCEL, T0))
        assert claim is not None
        booking = Booking(
            carrier="standin",
            tracking_number=f"SI{index}",
            carrier_reference="r",
            label=b"%PDF",
            label_format="pdf",
        )
        store.save(claim.booked(booking, f"labels/shp_{index}.pdf", T0 + timedelta(minutes=index)))
    shipment = store.get("shp_2")
    assert shipment is not None
    delivered = TrackingEvent(
        carrier="standin",
        tracking_number="SI2",
        event_id="e",
        status=ShipmentStatus.DELIVERED,
        occurred_at=T0 + timedelta(hours=5),
    )
    _, moved = shipment.track(delivered, "webhook")
    store.save(moved)
    # THEN only the first is open, and it is quiet since before T0 + 1 hour
    assert [s.shipment_id for s in store.open_shipments("standin")] == ["shp_1"]
    assert [
        s.shipment_id for s in store.open_shipments("standin", updated_before=T0 + timedelta(hours=1))
    ] == ["shp_1"]
    assert store.open_shipments("standin", updated_before=T0) == []
