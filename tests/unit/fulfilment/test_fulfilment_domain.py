"""Shipment planning, picking and the fulfilment service's idempotent tasks and callbacks (pure Python)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from fulfilment.domain.models import (
    Allocated,
    FulfilmentMode,
    OrderLine,
    ShipmentKind,
    ShipmentLine,
    ShipmentStatus,
)
from fulfilment.domain.picking import PickNotExpected, record_pick
from fulfilment.domain.planning import UnknownLocation, next_collection, plan_shipments
from fulfilment.domain.service import (
    DeliveryNotAwaited,
    Fulfilment,
    NotWaitingForCollection,
    ReviewNotPending,
)

from shop_kernel.clock import FixedClock
from shop_kernel.errors import NotFound, ValidationFailed
from shop_kernel.events import InMemoryPublisher
from shop_kernel.money import Money
from tests.unit.fulfilment.fakes import MemoryStore, RecordingCallbacks
from tests.unit.inventory.conftest import location

# 10:00 in Kyiv (UTC+2 in winter): before the warehouses' 15:00 cut-off.
MORNING = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
EVENING = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # 16:00 in Kyiv, after the cut-off
ORDER = "ord_01JD8Z6V4T3M2K1N0P9Q8R7S6T"
ADDRESS = {
    "kind": "address",
    "address": {"name": "O. S.", "line1": "Khreshchatyk 1", "city": "Kyiv", "country": "UA"},
}
NETWORK = {
    loc.id: loc
    for loc in (
        location("podil", transfer_lead_time_hours={"near-dc": 30}),
        location("near-dc", "warehouse", priority=10),
        location("far-dc", "warehouse", priority=20, carrier_cutoff="12:00"),
    )
}


def _lines(*quantities: int) -> list[OrderLine]:
    return [
        OrderLine(sku=f"SKU-{i}", quantity=q, total=Money.of(1000 * q, "UAH"))
        for i, q in enumerate(quantities)
    ]


def _ids() -> itertools.count[int]:
    return itertools.count(1)


def _plan(
    allocations: list[Allocated], mode: FulfilmentMode, lines: list[OrderLine], now: datetime = MORNING
):
    counter = _ids()
    return plan_shipments(
        ORDER,
        lines,
        allocations,
        mode,
        ADDRESS if mode.mode == "delivery" else None,
        locations=NETWORK,
        carrier="standin",
        currency="UAH",
        now=now,
        new_id=lambda: f"shp_{next(counter):026d}",
    )


DELIVERY = FulfilmentMode(mode="delivery")
PICKUP = FulfilmentMode(mode="pickup", location_id="podil")


def test_a_delivery_from_one_warehouse_is_one_shipment_for_todays_collection() -> None:
    # GIVEN two lines both held at near-dc, ordered before its 15:00 cut-off
    allocations = [
        Allocated(line=0, sku="SKU-0", location_id="near-dc", quantity=2),
        Allocated(line=1, sku="SKU-1", location_id="near-dc", quantity=1),
    ]
    # WHEN the order is planned
    (shipment,) = _plan(allocations, DELIVERY, _lines(2, 1))
    # THEN one delivery shipment with both lines, to the buyer, aimed at today's 15:00 Kyiv (13:00 UTC)
    assert shipment.kind is ShipmentKind.DELIVERY
    assert [(line.sku, line.quantity) for line in shipment.lines] == [("SKU-0", 2), ("SKU-1", 1)]
    assert shipment.destination == ADDRESS
    assert shipment.carrier == "standin"
    assert shipment.dispatch_by == "2026-03-02T13:00:00.000Z"
    assert shipment.parcel is not None
    assert shipment.parcel.declared_value == Money.of(3000, "UAH")


def test_a_split_order_is_a_shipment_per_warehouse_earliest_collection_first() -> None:
    # GIVEN a line held at near-dc and one at far-dc (whose cut-off, 12:00, is earlier)
    allocations = [
        Allocated(line=0, sku="SKU-0", location_id="near-dc", quantity=1),
        Allocated(line=1, sku="SKU-1", location_id="far-dc", quantity=3),
    ]
    # WHEN planned at 10:00 Kyiv
    shipments = _plan(allocations, DELIVERY, _lines(1, 3))
    # THEN two shipments, far-dc's first (12:00 today), each declared at its own lines' value
    assert [s.location_id for s in shipments] == ["far-dc", "near-dc"]
    assert [s.parcel.declared_value.amount for s in shipments if s.parcel] == [3000, 1000]


def test_after_the_cut_off_a_shipment_aims_at_tomorrows_collection() -> None:
    # GIVEN / WHEN a warehouse's next collection is asked for at 16:00 Kyiv
    collection = next_collection(NETWORK["near-dc"], EVENING)
    # THEN it is tomorrow's 15:00
    assert collection == datetime(2026, 3, 3, 13, 0, tzinfo=UTC)


def test_pickup_picks_in_the_store_and_transfers_the_rest_from_a_warehouse() -> None:
    # GIVEN a pickup at podil: one line on podil's shelves, one held at near-dc for transfer to podil
    allocations = [
        Allocated(line=0, sku="SKU-0", location_id="podil", quantity=1),
        Allocated(line=1, sku="SKU-1", location_id="near-dc", quantity=2, transfer_to="podil"),
    ]
    # WHEN planned
    shipments = {s.kind: s for s in _plan(allocations, PICKUP, _lines(1, 2))}
    # THEN the store picks its line (no carrier), and the warehouse ships a transfer to the store's address
    store, transfer = shipments[ShipmentKind.STORE_PICKUP], shipments[ShipmentKind.TRANSFER]
    assert (store.location_id, store.carrier, store.destination) == ("podil", None, None)
    assert (transfer.location_id, transfer.transfer_to, transfer.carrier) == ("near-dc", "podil", "standin")
    assert transfer.destination == {
        "kind": "address",
        "address": NETWORK["podil"].address.model_dump(mode="json", exclude_none=True),
    }


def test_an_allocation_at_an_unknown_location_is_refused() -> None:
    # GIVEN / WHEN / THEN
    with pytest.raises(UnknownLocation):
        _plan([Allocated(line=0, sku="SKU-0", location_id="gone", quantity=1)], DELIVERY, _lines(1))


def _requested(quantity: int = 3):
    (shipment,) = _plan(
        [Allocated(line=0, sku="SKU-0", location_id="near-dc", quantity=quantity)], DELIVERY, _lines(quantity)
    )
    return shipment.model_copy(update={"status": ShipmentStatus.PICK_REQUESTED})


def test_a_short_pick_packs_what_was_found_and_drops_the_rest() -> None:
    # GIVEN a shipment of 3 units waiting for its pick
    # WHEN the warehouse packed 2
    picked = record_pick(_requested(3), [ShipmentLine(sku="SKU-0", quantity=2)])
    # THEN 2 are packed and 1 dropped
    assert picked.status is ShipmentStatus.PACKED
    assert [(x.sku, x.quantity) for x in picked.packed] == [("SKU-0", 2)]
    assert [(x.sku, x.quantity) for x in picked.dropped] == [("SKU-0", 1)]


@pytest.mark.parametrize(("sku", "quantity"), [("SKU-9", 1), ("SKU-0", 4)])
def test_a_report_of_other_skus_or_more_units_is_refused(sku: str, quantity: int) -> None:
    # GIVEN / WHEN / THEN
    with pytest.raises(ValidationFailed):
        record_pick(_requested(3), [ShipmentLine(sku=sku, quantity=quantity)])


def test_a_shipment_not_waiting_for_a_pick_refuses_a_report() -> None:
    # GIVEN a planned shipment whose pick was never requested / WHEN / THEN
    with pytest.raises(PickNotExpected):
        record_pick(_requested().model_copy(update={"status": ShipmentStatus.PLANNED}), [])


@pytest.fixture
def service() -> tuple[Fulfilment, MemoryStore, RecordingCallbacks, InMemoryPublisher]:
    store, callbacks, publisher = MemoryStore(), RecordingCallbacks(), InMemoryPublisher()
    counter = _ids()
    fulfilment = Fulfilment(
        store,
        callbacks,
        publisher,
        FixedClock(MORNING),
        lambda: NETWORK,
        lambda: f"shp_{next(counter):026d}",
        "standin",
    )
    return fulfilment, store, callbacks, publisher


def _allocate(fulfilment: Fulfilment, quantity: int = 3):
    return fulfilment.allocate(
        ORDER,
        _lines(quantity),
        [Allocated(line=0, sku="SKU-0", location_id="near-dc", quantity=quantity)],
        DELIVERY,
        ADDRESS,
        "UAH",
    )


def test_allocating_twice_answers_the_first_allocation(service) -> None:
    fulfilment, store, _, _ = service
    # GIVEN an allocated order / WHEN the task is retried
    first, again = _allocate(fulfilment), _allocate(fulfilment)
    # THEN the same shipments, stored once
    assert [s.id for s in first] == [s.id for s in again]
    assert len(store.shipments) == 1


def test_a_packed_report_delivered_twice_resumes_the_workflow_once(service) -> None:
    fulfilment, _store, callbacks, publisher = service
    # GIVEN a shipment whose pick was requested with a token
    (shipment,) = _allocate(fulfilment)
    fulfilment.request_pick(shipment.id, "token-1")
    # WHEN the warehouse reports 2 of 3 packed, twice
    first = fulfilment.packed(shipment.id, [ShipmentLine(sku="SKU-0", quantity=2)])
    second = fulfilment.packed(shipment.id, [ShipmentLine(sku="SKU-0", quantity=2)])
    # THEN the same answer, the token answered once, one OrderLinesDropped, FulfilmentRequested once
    assert (
        first
        == second
        == {
            "packed": [{"sku": "SKU-0", "quantity": 2}],
            "dropped": [{"sku": "SKU-0", "quantity": 1}],
            "packed_units": 2,
        }
    )
    assert [a[:2] for a in callbacks.answers] == [("token-1", "success")]
    assert [e.detail_type for e in publisher.published] == ["FulfilmentRequested", "OrderLinesDropped"]
    # AND a different report afterwards is a conflict
    with pytest.raises(PickNotExpected):
        fulfilment.packed(shipment.id, [ShipmentLine(sku="SKU-0", quantity=3)])


def test_a_report_for_an_unknown_shipment_is_not_found(service) -> None:
    fulfilment, *_ = service
    with pytest.raises(NotFound):
        fulfilment.packed("shp_unknown", [])


def test_delivery_resumes_the_wait_once_and_waits_for_the_token(service) -> None:
    fulfilment, store, callbacks, _ = service
    (shipment,) = _allocate(fulfilment)
    # GIVEN a delivered update before the workflow stored its delivery token
    with pytest.raises(DeliveryNotAwaited):
        fulfilment.tracking_update(shipment.id, "delivered", "2026-03-03T10:00:00Z")
    # WHEN the token is stored and the update delivered twice
    fulfilment.await_delivery(shipment.id, "token-d")
    first = fulfilment.tracking_update(shipment.id, "delivered", "2026-03-03T10:00:00Z")
    second = fulfilment.tracking_update(shipment.id, "delivered", "2026-03-03T10:00:00Z")
    # THEN the wait is answered once; the shipment is delivered; in-transit and unknown shipments change nothing
    assert (first, second) == (True, False)
    assert [a[:2] for a in callbacks.answers] == [("token-d", "success")]
    assert store.shipments[shipment.id].shipment.status is ShipmentStatus.DELIVERED
    assert fulfilment.tracking_update(shipment.id, "in_transit", "2026-03-03T09:00:00Z") is False
    assert fulfilment.tracking_update("shp_other", "delivered", "2026-03-03T10:00:00Z") is False


def test_a_return_to_sender_fails_the_wait_by_name(service) -> None:
    fulfilment, _, callbacks, _ = service
    (shipment,) = _allocate(fulfilment)
    fulfilment.await_delivery(shipment.id, "token-d")
    fulfilment.tracking_update(shipment.id, "returned_to_sender", "2026-03-05T10:00:00Z")
    assert [a[:2] for a in callbacks.answers] == [("token-d", "ReturnedToSender")]


def test_a_review_decision_is_idempotent_and_a_different_one_conflicts(service) -> None:
    fulfilment, _, callbacks, _ = service
    # GIVEN an order held for review / WHEN approved twice
    fulfilment.hold_for_review(ORDER, "token-r")
    assert fulfilment.decide_review(ORDER, "approve", "agent-1") == {"order_id": ORDER, "decision": "approve"}
    assert fulfilment.decide_review(ORDER, "approve", "agent-1") == {"order_id": ORDER, "decision": "approve"}
    # THEN the workflow resumed once; a rejection afterwards and a decision for an order not held are 409s
    assert [a[:2] for a in callbacks.answers] == [("token-r", "success")]
    with pytest.raises(ReviewNotPending):
        fulfilment.decide_review(ORDER, "reject", "agent-2")
    with pytest.raises(ReviewNotPending):
        fulfilment.decide_review("ord_01JD8Z6V4T3M2K1N0P9Q8R7S6X", "approve", "agent-1")


def test_a_rejection_fails_the_wait_and_a_closed_window_is_a_conflict(service) -> None:
    fulfilment, _, callbacks, _ = service
    fulfilment.hold_for_review(ORDER, "token-r")
    fulfilment.decide_review(ORDER, "reject", "agent-1")
    assert [a[:2] for a in callbacks.answers] == [("token-r", "OrderRejected")]
    # GIVEN another order whose review timed out (its token is spent)
    other = "ord_01JD8Z6V4T3M2K1N0P9Q8R7S6Y"
    fulfilment.hold_for_review(other, "token-x")
    callbacks.answers.append(("token-x", "States.Timeout", "timed out"))
    # WHEN an agent approves it late / THEN 409: its window closed
    with pytest.raises(ReviewNotPending, match="closed"):
        fulfilment.decide_review(other, "approve", "agent-1")


def test_cancelling_an_order_cancels_its_unfinished_shipments_once(service) -> None:
    fulfilment, store, _, _ = service
    (shipment,) = _allocate(fulfilment)
    assert fulfilment.cancel(ORDER) == [shipment.id]
    assert fulfilment.cancel(ORDER) == []
    assert store.shipments[shipment.id].shipment.status is ShipmentStatus.CANCELLED


def _packed_pickup(fulfilment: Fulfilment):
    (shipment,) = fulfilment.allocate(
        ORDER,
        _lines(1),
        [Allocated(line=0, sku="SKU-0", location_id="podil", quantity=1)],
        PICKUP,
        None,
        "UAH",
    )
    fulfilment.request_pick(shipment.id, "token-p")
    fulfilment.packed(shipment.id, [ShipmentLine(sku="SKU-0", quantity=1)])
    return shipment


def test_a_collection_resumes_the_wait_once_and_only_once_it_waits(service) -> None:
    fulfilment, store, callbacks, _ = service
    # GIVEN a store pickup packed, the workflow not yet waiting for its shopper
    shipment = _packed_pickup(fulfilment)
    with pytest.raises(NotWaitingForCollection):
        fulfilment.collected(shipment.id, "store-staff")
    # WHEN the wait starts and the store confirms twice
    fulfilment.await_collection(shipment.id, "token-c")
    first, again = (
        fulfilment.collected(shipment.id, "store-staff"),
        fulfilment.collected(shipment.id, "store-staff"),
    )
    # THEN one answer, the token answered once, the shipment collected
    assert first == again == {"shipment_id": shipment.id, "status": "collected"}
    assert [a[:2] for a in callbacks.answers if a[0] == "token-c"] == [("token-c", "success")]
    assert store.shipments[shipment.id].shipment.status is ShipmentStatus.COLLECTED


def test_a_collection_after_the_hold_period_is_refused_and_marks_it_uncollected(service) -> None:
    fulfilment, store, callbacks, _ = service
    # GIVEN a pickup whose wait timed out (its token spent)
    shipment = _packed_pickup(fulfilment)
    fulfilment.await_collection(shipment.id, "token-c")
    callbacks.answers.append(("token-c", "States.Timeout", "timed out"))
    # WHEN the store confirms late / THEN 409, and the shipment is not collected
    with pytest.raises(NotWaitingForCollection):
        fulfilment.collected(shipment.id, "store-staff")
    assert store.shipments[shipment.id].shipment.status is ShipmentStatus.NOT_COLLECTED


def test_every_planned_shipment_carries_the_hold_period(service) -> None:
    fulfilment, *_ = service
    assert _packed_pickup(fulfilment).collect_within_s == 7 * 24 * 3600


def test_two_confirmations_at_once_collect_once(service) -> None:
    fulfilment, store, callbacks, _ = service
    # GIVEN a pickup waiting for its shopper, and a second confirmation landing while the first is written
    shipment = _packed_pickup(fulfilment)
    fulfilment.await_collection(shipment.id, "token-c")
    save = store.save

    def other_click_first(stored, changed):  # type: ignore[no-untyped-def]
        store.save = save  # type: ignore[method-assign]
        fulfilment.collected(shipment.id, "store-staff-2")
        return save(stored, changed)

    store.save = other_click_first  # type: ignore[method-assign]
    # WHEN the first is written / THEN it answers the same, the token answered once
    assert fulfilment.collected(shipment.id, "store-staff") == {
        "shipment_id": shipment.id,
        "status": "collected",
    }
    assert [a[:2] for a in callbacks.answers if a[0] == "token-c"] == [("token-c", "success")]


def _with_ecertificate(*quantities: int) -> list[OrderLine]:
    """The order's lines, then an e-certificate (electronic: no stock held, never shipped)."""
    ecert = OrderLine(sku="ECERT", quantity=1, total=Money.of(2500, "UAH"), digital=True)
    return [*_lines(*quantities), ecert]


