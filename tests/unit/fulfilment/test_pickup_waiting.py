"""Store pickups and transfers waiting in the pickup store for their shopper (pure Python, the fulfilment
ports faked): a transfer delivered to the store waits like a pickup, both are announced ready and
collected once, and a cancellation request and the store's "collected" decide on the same shipment:
exactly one of them wins, whichever comes first."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from fulfilment.domain.cancel_requests import CancellationRequests
from fulfilment.domain.cancellation import CancelledByRequest
from fulfilment.domain.models import (
    Allocated,
    FulfilmentMode,
    OrderLine,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
)
from fulfilment.domain.service import Fulfilment, NotWaitingForCollection

from shop_kernel.clock import FixedClock
from shop_kernel.events import InMemoryPublisher
from shop_kernel.money import Money
from tests.unit.fulfilment.fakes import MemoryStore, RecordingCallbacks
from tests.unit.inventory.conftest import location

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
ORDER = "ord_01JD8Z6V4T3M2K1N0P9Q8R7S6T"
NETWORK = {loc.id: loc for loc in (location("kyiv-dc", "warehouse"), location("lviv-store", "store"))}
HOLD_S = 3600


class World:
    def __init__(self) -> None:
        self.store, self.callbacks, self.publisher = MemoryStore(), RecordingCallbacks(), InMemoryPublisher()
        counter = itertools.count(1)
        clock = FixedClock(NOW)
        self.fulfilment = Fulfilment(
            self.store,
            self.callbacks,
            self.publisher,
            clock,
            lambda: NETWORK,
            lambda: f"shp_{next(counter):026d}",
            "standin",
            pickup_hold_s=HOLD_S,
        )
        self.requests = CancellationRequests(self.store, self.callbacks, self.publisher, clock)

    def packed(self, source: str) -> Shipment:
        """One unit for pickup in Lviv, picked at ``source`` (the store itself, or a warehouse: a transfer)."""
        line = OrderLine(sku="SKU-0", quantity=1, total=Money.of(1000, "UAH"))
        transfer_to = "lviv-store" if source != "lviv-store" else None
        allocated = Allocated(line=0, sku="SKU-0", location_id=source, quantity=1, transfer_to=transfer_to)
        mode = FulfilmentMode(mode="pickup", location_id="lviv-store")
        (shipment,) = self.fulfilment.allocate(ORDER, [line], [allocated], mode, None, "UAH")
        self.fulfilment.request_pick(shipment.id, "pick")
        self.fulfilment.packed(shipment.id, [ShipmentLine(sku="SKU-0", quantity=1)])
        return shipment

    def waiting(self, source: str) -> Shipment:
        """Packed and waiting in the store for its shopper (a transfer delivered there first)."""
        shipment = self.packed(source)
        if source != "lviv-store":
            self.fulfilment.await_delivery(shipment.id, "arrival")
            self.fulfilment.tracking_update(shipment.id, "delivered", "2026-03-02T09:00:00.000Z")
        self.fulfilment.await_collection(shipment.id, "collection")
        return shipment

    def status(self, shipment: Shipment) -> ShipmentStatus:
        return self.store.shipments[shipment.id].shipment.status

    def published(self) -> list[str]:
        return [e.detail_type for e in self.publisher.published]

    def answers(self) -> list[tuple[str, str]]:
        return [a[:2] for a in self.callbacks.answers]


@pytest.fixture
def world() -> World:
    return World()


def test_a_transfer_delivered_to_the_store_waits_there_for_its_shopper(world: World) -> None:
    # GIVEN a warehouse's unit on its way to the Lviv store
    shipment = world.packed("kyiv-dc")
    assert shipment.kind.value == "transfer"
    world.fulfilment.await_delivery(shipment.id, "arrival")
    # WHEN the carrier delivers it to the store, the workflow waits for the shopper (the task retried)
    world.fulfilment.tracking_update(shipment.id, "delivered", "2026-03-02T09:00:00.000Z")
    world.fulfilment.await_collection(shipment.id, "collection")
    world.fulfilment.await_collection(shipment.id, "collection-2")
    # THEN it is at the store, not delivered; announced ready once (the same event twice), held HOLD_S
    assert world.status(shipment) is ShipmentStatus.AT_STORE
    assert world.answers() == [("pick", "success"), ("arrival", "success")]
    ready = [e for e in world.publisher.published if e.detail_type == "ShipmentReadyForCollection"]
    assert len(ready) == 2
    assert ready[0].detail() == ready[1].detail()
    data = ready[0].detail()["data"]
    assert (data["location_id"], data["kind"]) == ("lviv-store", "transfer")
    assert data["collect_by"] == "2026-03-02T09:00:00.000Z"
    # AND the store's confirmation answers the newest token and announces the collection
    assert world.fulfilment.collected(shipment.id, "ops-1")["status"] == "collected"
    assert world.answers()[-1] == ("collection-2", "success")
    assert world.published()[-1] == "ShipmentCollected"


def test_a_transfer_still_with_the_carrier_cannot_be_cancelled_nor_collected(world: World) -> None:
    # GIVEN a transfer packed and handed to the carrier
    shipment = world.packed("kyiv-dc")
    # WHEN the buyer cancels the order, or the store confirms a collection
    record = world.requests.request(ORDER, "req-1", None)
    # THEN the request is refused as dispatched, and the store is told it is not waiting there
    assert (record.outcome, record.reason) == ("refused", "dispatched")
    with pytest.raises(NotWaitingForCollection):
        world.fulfilment.collected(shipment.id, "ops-1")


@pytest.mark.parametrize("source", ["lviv-store", "kyiv-dc"], ids=["store-pickup", "transfer"])
def test_an_order_waiting_in_the_store_is_cancelled_once_and_the_store_is_too_late(
    world: World, source: str
) -> None:
    # GIVEN a pickup (or a transfer) waiting in the store for its shopper
    shipment = world.waiting(source)
    # WHEN the buyer cancels the order (the request delivered twice), then the store confirms a collection
    first = world.requests.request(ORDER, "req-1", None)
    again = world.requests.request(ORDER, "req-1", None)
    # THEN it is cancelled once, the collection wait failed by name (the workflow voids), and the store's
    # confirmation is refused
    assert first == again
    assert first.outcome == "cancelled"
    assert first.lines == (ShipmentLine(sku="SKU-0", quantity=1),)
    assert world.status(shipment) is ShipmentStatus.CANCELLED
    assert ("collection", "CancelledByRequest") in world.answers()
    with pytest.raises(NotWaitingForCollection):
        world.fulfilment.collected(shipment.id, "ops-1")
    assert "ShipmentCollected" not in world.published()


def test_cancelling_every_line_of_a_waiting_pickup_cancels_the_order(world: World) -> None:
    # GIVEN a pickup waiting in the store
    shipment = world.waiting("lviv-store")
    # WHEN the buyer cancels its one line
    record = world.requests.request(ORDER, "req-1", [ShipmentLine(sku="SKU-0", quantity=1)])
    # THEN that is the whole order
    assert record.outcome == "cancelled"
    assert world.status(shipment) is ShipmentStatus.CANCELLED


def test_a_cancellation_before_the_wait_began_stops_it_by_name(world: World) -> None:
    # GIVEN a pickup packed in the store, its collection wait not begun yet
    shipment = world.packed("lviv-store")
    # WHEN the order is cancelled, and then the workflow's wait begins
    assert world.requests.request(ORDER, "req-1", None).outcome == "cancelled"
    # THEN the wait fails as cancelled (the workflow voids), and nothing is announced ready
    with pytest.raises(CancelledByRequest):
        world.fulfilment.await_collection(shipment.id, "collection")
    assert "ShipmentReadyForCollection" not in world.published()


def test_a_collection_that_wins_the_race_makes_the_request_a_refusal(world: World) -> None:
    # GIVEN a waiting pickup whose collection lands between the request's read and its write
    shipment = world.waiting("lviv-store")
    record_cancellation = world.store.record_cancellation

    def store_first(record, changes):  # type: ignore[no-untyped-def]
        world.store.record_cancellation = record_cancellation  # type: ignore[method-assign]
        world.fulfilment.collected(shipment.id, "ops-1")
        return record_cancellation(record, changes)

    world.store.record_cancellation = store_first  # type: ignore[method-assign]
    # WHEN the whole order is cancelled
    record = world.requests.request(ORDER, "req-1", None)
    # THEN the request lost on the version, decided again and was refused; the shopper has it, charged
    assert (record.outcome, record.reason) == ("refused", "dispatched")
    assert world.status(shipment) is ShipmentStatus.COLLECTED
    assert world.answers()[-1] == ("collection", "success")
    assert ("collection", "CancelledByRequest") not in world.answers()


def test_a_cancellation_that_wins_the_race_makes_the_collection_a_conflict(world: World) -> None:
    # GIVEN a waiting pickup, cancelled between the store's read and its write of the collection
    shipment = world.waiting("lviv-store")
    save = world.store.save

    def request_first(stored, changed):  # type: ignore[no-untyped-def]
        world.store.save = save  # type: ignore[method-assign]
        world.requests.request(ORDER, "req-1", None)
        return save(stored, changed)

    world.store.save = request_first  # type: ignore[method-assign]
    # WHEN the store confirms the collection / THEN it is refused: the order was cancelled, once
    with pytest.raises(NotWaitingForCollection):
        world.fulfilment.collected(shipment.id, "ops-1")
    assert world.status(shipment) is ShipmentStatus.CANCELLED
    assert [a for a in world.answers() if a[0] == "collection"] == [("collection", "CancelledByRequest")]
    assert "ShipmentCollected" not in world.published()


def _two_in_store(world: World, phones: int = 1, phones_total: int = 1000) -> tuple[Shipment, Shipment]:
    """Phones picked in the Lviv store and a laptop carried there from Kyiv, both waiting for the shopper."""
    lines = [
        OrderLine(sku="PHONE", quantity=phones, total=Money.of(phones_total, "UAH")),
        OrderLine(sku="LAPTOP", quantity=1, total=Money.of(4000, "UAH")),
    ]
    allocated = [
        Allocated(line=0, sku="PHONE", location_id="lviv-store", quantity=phones),
        Allocated(line=1, sku="LAPTOP", location_id="kyiv-dc", quantity=1, transfer_to="lviv-store"),
    ]
    mode = FulfilmentMode(mode="pickup", location_id="lviv-store")
    shipments = world.fulfilment.allocate(ORDER, lines, allocated, mode, None, "UAH")
    by_kind = {s.kind.value: s for s in shipments}
    pickup, transfer = by_kind["store_pickup"], by_kind["transfer"]
    for shipment, sku, quantity in ((pickup, "PHONE", phones), (transfer, "LAPTOP", 1)):
        world.fulfilment.request_pick(shipment.id, f"pick-{sku}")
        world.fulfilment.packed(shipment.id, [ShipmentLine(sku=sku, quantity=quantity)])
    world.fulfilment.await_collection(pickup.id, "collect-PHONE")
    return pickup, transfer


def test_cancelling_every_line_of_one_waiting_shipment_withdraws_it_and_the_rest_goes_on(
    world: World,
) -> None:
    # GIVEN a phone waiting in the store and a laptop on its way there
    pickup, transfer = _two_in_store(world)
    # WHEN the buyer cancels the phone (the request delivered twice)
    first = world.requests.request(ORDER, "req-1", [ShipmentLine(sku="PHONE", quantity=1)])
    again = world.requests.request(ORDER, "req-1", [ShipmentLine(sku="PHONE", quantity=1)])
    # THEN the phone's shipment is withdrawn, its wait ended into the uncollected path, its value announced
    # once (the same event twice); the laptop goes on
    assert first == again
    assert first.outcome == "lines_cancelled"
    assert first.amount_released == Money.of(1000, "UAH")
    assert world.status(pickup) is ShipmentStatus.WITHDRAWN
    assert world.status(transfer) is ShipmentStatus.PACKED
    assert world.answers().count(("collect-PHONE", "WithdrawnByRequest")) == 1
    cancelled = [e for e in world.publisher.published if e.detail_type == "OrderLinesCancelled"]
    assert len({e.metadata.event_id for e in cancelled}) == 1
    with pytest.raises(NotWaitingForCollection):
        world.fulfilment.collected(pickup.id, "ops-1")


def _two_phones_waiting(world: World) -> Shipment:
    """Two phones (2,000.00 UAH the line) packed in the Lviv store, waiting for their shopper."""
    line = OrderLine(sku="SKU-0", quantity=2, total=Money.of(200_000, "UAH"))
    allocated = Allocated(line=0, sku="SKU-0", location_id="lviv-store", quantity=2)
    mode = FulfilmentMode(mode="pickup", location_id="lviv-store")
    (shipment,) = world.fulfilment.allocate(ORDER, [line], [allocated], mode, None, "UAH")
    world.fulfilment.request_pick(shipment.id, "pick")
    world.fulfilment.packed(shipment.id, [ShipmentLine(sku="SKU-0", quantity=2)])
    world.fulfilment.await_collection(shipment.id, "collection")
    return shipment


ONE_PHONE = (ShipmentLine(sku="SKU-0", quantity=1),)


def test_some_units_of_a_shipment_waiting_in_the_store_are_cancelled_and_the_rest_still_waits(
    world: World,
) -> None:
    # GIVEN two phones waiting in the store
    shipment = _two_phones_waiting(world)
    # WHEN the buyer cancels one of them (the request delivered twice)
    first = world.requests.request(ORDER, "req-1", list(ONE_PHONE))
    again = world.requests.request(ORDER, "req-1", list(ONE_PHONE))
    # THEN it is taken off the shipment once, its value announced (the line's last unit), the store told
    # to take it out of the parcel; the shipment still waits, its collection wait untouched
    assert first == again
    assert (first.outcome, first.lines, first.amount_released) == (
        "lines_cancelled",
        ONE_PHONE,
        Money.of(100_000, "UAH"),
    )
    after = world.store.shipments[shipment.id].shipment
    assert (after.status, after.packed, after.left_in_store) == (ShipmentStatus.PACKED, ONE_PHONE, ONE_PHONE)
    assert [a for a in world.answers() if a[0] == "collection"] == []
    # AND the warehouse's packed report delivered again is a repeat, not a conflict: it changes nothing
    assert world.fulfilment.packed(shipment.id, [ShipmentLine(sku="SKU-0", quantity=2)])["packed_units"] == 1
    assert world.store.shipments[shipment.id].shipment == after
    announced = [e for e in world.publisher.published if e.detail_type == "OrderLinesCancelled"]
    assert len(announced) == 2
    assert len({e.metadata.event_id for e in announced}) == 1
    told = [e.detail()["data"] for e in world.publisher.published if e.detail_type == "FulfilmentCancelled"]
    assert len({(d["shipment_id"], d["request_id"]) for d in told}) == 1
    assert (told[0]["lines"], told[0]["whole_shipment"]) == ([{"sku": "SKU-0", "quantity": 1}], False)
    # WHEN the shopper collects it
    world.fulfilment.collected(shipment.id, "ops-1")
    # THEN the workflow resumes to capture the one phone still on it and release the one left in the store
    token, outcome, output = world.callbacks.answers[-1]
    assert (token, outcome) == ("collection", "success")
    assert output == {
        "collected_by": "ops-1",
        "packed": [{"sku": "SKU-0", "quantity": 1}],
        "left_in_store": [{"sku": "SKU-0", "quantity": 1}],
    }


def test_cancelling_the_last_unit_left_in_the_store_withdraws_the_shipment(world: World) -> None:
    # GIVEN two phones waiting in the store, one of them cancelled already
    shipment = _two_phones_waiting(world)
    world.requests.request(ORDER, "req-1", list(ONE_PHONE))
    # WHEN the other is cancelled too
    record = world.requests.request(ORDER, "req-2", list(ONE_PHONE))
    # THEN that is everything the order still had: the whole order is cancelled (the workflow voids)
    assert record.outcome == "cancelled"
    assert record.lines == ONE_PHONE
    assert world.status(shipment) is ShipmentStatus.CANCELLED
    assert ("collection", "CancelledByRequest") in world.answers()
    # AND more than is left is not in the order any more
    assert world.requests.request(ORDER, "req-3", list(ONE_PHONE)).reason == "not_in_order"


def test_a_collection_that_wins_the_race_refuses_the_line_cancellation(world: World) -> None:
    # GIVEN two waiting phones whose collection lands between a line request's read and its write
    shipment = _two_phones_waiting(world)
    record_cancellation = world.store.record_cancellation

    def store_first(record, changes):  # type: ignore[no-untyped-def]
        world.store.record_cancellation = record_cancellation  # type: ignore[method-assign]
        world.fulfilment.collected(shipment.id, "ops-1")
        return record_cancellation(record, changes)

    world.store.record_cancellation = store_first  # type: ignore[method-assign]
    # WHEN one phone is cancelled
    record = world.requests.request(ORDER, "req-1", list(ONE_PHONE))
    # THEN the request lost on the version and was refused; both phones are captured at collection
    assert (record.outcome, record.reason) == ("refused", "dispatched")
    assert world.status(shipment) is ShipmentStatus.COLLECTED
    assert world.callbacks.answers[-1][2]["packed"] == [{"sku": "SKU-0", "quantity": 2}]
    assert world.callbacks.answers[-1][2]["left_in_store"] == []
    assert "OrderLinesCancelled" not in world.published()


def test_a_line_cancellation_that_wins_the_race_is_left_out_of_the_collection(world: World) -> None:
    # GIVEN two waiting phones, one cancelled between the store's read and its write of the collection
    shipment = _two_phones_waiting(world)
    save = world.store.save

    def request_first(stored, changed):  # type: ignore[no-untyped-def]
        world.store.save = save  # type: ignore[method-assign]
        world.requests.request(ORDER, "req-1", list(ONE_PHONE))
        return save(stored, changed)

    world.store.save = request_first  # type: ignore[method-assign]
    # WHEN the store confirms the collection
    assert world.fulfilment.collected(shipment.id, "ops-1")["status"] == "collected"
    # THEN it decided again on the new version: one phone handed over and captured, the other released
    collected = world.store.shipments[shipment.id].shipment
    assert (collected.status, collected.packed) == (ShipmentStatus.COLLECTED, ONE_PHONE)
    assert world.callbacks.answers[-1][2]["packed"] == [{"sku": "SKU-0", "quantity": 1}]
    assert world.callbacks.answers[-1][2]["left_in_store"] == [{"sku": "SKU-0", "quantity": 1}]
    assert world.requests.request(ORDER, "req-1", list(ONE_PHONE)).outcome == "lines_cancelled"


def test_cancelling_the_last_units_left_of_one_waiting_shipment_withdraws_it_and_the_rest_goes_on(
    world: World,
) -> None:
    # GIVEN two phones waiting in the store, one of them cancelled, and a laptop on its way there
    pickup, transfer = _two_in_store(world, phones=2, phones_total=2001)
    phone = [ShipmentLine(sku="PHONE", quantity=1)]
    first = world.requests.request(ORDER, "req-1", phone)
    # WHEN the other phone is cancelled too
    second = world.requests.request(ORDER, "req-2", phone)
    # THEN the phones' shipment is withdrawn as a whole one is (its wait ended into the uncollected path),
    # each phone valued once by the charge rule (the last unit first: 1000.50 splits 1000 + 1001); the
    # laptop goes on
    assert (first.outcome, second.outcome) == ("lines_cancelled", "lines_cancelled")
    assert (first.amount_released, second.amount_released) == (Money.of(1001, "UAH"), Money.of(1000, "UAH"))
    assert world.status(pickup) is ShipmentStatus.WITHDRAWN
    assert world.status(transfer) is ShipmentStatus.PACKED
    assert world.answers().count(("collect-PHONE", "WithdrawnByRequest")) == 1
