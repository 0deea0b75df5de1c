"""The orders context's pure logic: an order's stage from what is known in any order, what each event
means on the timeline, when a cancellation may be asked, and what the projector announces."""

from __future__ import annotations

import pytest

from orders.adapters.dynamo import Outcome
from orders.domain.cancellation import CancellationBody, request_cancellation
from orders.domain.models import OrderStatus
from orders.domain.projection import Envelope, UnreadableEvent, project
from orders.domain.timeline import Actor, Shipment, Stage, TimelineEntry, later, stage_of
from orders.handlers.events import announcements
from shop_kernel.errors import Conflict, ValidationFailed
from tests.integration.orders.conftest import customer_order, requested, tracking

AT = "2026-12-02T10:00:00.000Z"


def _shipment(shipment_id: str, status: str, sequence: int = 1) -> Shipment:
    return Shipment(shipment_id=shipment_id, status=status, updated_at=AT, sequence=sequence)  # type: ignore[arg-type]


def _entry(stage: Stage | None, what: str = "OrderPlaced") -> TimelineEntry:
    return TimelineEntry(at=AT, event_id=what, what=what, stage=stage, actor=Actor(kind="system", id="x"))


def test_an_order_is_delivered_only_when_every_shipment_that_was_not_cancelled_is() -> None:
    # GIVEN a paid order in two shipments
    order = customer_order()
    # WHEN one is delivered and the other still travels, then the other is cancelled
    travelling = stage_of(
        order, [_entry(Stage.PAID)], [_shipment("a", "delivered"), _shipment("b", "in_transit")]
    )
    settled = stage_of(
        order, [_entry(Stage.PAID)], [_shipment("a", "delivered"), _shipment("b", "cancelled")]
    )
    # THEN it is in transit, then delivered
    assert travelling is Stage.IN_TRANSIT
    assert settled is Stage.DELIVERED


def test_the_stage_never_goes_back_whatever_order_the_news_comes_in() -> None:
    # GIVEN the news of one order, projected in every rotation of its order
    news = [
        project(Envelope.parse(e))
        for e in (requested(), tracking("dispatched", 1, AT), tracking("in_transit", 2, AT))
    ]
    stages = set()
    for start in range(len(news)):
        rotated = news[start:] + news[:start]
        entries = [p.entry for p in rotated if p is not None]
        shipments: dict[str, Shipment] = {}
        for p in rotated:
            if p is not None and p.shipment is not None:
                shipments[p.shipment.shipment_id] = later(shipments.get(p.shipment.shipment_id), p.shipment)
        stages.add(stage_of(customer_order(), entries, list(shipments.values())))
    # THEN every order of arrival ends in transit
    assert stages == {Stage.IN_TRANSIT}


def test_an_event_without_what_its_schema_promises_is_unreadable_not_ignored() -> None:
    # GIVEN a carrier event without its shipment
    broken = tracking("dispatched", 1, AT)
    del broken["detail"]["data"]["shipment_id"]
    # WHEN projected THEN it is an error (the queue retries it, then the DLQ keeps it)
    with pytest.raises(UnreadableEvent):
        project(Envelope.parse(broken))


def test_an_event_the_timeline_does_not_show_is_ignored() -> None:
    event = tracking("dispatched", 1, AT) | {"source": "shop.catalog", "detail-type": "ProductPublished"}
    assert project(Envelope.parse(event)) is None


@pytest.mark.parametrize(
    ("stage", "code"),
    [
        (Stage.DISPATCHED, "already_dispatched"),
        (Stage.DELIVERED, "already_dispatched"),
        (Stage.CANCELLED, "already_cancelled"),
    ],
)
def test_a_cancellation_is_refused_once_dispatched_or_cancelled(stage: Stage, code: str) -> None:
    # GIVEN an order at ``stage`` WHEN a customer asks to cancel it THEN a 409 says why
    with pytest.raises(Conflict) as refused:
        request_cancellation(
            customer_order(),
            stage,
            [],
            CancellationBody(reason="changed my mind"),
            Actor(kind="customer", id="c"),
            "ccr_1",
            AT,
        )
    assert refused.value.extra["code"] == code


def test_an_unpaid_order_is_cancelled_whole_and_some_of_its_lines_are_refused() -> None:
    # GIVEN an order still waiting for its payment (3-D Secure not completed)
    order, buyer = customer_order(), Actor(kind="customer", id="c")
    lines = CancellationBody.model_validate({"lines": [{"sku": "LAP-A-BLK", "quantity": 1}], "reason": "x"})
    # WHEN the customer asks to cancel the whole order, and one line of it
    whole = request_cancellation(
        order, Stage.PENDING_PAYMENT, [], CancellationBody(reason="paid elsewhere"), buyer, "ccr_1", AT
    )
    with pytest.raises(Conflict) as refused:
        request_cancellation(order, Stage.PENDING_PAYMENT, [], lines, buyer, "ccr_2", AT)
    # THEN the whole order is asked for (checkout cancels it at once); a line is a 409 saying why
    assert (whole.event.lines, whole.entry.reason) == (None, "paid elsewhere")
    assert refused.value.extra["code"] == "not_paid"