def test_electronic_lines_get_no_shipment_and_an_order_of_only_those_none() -> None:
    # GIVEN a delivery of 2 x SKU-0 held at near-dc and an e-certificate, and an order of the e-certificate only
    allocations = [Allocated(line=0, sku="SKU-0", location_id="near-dc", quantity=2)]
    # WHEN each is planned
    (shipment,) = _plan(allocations, DELIVERY, _with_ecertificate(2))
    electronic_only = _plan([], DELIVERY, _with_ecertificate())
    # THEN the shipment carries SKU-0 only, declared at its value; the electronic order has no shipment
    assert [(line.sku, line.quantity) for line in shipment.lines] == [("SKU-0", 2)]
    assert shipment.parcel is not None
    assert shipment.parcel.declared_value == Money.of(2000, "UAH")
    assert electronic_only == []
    # AND an order of shipped goods with nothing allocated is still refused
    with pytest.raises(ValidationFailed):
        _plan([], DELIVERY, _lines(1))


def test_allocating_an_order_with_electronic_lines_announces_them_fulfilled_under_the_orders_id(
    service,
) -> None:
    fulfilment, _, _, publisher = service
    # GIVEN an order of an e-certificate only, allocated (the workflow charged it just before), then retried
    for _ in range(2):
        assert fulfilment.allocate(ORDER, _with_ecertificate(), [], DELIVERY, None, "UAH") == []
    # THEN ElectronicLinesFulfilled, both times under the one id the order gives it (the orders context keeps one)
    confirmed = [e for e in publisher.published if e.detail_type == "ElectronicLinesFulfilled"]
    assert len(confirmed) == 2
    assert len({e.metadata.event_id for e in confirmed}) == 1
    assert (confirmed[0].source, confirmed[0].data["order_id"]) == ("shop.fulfilment", ORDER)
    # AND an order of shipped goods only announces nothing here (its first pick request confirms it)
    _allocate(fulfilment)
    assert len([e for e in publisher.published if e.detail_type == "ElectronicLinesFulfilled"]) == 2
