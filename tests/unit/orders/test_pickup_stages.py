"""What the shopper reads while a pickup or a transfer to a pickup store moves: confirmed, in transit to
the store (a transfer with the carrier), ready for collection, collected; never "delivered" while the
goods wait in the store, so ``OrderDelivered`` (loyalty's points) waits for the collection."""

from __future__ import annotations

from typing import Any

import pytest

from orders.adapters.dynamo import Outcome
from orders.domain.cancellation import CancellationBody, LineToCancel, request_cancellation
from orders.domain.projection import Envelope, project
from orders.domain.timeline import Actor, Shipment, Stage, TimelineEntry, later, shipment_view, stage_of
from orders.handlers.events import announcements
from shop_kernel.errors import Conflict
from tests.integration.orders.conftest import ORDER_ID, bus_event, customer_order, requested, tracking

AT = "2026-12-02T10:00:00.000Z"


def _transfer_requested() -> dict[str, Any]:
    event = requested()
    event["detail"]["data"].update(kind="transfer", transfer_to="lviv-store")
    return event


def _pickup_requested() -> dict[str, Any]:
    event = requested()
    event["detail"]["data"].update(kind="store_pickup", location_id="lviv-store")
    return event


def _store_event(detail_type: str, kind: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "order_id": ORDER_ID,
        "shipment_id": "shp_1",
        "location_id": "lviv-store",
        "kind": kind,
    }
    if detail_type == "ShipmentReadyForCollection":
        data.update(ready_at=AT, collect_by="2026-12-09T10:00:00.000Z")
    else:
        data.update(collected_at=AT)
    return bus_event("shop.fulfilment", detail_type, data, f"{detail_type}-{kind}", AT)


def _after(events: list[dict[str, Any]]) -> tuple[Stage, list[TimelineEntry], dict[str, Shipment]]:
    """The stage and shipments once ``events`` were projected (shipments as the adapter keeps them: the
    newest report, with the kind the request gave)."""
    entries: list[TimelineEntry] = []
    shipments: dict[str, Shipment] = {}
    kinds: dict[str, tuple[Any, Any]] = {}
    for raw in events:
        projected = project(Envelope.parse(raw))
        assert projected is not None
        entries.append(projected.entry)
        if projected.shipment is not None:
            shipment = projected.shipment
            if shipment.kind is not None:
                kinds[shipment.shipment_id] = (shipment.kind, shipment.pickup_store)
            shipments[shipment.shipment_id] = later(shipments.get(shipment.shipment_id), shipment)
    for shipment_id, (kind, store) in kinds.items():
        shipments[shipment_id] = shipments[shipment_id].model_copy(
            update={"kind": kind, "pickup_store": store}
        )
    return stage_of(customer_order(), entries, list(shipments.values())), entries, shipments


def test_a_transfer_reads_in_transit_to_the_store_then_ready_then_collected() -> None:
    # GIVEN a transfer to the Lviv store, carried there
    on_its_way = [_transfer_requested(), tracking("dispatched", 1, AT), tracking("in_transit", 2, AT)]
    # WHEN the carrier delivers it to the store, the store has it ready, and the shopper collects it
    travelling, _, shipments = _after(on_its_way)
    arrived, _, at_store = _after([*on_its_way, tracking("delivered", 3, AT)])
    ready, entries, _ = _after(
        [*on_its_way, tracking("delivered", 3, AT), _store_event("ShipmentReadyForCollection", "transfer")]
    )
    collected, _, done = _after(
        [
            *on_its_way,
            tracking("delivered", 3, AT),
            _store_event("ShipmentReadyForCollection", "transfer"),
            _store_event("ShipmentCollected", "transfer"),
        ]
    )
    # THEN in transit to the store, then ready for collection (not delivered), then collected
    assert travelling is Stage.IN_TRANSIT
    view = shipment_view(shipments["shp_1"])
    assert (view["status"], view["kind"], view["pickup_store"]) == ("in_transit", "transfer", "lviv-store")
    assert arrived is Stage.READY_FOR_COLLECTION
    assert shipment_view(at_store["shp_1"])["status"] == "ready_for_collection"
    assert ready is Stage.READY_FOR_COLLECTION
    assert entries[-1].reason == "ready for collection in lviv-store until 2026-12-09T10:00:00.000Z"
    assert collected is Stage.COLLECTED
    assert shipment_view(done["shp_1"])["status"] == "collected"