def test_lines_already_cancelled_cannot_be_cancelled_again() -> None:
    # GIVEN an order of two laptops, one of them cancelled by fulfilment
    done = TimelineEntry.model_validate(
        {
            "at": AT,
            "event_id": "e",
            "what": "OrderLinesCancelled",
            "actor": {"kind": "system", "id": "f"},
            "lines": [{"sku": "LAP-A-BLK", "quantity": 1}],
        }
    )
    body = CancellationBody.model_validate({"lines": [{"sku": "LAP-A-BLK", "quantity": 2}], "reason": "x"})
    # WHEN the customer asks for both THEN the quantity is refused; the one left may still go
    with pytest.raises(ValidationFailed):
        request_cancellation(
            customer_order(), Stage.CONFIRMED, [done], body, Actor(kind="customer", id="c"), "r", AT
        )
    one = CancellationBody.model_validate({"lines": [{"sku": "LAP-A-BLK", "quantity": 1}], "reason": "x"})
    accepted = request_cancellation(
        customer_order(), Stage.CONFIRMED, [done], one, Actor(kind="agent", id="a"), "r", AT
    )
    assert accepted.event.requested_by.kind == "agent"
    assert accepted.entry.event_id == "r"


def test_confirmed_and_delivered_are_announced_when_passed_even_if_skipped_and_not_after_a_cancel() -> None:
    order = customer_order()
    # GIVEN the order jumping from paid to delivered (the intermediate news came late)
    jumped = announcements(Outcome(True, order, Stage.PAID, Stage.DELIVERED), AT)
    again = announcements(Outcome(False, order, Stage.DELIVERED, Stage.DELIVERED), AT)
    cancelled = announcements(
        Outcome(
            True, order.model_copy(update={"status": OrderStatus.CANCELLED}), Stage.PAID, Stage.CANCELLED
        ),
        AT,
    )
    # THEN both are announced once (ids per order), nothing on a repeat or a cancellation
    assert [e.detail_type for e in jumped] == ["OrderConfirmed", "OrderDelivered"]
    assert again == []
    assert cancelled == []


def test_a_capture_the_order_item_shows_is_on_the_timeline_once_without_its_event() -> None:
    # GIVEN an order whose shipment charge was captured, as checkout's order item shows it
    from orders.domain.models import ShipmentCharge, ShippedLine
    from orders.domain.timeline import sorted_timeline
    from shop_kernel.money import Money

    order = customer_order()
    charge = ShipmentCharge(
        shipment_id="shp_1",
        lines=(ShippedLine(sku="LAP-A-BLK", quantity=2),),
        amount=Money.of(10000, "UAH"),
        final=True,
        status="captured",
        requested_at=AT,
        captured_at="2026-12-02T11:00:00.000Z",
    )
    captured = order.model_copy(update={"payment": order.payment.model_copy(update={"shipments": (charge,)})})
    projected = _entry(None, "PaymentCaptured").model_copy(update={"shipment_id": "shp_1"})
    # WHEN its timeline is read with no PaymentCaptured projected, and with one projected before
    alone = sorted_timeline(captured, [_entry(Stage.PAID)])
    both = sorted_timeline(captured, [_entry(Stage.PAID), projected])
    # THEN the capture is there once either way, with what it took and when
    (entry,) = [e for e in alone if e.what == "PaymentCaptured"]
    assert (entry.shipment_id, entry.at, entry.reason) == (
        "shp_1",
        "2026-12-02T11:00:00.000Z",
        "captured 10000 UAH",
    )
    assert [e.event_id for e in both if e.what == "PaymentCaptured"] == ["PaymentCaptured"]
    assert not [e for e in sorted_timeline(order, [_entry(Stage.PAID)]) if e.what == "PaymentCaptured"]


def _electronic() -> TimelineEntry:
    """Fulfilment's ``ElectronicLinesFulfilled`` as the projection puts it on the timeline."""
    envelope = {
        "source": "shop.fulfilment",
        "detail-type": "ElectronicLinesFulfilled",
        "detail": {
            "metadata": {"eventId": "e1", "occurredAt": AT},
            "data": {"order_id": "ord_1", "fulfilled_at": AT},
        },
    }
    projected = project(Envelope.parse(envelope))
    assert projected is not None
    return projected.entry


def test_an_order_of_electronic_lines_only_is_delivered_when_fulfilment_fulfils_them() -> None:
    # GIVEN a paid order whose every line is an e-certificate, and a mixed one (laptop + e-certificate)
    order = customer_order()
    ecert = order.lines[0].model_copy(update={"sku": "ECERT-25", "digital": True})
    electronic = order.model_copy(update={"lines": (ecert,)})
    mixed = order.model_copy(update={"lines": (*order.lines, ecert)})
    paid = [_entry(Stage.PAID)]
    # WHEN fulfilment announces ElectronicLinesFulfilled
    # THEN the electronic-only order is delivered (by e-mail: there is no shipment to wait for)
    assert stage_of(electronic, paid, []) is Stage.PAID
    assert stage_of(electronic, [*paid, _electronic()], []) is Stage.DELIVERED
    # AND the projector announces OrderConfirmed then OrderDelivered, once: a replay announces nothing
    moved = announcements(Outcome(True, electronic, Stage.PAID, Stage.DELIVERED), AT)
    assert [e.detail_type for e in moved] == ["OrderConfirmed", "OrderDelivered"]
    assert announcements(Outcome(False, electronic, Stage.DELIVERED, Stage.DELIVERED), AT) == []
    # AND the mixed order is only confirmed, until its last physical shipment is delivered
    assert stage_of(mixed, [*paid, _electronic()], []) is Stage.CONFIRMED
    assert stage_of(mixed, [*paid, _electronic()], [_shipment("a", "in_transit")]) is Stage.IN_TRANSIT
    assert stage_of(mixed, [*paid, _electronic()], [_shipment("a", "delivered")]) is Stage.DELIVERED
    # AND a cancelled electronic-only order stays cancelled
    cancelled = electronic.model_copy(update={"status": OrderStatus.CANCELLED})
    assert stage_of(cancelled, [*paid, _electronic()], []) is Stage.CANCELLED
