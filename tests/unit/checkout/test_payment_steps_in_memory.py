"""The fulfilment workflow's payment steps (checkout.domain.payment_tasks) on in-memory ports: races
between shipments, what is refused before any money moves, and what a void may not do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from checkout.domain import settlement
from checkout.domain.payment_tasks import AlreadyShipped, OrderNotPayable, PaymentTasks, ShipmentRejected
from checkout.domain.ports import ChargeFacts
from inventory.domain.reservations import Reservation, ReservationStatus, ReservedLine
from orders.domain.errors import OrderChanged
from orders.domain.models import CancelReason, Order, OrderStatus, Payment, ShippedLine
from tests.unit.checkout.payment_doubles import (
    NOW,
    ORDER_ID,
    RESERVATION_ID,
    World,
    intent,
    uah,
    world,
)
from tests.unit.checkout.test_settlement import authorised_order, line


def _world(order: Order) -> tuple[World, PaymentTasks]:
    shop = world(order)
    shop.stripe.intents["pi_1"] = intent(amount_capturable=order.payment.amount.amount, latest_charge="ch_1")
    shop.stripe.charges["ch_1"] = ChargeFacts(card=None, multicapture=True)  # type: ignore[arg-type]
    held = tuple(ReservedLine(ln.sku, "kyiv-dc", ln.quantity) for ln in order.lines)
    shop.store.reservations[RESERVATION_ID] = Reservation(
        RESERVATION_ID, ORDER_ID, ReservationStatus.ACTIVE, held, 2_000_000_000, "2026-12-02T09:50:00.000Z"
    )
    tasks = PaymentTasks(
        store=shop.store, save=shop.store.save, payments=shop.stripe, events=shop.events, clock=shop.clock
    )
    return shop, tasks


def _two_laptops() -> Order:
    return authorised_order([line("LAP", 1, 60000), line("PHN", 1, 40000)], 5000)


def test_two_shipments_captured_at_once_are_priced_one_after_the_other() -> None:
    # GIVEN an order of a laptop and a phone with 50.00 shipping, and the phone's shipment recorded by
    # another invocation between this one's read and its write
    shop, tasks = _world(_two_laptops())
    save: Callable[[Order, int], None] = shop.store.save

    def raced(order: Order, version: int) -> None:
        tasks.save = save
        other = settlement.shipment_recorded(
            shop.order, "shp_phone", [ShippedLine(sku="PHN", quantity=1)], None, NOW
        )
        save(other, shop.order.version)
        raise OrderChanged

    tasks.save = raced
    # WHEN the laptop's shipment is captured
    result = tasks.capture(ORDER_ID, "shp_laptop", [ShippedLine(sku="LAP", quantity=1)], None)
    # THEN it was priced after the phone's: the shipping stays with the phone's (first) shipment
    assert result["amount"] == uah(60000).to_item()
    phone = settlement.charge_of(shop.order, "shp_phone")
    assert phone is not None
    assert phone.amount == uah(45000)
    # AND Stripe was asked once, with a key made of the order and the shipment
    assert shop.stripe.captures == [("pi_1", 60000, True, f"{ORDER_ID}-capture-shp_laptop")]


def test_units_the_hold_does_not_have_are_rejected_before_any_money_moves() -> None:
    # GIVEN an order whose hold no longer has the phone (re-planned elsewhere and shipped)
    shop, tasks = _world(_two_laptops())
    held = shop.store.reservations[RESERVATION_ID]
    shop.store.reservations[RESERVATION_ID] = Reservation(
        held.id, held.order_id, held.status, held.lines[:1], held.expires_at, held.created_at
    )
    # WHEN the phone's shipment is captured
    # THEN it is rejected, nothing is recorded and Stripe is not asked
    with pytest.raises(ShipmentRejected):
        tasks.capture(ORDER_ID, "shp_1", [ShippedLine(sku="PHN", quantity=1)], None)
    assert shop.order.payment.shipments == ()
    assert shop.stripe.captures == []


def test_an_order_still_waiting_for_payment_is_not_captured() -> None:
    # GIVEN an order whose payment was never authorised
    order = _two_laptops().model_copy(update={"status": OrderStatus.PENDING_PAYMENT})
    shop, tasks = _world(order)
    # WHEN a shipment is captured THEN it is refused by name
    with pytest.raises(OrderNotPayable):
        tasks.capture(ORDER_ID, "shp_1", [ShippedLine(sku="LAP", quantity=1)], None)
    assert shop.stripe.captures == []


def test_a_void_after_a_shipment_is_refused_and_cancels_nothing() -> None:
    # GIVEN an order one shipment of which was captured
    shop, tasks = _world(_two_laptops())
    tasks.capture(ORDER_ID, "shp_1", [ShippedLine(sku="LAP", quantity=1)], None)
    # WHEN the workflow voids it
    # THEN it is refused: the authorisation and the order stand
    with pytest.raises(AlreadyShipped):
        tasks.void(ORDER_ID, CancelReason.NOT_FULFILLED)
    assert shop.stripe.cancelled == []
    assert shop.order.status is OrderStatus.PAYMENT_AUTHORIZED


def test_an_order_gift_certificates_paid_in_full_ships_without_asking_stripe() -> None:
    # GIVEN an order nothing is due on by card
    order = _two_laptops()
    order = order.model_copy(
        update={
            "payment": Payment(provider="none", amount=uah(0), status="not_required"),
            "totals": order.totals,
        }
    )
    shop, tasks = _world(order)
    # WHEN both lines ship
    result: dict[str, Any] = tasks.capture(
        ORDER_ID, "shp_1", [ShippedLine(sku="LAP", quantity=1), ShippedLine(sku="PHN", quantity=1)], None
    )
    # THEN nothing is captured, the stock left with the shipment, and nothing went to Stripe
    assert (result["captured"], result["voided"], result["final"]) == (
        uah(0).to_item(),
        uah(0).to_item(),
        True,
    )
    assert [w.called("commit_stock") for w in shop.store.works][-1][0]["lines"] == [
        ReservedLine("LAP", "kyiv-dc", 1),
        ReservedLine("PHN", "kyiv-dc", 1),
    ]
    assert shop.stripe.captures == []


def test_units_left_in_the_store_are_released_with_the_collection_s_capture_and_never_charged() -> None:
    # GIVEN a store pickup of a laptop and a phone (50.00 shipping), the phone cancelled while it waited
    shop, tasks = _world(_two_laptops())
    laptop, phone = [ShippedLine(sku="LAP", quantity=1)], [ShippedLine(sku="PHN", quantity=1)]
    # WHEN its shopper collects the laptop (the capture retried after it was recorded)
    first = tasks.capture(ORDER_ID, "shp_1", laptop, "kyiv-dc", phone)
    again = tasks.capture(ORDER_ID, "shp_1", laptop, "kyiv-dc", phone)
    # THEN the laptop and shipping are captured, final: the phone's share voided, never charged
    assert first == again
    assert (first["amount"], first["final"]) == (uah(65000).to_item(), True)
    assert shop.stripe.captures == [("pi_1", 65000, True, f"{ORDER_ID}-capture-shp_1")]
    assert first["captured"]["amount"] + first["voided"]["amount"] == first["authorised"]["amount"]
    assert first["voided"]["amount"] > 0
    # AND the phone dropped once, its stock released in the write that recorded the charge
    assert [d.release_id for d in shop.order.dropped] == ["shp_1-left"]
    (recorded, *_) = [w for w in shop.store.works if w.called("release_stock")]
    assert recorded.called("release_stock")[0]["lines"] == [ReservedLine("PHN", "kyiv-dc", 1)]
    assert len([w for w in shop.store.works if w.called("release_stock")]) == 1