def test_a_late_carrier_report_does_not_hide_the_store_s_news() -> None:
    # GIVEN a transfer collected in the store, the carrier's "delivered" arriving after everything
    news = [
        _transfer_requested(),
        _store_event("ShipmentReadyForCollection", "transfer"),
        _store_event("ShipmentCollected", "transfer"),
        tracking("delivered", 3, AT),
    ]
    # WHEN projected / THEN the order stays collected
    assert _after(news)[0] is Stage.COLLECTED


def test_a_store_pickup_reads_confirmed_then_ready_then_collected() -> None:
    # GIVEN a pickup picked in the Lviv store
    requested_only = [_pickup_requested()]
    ready = [*requested_only, _store_event("ShipmentReadyForCollection", "store_pickup")]
    collected = [*ready, _store_event("ShipmentCollected", "store_pickup")]
    # WHEN / THEN confirmed, ready for collection, collected
    assert _after(requested_only)[0] is Stage.CONFIRMED
    assert _after(ready)[0] is Stage.READY_FOR_COLLECTION
    assert _after(collected)[0] is Stage.COLLECTED


def test_an_order_waiting_in_the_store_is_not_announced_delivered_until_collected() -> None:
    # GIVEN an order reaching ready for collection, then collected
    order = customer_order()
    ready = announcements(Outcome(True, order, Stage.IN_TRANSIT, Stage.READY_FOR_COLLECTION), AT)
    collected = announcements(Outcome(True, order, Stage.READY_FOR_COLLECTION, Stage.COLLECTED), AT)
    # THEN OrderDelivered (loyalty earns on it) waits for the collection
    assert [e.detail_type for e in ready] == []
    assert [e.detail_type for e in collected] == ["OrderDelivered"]


def test_a_pickup_ready_while_another_is_still_picked_reads_ready_for_collection_not_in_transit() -> None:
    # GIVEN one pickup ready in the store and another still being picked there
    order = customer_order()
    ready = Shipment(shipment_id="a", status="ready_for_collection", updated_at=AT, kind="store_pickup")
    picking = Shipment(shipment_id="b", status="requested", updated_at=AT, kind="store_pickup")
    # WHEN / THEN nothing is with a carrier: ready for collection (a cancellation may still be asked)
    assert stage_of(order, [], [ready, picking]) is Stage.READY_FOR_COLLECTION


def test_an_order_ready_for_collection_may_still_be_cancelled() -> None:
    # GIVEN an order waiting in the store WHEN the customer asks to cancel it
    accepted = request_cancellation(
        customer_order(),
        Stage.READY_FOR_COLLECTION,
        [],
        CancellationBody(reason="changed my mind"),
        Actor(kind="customer", id="c"),
        "ccr_1",
        AT,
    )
    # THEN the request goes to fulfilment (which decides against the store's "collected")
    assert accepted.event.order_id == customer_order().id


def test_one_line_of_an_order_ready_for_collection_may_be_cancelled_until_it_is_collected() -> None:
    # GIVEN two laptops waiting in the store for their shopper
    body = CancellationBody(lines=[LineToCancel(sku="LAP-A-BLK", quantity=1)], reason="one is enough")
    requester = Actor(kind="agent", id="a")
    # WHEN an agent asks to cancel one of them
    accepted = request_cancellation(
        customer_order(), Stage.READY_FOR_COLLECTION, [], body, requester, "ccr_1", AT
    )
    # THEN the request names that line for fulfilment, and the timeline says who asked and why
    assert [(line.sku, line.quantity) for line in accepted.event.lines or []] == [("LAP-A-BLK", 1)]
    assert (accepted.entry.actor, accepted.entry.reason) == (requester, "one is enough")
    # AND once the shopper collected it, the same request is refused as dispatched
    with pytest.raises(Conflict) as refused:
        request_cancellation(customer_order(), Stage.COLLECTED, [], body, requester, "ccr_2", AT)
    assert refused.value.extra["code"] == "already_dispatched"
