"""``PaymentTasks.capture_electronic``: an order's electronic lines (e-certificates, no stock held) are
charged as the shipment ``electronic`` when the order is confirmed; the rest is charged per shipment as
before, and captured + voided = authorised once the order is settled. In-memory ports."""

from __future__ import annotations

from checkout.domain.payment_tasks import ELECTRONIC, PaymentTasks
from checkout.domain.ports import ChargeFacts
from inventory.domain.reservations import Reservation, ReservationStatus, ReservedLine
from orders.domain.models import Order, OrderLine, ShippedLine
from tests.unit.checkout.payment_doubles import ORDER_ID, RESERVATION_ID, World, intent, world
from tests.unit.checkout.test_settlement import authorised_order, line


def _world(order: Order, *, multicapture: bool) -> tuple[World, PaymentTasks]:
    """The order authorised; its hold has the shipped lines only (checkout holds none for electronic ones)."""
    shop = world(order)
    shop.stripe.intents["pi_1"] = intent(amount_capturable=order.payment.amount.amount, latest_charge="ch_1")
    shop.stripe.charges["ch_1"] = ChargeFacts(card=None, multicapture=multicapture)  # type: ignore[arg-type]
    held = tuple(ReservedLine(ln.sku, "kyiv-dc", ln.quantity) for ln in order.lines if not ln.digital)
    shop.store.reservations[RESERVATION_ID] = Reservation(
        RESERVATION_ID, ORDER_ID, ReservationStatus.ACTIVE, held, 2_000_000_000, "2026-12-02T09:50:00.000Z"
    )
    tasks = PaymentTasks(
        store=shop.store, save=shop.store.save, payments=shop.stripe, events=shop.events, clock=shop.clock
    )
    return shop, tasks


def _ecertificate(quantity: int, total: int) -> OrderLine:
    return line("ECERT", quantity, total).model_copy(update={"digital": True})


def test_an_order_of_electronic_lines_is_captured_in_full_at_once_and_twice_is_once() -> None:
    # GIVEN an authorised order of two e-certificates (no shipping, no stock held)
    shop, tasks = _world(authorised_order([_ecertificate(2, 5000)], 0), multicapture=False)
    # WHEN they are charged (the task retried)
    first = tasks.capture_electronic(ORDER_ID)
    again = tasks.capture_electronic(ORDER_ID)
    # THEN one final capture of the whole authorisation under the order's electronic key
    assert shop.stripe.captures == [("pi_1", 5000, True, f"{ORDER_ID}-capture-{ELECTRONIC}")]
    assert (first["capture"], first["final"], first["amount"]["amount"]) == ("captured", True, 5000)
    assert again == first
    assert first["captured"]["amount"] == first["authorised"]["amount"] == 5000
    assert first["outstanding"] == []


def test_a_mixed_order_captures_its_electronic_share_first_and_the_rest_with_its_shipment() -> None:
    # GIVEN an order of a laptop (60.00) and an e-certificate (25.00) with 5.00 shipping, multicapture
    order = authorised_order([line("LAP", 1, 6000), _ecertificate(1, 2500)], 500)
    shop, tasks = _world(order, multicapture=True)
    # WHEN the e-certificate is charged, then the laptop ships
    electronic = tasks.capture_electronic(ORDER_ID)
    shipped = tasks.capture(ORDER_ID, "shp_1", [ShippedLine(sku="LAP", quantity=1)], "kyiv-dc")
    # THEN the first capture is not final and leaves the laptop outstanding; the second is final
    assert (electronic["final"], electronic["outstanding"]) == (False, [{"sku": "LAP", "quantity": 1}])
    assert [final for *_, final, _ in shop.stripe.captures] == [False, True]
    # AND together they took the whole authorisation, nothing voided
    assert sum(amount for _, amount, *_ in shop.stripe.captures) == order.payment.amount.amount
    assert shipped["captured"]["amount"] == shipped["authorised"]["amount"]
    assert shipped["voided"]["amount"] == 0


def test_without_multicapture_the_electronic_share_waits_for_the_last_shipment() -> None:
    # GIVEN the same mixed order on an account without multicapture
    order = authorised_order([line("LAP", 1, 6000), _ecertificate(1, 2500)], 500)
    shop, tasks = _world(order, multicapture=False)
    # WHEN the e-certificate is charged, then the laptop ships
    electronic = tasks.capture_electronic(ORDER_ID)
    tasks.capture(ORDER_ID, "shp_1", [ShippedLine(sku="LAP", quantity=1)], "kyiv-dc")
    # THEN the electronic share was deferred and the laptop's final capture took both
    assert electronic["capture"] == "deferred"
    assert shop.stripe.captures == [("pi_1", order.payment.amount.amount, True, f"{ORDER_ID}-capture-shp_1")]
