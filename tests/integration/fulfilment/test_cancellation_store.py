"""The fulfilment table's cancellation writes on moto: a request recorded once, a pending whole-order
cancellation that neither the review hold nor the allocation passes (each in its own transaction), and a
shipment change lost to a concurrent write refused as a race."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from fulfilment.adapters.dynamo import DynamoFulfilmentStore
from fulfilment.domain.cancellation import CancelledByRequest
from fulfilment.domain.models import OrderLine, Shipment, ShipmentKind, ShipmentLine, ShipmentStatus
from fulfilment.domain.ports import CancellationRace, CancellationRecord

from shop_kernel.money import Money
from tests.conftest import REGION

ORDER = "ord_01JD8Z6V4T3M2K1N0P9Q8R7S6T"
TABLE = "fulfilment-test"


@pytest.fixture
def store(aws_credentials: None, fast_moto_transactions: None) -> Iterator[DynamoFulfilmentStore]:
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield DynamoFulfilmentStore(client, TABLE)


def _shipment() -> Shipment:
    return Shipment(
        id="shp_01JD8Z6V4T3M2K1N0P9Q8R7S6A",
        order_id=ORDER,
        kind=ShipmentKind.DELIVERY,
        location_id="kyiv-dc",
        lines=(ShipmentLine(sku="LAP-A-BLK", quantity=2),),
        dispatch_by="2026-03-02T13:00:00Z",
    )


def _record(request_id: str, outcome: str = "pending") -> CancellationRecord:
    return CancellationRecord(
        order_id=ORDER, request_id=request_id, outcome=outcome, decided_at="2026-03-02T10:00:00Z"
    )


def test_a_pending_cancellation_stops_the_review_hold_and_the_allocation(
    store: DynamoFulfilmentStore,
) -> None:
    # GIVEN a whole-order cancellation before the workflow reached the order
    store.hold_cancellation(_record("req-1"))
    # WHEN the workflow holds it for review, or allocates it / THEN neither passes
    with pytest.raises(CancelledByRequest):
        store.hold_for_review(ORDER, "token-r", "2026-03-02T10:01:00Z")
    with pytest.raises(CancelledByRequest):
        store.save_allocation(ORDER, [_shipment()])
    assert store.allocation(ORDER) is None
    assert store.cancellation(ORDER, "req-1") == _record("req-1")
    # AND the same request cannot be recorded twice
    with pytest.raises(CancellationRace):
        store.hold_cancellation(_record("req-1"))


def test_a_cancellation_is_not_pending_once_the_order_is_allocated(store: DynamoFulfilmentStore) -> None:
    # GIVEN an allocated order (with its lines' totals)
    lines = [OrderLine(sku="LAP-A-BLK", quantity=2, total=Money.of(2000, "UAH"))]
    store.save_allocation(ORDER, [_shipment()], lines)
    # WHEN a request would record itself pending / THEN it lost the race: decide on the allocation
    with pytest.raises(CancellationRace):
        store.hold_cancellation(_record("req-2"))
    assert store.order_lines(ORDER) == lines


def test_a_shipment_changed_since_it_was_read_makes_the_record_a_race(store: DynamoFulfilmentStore) -> None:
    # GIVEN a shipment read at one version, then changed (the warehouse's report)
    shipment = _shipment()
    store.save_allocation(ORDER, [shipment])
    read = store.shipment(shipment.id)
    assert read is not None
    store.save(read, shipment.model_copy(update={"status": ShipmentStatus.PACKED}))
    # WHEN a cancellation decided on the old version is recorded
    cancelled = shipment.model_copy(update={"status": ShipmentStatus.CANCELLED, "cancelled_by": ("req-3",)})
    with pytest.raises(CancellationRace):
        store.record_cancellation(_record("req-3", "cancelled"), [(read, cancelled)])
    # THEN nothing of it was written
    assert store.cancellation(ORDER, "req-3") is None
    again = store.shipment(shipment.id)
    assert again is not None
    assert again.shipment.status is ShipmentStatus.PACKED
