"""Cancellation requests on the fulfilment side (pure Python, the fulfilment ports faked): what a request
does at each point of an order's fulfilment, once per request, and never half of it."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from fulfilment.domain.cancel_requests import CancellationRequests
from fulfilment.domain.cancellation import CancellationNotReady, CancelledByRequest
from fulfilment.domain.models import Allocated, FulfilmentMode, OrderLine, ShipmentLine, ShipmentStatus
from fulfilment.domain.service import Fulfilment, ReviewNotPending

from shop_kernel.clock import FixedClock
from shop_kernel.events import InMemoryPublisher
from shop_kernel.money import Money
from tests.unit.fulfilment.fakes import MemoryStore, RecordingCallbacks
from tests.unit.inventory.conftest import location

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
ORDER = "ord_01JD8Z6V4T3M2K1N0P9Q8R7S6T"
ADDRESS = {
    "kind": "address",
    "address": {"name": "O. S.", "line1": "Khreshchatyk 1", "city": "Kyiv", "country": "UA"},
}
NETWORK = {
    loc.id: loc
    for loc in (
        location("near-dc", "warehouse", priority=10),
        location("far-dc", "warehouse", priority=20, carrier_cutoff="12:00"),
    )
}


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
        )
        self.requests = CancellationRequests(self.store, self.callbacks, self.publisher, clock)

    def allocate(self, **at: int):
        """An order of ``SKU-n`` units per location (keyword: location with dashes as underscores)."""
        lines = [
            OrderLine(sku=f"SKU-{i}", quantity=q, total=Money.of(1000 * q, "UAH"))
            for i, q in enumerate(at.values())
        ]
        allocations = [
            Allocated(line=i, sku=f"SKU-{i}", location_id=loc.replace("_", "-"), quantity=q)
            for i, (loc, q) in enumerate(at.items())
        ]
        return self.fulfilment.allocate(
            ORDER, lines, allocations, FulfilmentMode(mode="delivery"), ADDRESS, "UAH"
        )

    def picking(self, **at: int):
        shipments = self.allocate(**at)
        for n, shipment in enumerate(shipments):
            self.fulfilment.request_pick(shipment.id, f"token-{n}")
        return shipments

    def published(self) -> list[str]:
        return [e.detail_type for e in self.publisher.published]

    def answers(self) -> list[tuple[str, str]]:
        return [a[:2] for a in self.callbacks.answers]


@pytest.fixture
def world() -> World:
    return World()


def _line(sku: str, quantity: int) -> ShipmentLine:
    return ShipmentLine(sku=sku, quantity=quantity)


def test_a_whole_order_waiting_for_the_warehouse_is_stopped_once(world: World) -> None:
    # GIVEN an order whose single shipment waits for the warehouse
    (shipment,) = world.picking(near_dc=2)
    # WHEN the buyer cancels the whole order, and the request is delivered twice
    first = world.requests.request(ORDER, "req-1", None)
    again = world.requests.request(ORDER, "req-1", None)
    # THEN the shipment is cancelled, the warehouse told (the same event twice), the wait failed once by name
    assert first == again
    assert first.outcome == "cancelled"
    assert world.store.shipments[shipment.id].shipment.status is ShipmentStatus.CANCELLED
    assert world.answers() == [("token-0", "CancelledByRequest")]
    assert world.published() == ["FulfilmentRequested", "FulfilmentCancelled", "FulfilmentCancelled"]
    assert world.publisher.published[1].metadata == world.publisher.published[2].metadata
    # AND the warehouse's late report is refused
    with pytest.raises(Exception, match="not waiting for a pick"):
        world.fulfilment.packed(shipment.id, [_line("SKU-0", 2)])


def test_a_cancellation_after_the_packed_report_is_refused(world: World) -> None:
    # GIVEN a packed shipment (the workflow is booking the carrier)
    (shipment,) = world.picking(near_dc=2)
    world.fulfilment.packed(shipment.id, [_line("SKU-0", 2)])
    # WHEN the whole order, or one of its units, is cancelled
    whole = world.requests.request(ORDER, "req-1", None)
    some = world.requests.request(ORDER, "req-2", [_line("SKU-0", 1)])
    # THEN both are refused as dispatched, and the shipment goes on
    assert (whole.outcome, whole.reason) == ("refused", "dispatched")
    assert (some.outcome, some.reason) == ("refused", "dispatched")
    assert world.published()[-2:] == ["OrderCancellationRefused", "OrderCancellationRefused"]
    assert world.store.shipments[shipment.id].shipment.status is ShipmentStatus.PACKED
    assert world.answers() == [("token-0", "success")]


def test_a_packed_report_that_wins_the_race_makes_the_request_a_refusal(world: World) -> None:
    # GIVEN a shipment waiting for the warehouse, whose report lands between the request's read and write
    (shipment,) = world.picking(near_dc=2)
    record_cancellation = world.store.record_cancellation

    def warehouse_first(record, changes):  # type: ignore[no-untyped-def]
        world.store.record_cancellation = record_cancellation  # type: ignore[method-assign]
        world.fulfilment.packed(shipment.id, [_line("SKU-0", 2)])
        return record_cancellation(record, changes)

    world.store.record_cancellation = warehouse_first  # type: ignore[method-assign]
    # WHEN the whole order is cancelled
    record = world.requests.request(ORDER, "req-1", None)
    # THEN the request lost on the shipment's version, decided again and was refused: one state, not both
    assert (record.outcome, record.reason) == ("refused", "dispatched")
    assert world.store.shipments[shipment.id].shipment.status is ShipmentStatus.PACKED
    assert world.answers() == [("token-0", "success")]


def test_cancelling_some_units_withdraws_them_and_values_them(world: World) -> None:
    # GIVEN an order of three SKU-0 (3,000 in all) waiting for the warehouse
    (shipment,) = world.picking(near_dc=3)
    # WHEN the buyer cancels one of them
    record = world.requests.request(ORDER, "req-1", [_line("SKU-0", 1)])
    # THEN it is withdrawn (the warehouse told to pick 2), valued 1,000, announced once
    assert record.outcome == "lines_cancelled"
    assert record.amount_released == Money.of(1000, "UAH")
    stored = world.store.shipments[shipment.id].shipment
    assert stored.asked() == (_line("SKU-0", 2),)
    assert world.published()[-2:] == ["FulfilmentCancelled", "OrderLinesCancelled"]
    # AND the warehouse's report of 3 (packed before it heard) packs 2 and drops the cancelled one
    answer = world.fulfilment.packed(shipment.id, [_line("SKU-0", 3)])
    assert answer == {
        "packed": [{"sku": "SKU-0", "quantity": 2}],
        "dropped": [{"sku": "SKU-0", "quantity": 1}],
        "packed_units": 2,
    }
    assert "OrderLinesDropped" not in world.published()  # nothing was short-picked


def test_a_shipment_left_with_nothing_ends_its_wait_as_a_pick_of_nothing(world: World) -> None:
    # GIVEN a split order: SKU-0 at near-dc, SKU-1 at far-dc, both waiting for their warehouse
    shipments = world.picking(near_dc=1, far_dc=2)
    far = next(s for s in shipments if s.location_id == "far-dc")
    far_token = f"token-{shipments.index(far)}"
    # WHEN both SKU-1 units are cancelled
    record = world.requests.request(ORDER, "req-1", [_line("SKU-1", 2)])
    # THEN the far shipment is withdrawn: its wait answered with nothing packed and everything dropped
    assert record.outcome == "lines_cancelled"
    assert world.store.shipments[far.id].shipment.status is ShipmentStatus.WITHDRAWN
    assert world.callbacks.answers == [
        (
            far_token,
            "success",
            {"packed": [], "dropped": [{"sku": "SKU-1", "quantity": 2}], "packed_units": 0},
        )
    ]


def test_cancelling_every_unit_left_cancels_the_whole_order(world: World) -> None:
    # GIVEN a waiting order of two units
    world.picking(near_dc=2)
    # WHEN both are cancelled as lines
    record = world.requests.request(ORDER, "req-1", [_line("SKU-0", 2)])
    # THEN it is the whole order's cancellation (the workflow voids)
    assert record.outcome == "cancelled"
    assert world.answers() == [("token-0", "CancelledByRequest")]


@pytest.mark.parametrize("lines", [[_line("SKU-9", 1)], [_line("SKU-0", 3)]], ids=["other-sku", "too-many"])
def test_units_the_order_does_not_have_are_refused(world: World, lines: list[ShipmentLine]) -> None:
    world.picking(near_dc=2)
    record = world.requests.request(ORDER, "req-1", lines)
    assert (record.outcome, record.reason) == ("refused", "not_in_order")


def test_an_order_under_review_is_cancelled_and_the_agent_is_too_late(world: World) -> None:
    # GIVEN an order held for review
    world.fulfilment.hold_for_review(ORDER, "token-r")
    # WHEN the buyer cancels it (twice), then an agent approves
    assert world.requests.request(ORDER, "req-1", None).outcome == "review_cancelled"
    world.requests.request(ORDER, "req-1", None)
    # THEN the wait failed into the cancel path once, and the approval is a conflict
    assert world.answers() == [("token-r", "CancelledByRequest")]
    with pytest.raises(ReviewNotPending):
        world.fulfilment.decide_review(ORDER, "approve", "agent-1")
    # AND cancelling lines of an order under review is refused
    other = World()
    other.fulfilment.hold_for_review(ORDER, "token-r")
    assert other.requests.request(ORDER, "req-2", [_line("SKU-0", 1)]).reason == "under_review"


def test_a_cancellation_before_the_workflow_holds_or_allocates_stops_it_there(world: World) -> None:
    # GIVEN an order the workflow has not reached yet / WHEN it is cancelled
    assert world.requests.request(ORDER, "req-1", None).outcome == "pending"
    # THEN neither the review hold nor the allocation passes
    with pytest.raises(CancelledByRequest):
        world.fulfilment.hold_for_review(ORDER, "token-r")
    with pytest.raises(CancelledByRequest):
        world.allocate(near_dc=1)
    # AND a lines-only request then is tried again later
    with pytest.raises(CancellationNotReady):
        World().requests.request(ORDER, "req-2", [_line("SKU-0", 1)])


def test_a_pick_requested_after_a_whole_cancellation_fails_by_name(world: World) -> None:
    # GIVEN a split order with one shipment not sent to its warehouse yet
    shipments = world.allocate(near_dc=1, far_dc=1)
    world.fulfilment.request_pick(shipments[0].id, "token-0")
    # WHEN the order is cancelled, then the workflow asks for the other pick
    world.requests.request(ORDER, "req-1", None)
    # THEN that pick fails into the cancel path
    with pytest.raises(CancelledByRequest):
        world.fulfilment.request_pick(shipments[1].id, "token-1")
