"""What each shipment captures (checkout.domain.settlement), without AWS or Stripe.

The rule: a line is charged its total (its discounts and tax as pricing made them), its units sharing it;
shipping with the first shipment; the card pays its share of everything when gift certificates paid part.
Whatever the split into shipments, the captures add up to what the shipped units are worth to the card,
never more than the authorisation, and captured + voided = authorised once settled.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checkout.domain import settlement
from checkout.domain.settlement import ShipmentRejected
from orders.domain.models import Order, OrderLine, OrderStatus, Payment, ShippedLine
from pricing.domain import Shipping, Totals
from shop_kernel.money import Money
from tests.unit.checkout.payment_doubles import pending_order, uah

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def line(sku: str, quantity: int, total: int, discount: int = 0) -> OrderLine:
    return OrderLine(
        sku=sku,
        quantity=quantity,
        price_list="retail",
        unit_price=uah((total + discount) // quantity),
        subtotal=uah(total + discount),
        discounts=[],
        discount_total=uah(discount),
        tax_rate_bp=2000,
        tax=uah(total // 6),
        total=uah(total),
    )


def shipping(total: int) -> Shipping:
    return Shipping(
        method="courier",
        price=uah(total),
        discounts=[],
        discount=uah(0),
        tax_rate_bp=2000,
        tax=uah(0),
        total=uah(total),
    )


def authorised_order(lines: list[OrderLine], shipping_total: int | None, certificates: int = 0) -> Order:
    grand = sum(ln.total.amount for ln in lines) + (shipping_total or 0)
    due = grand - min(certificates, grand)
    totals = Totals(
        subtotal=uah(grand),
        discount_total=uah(0),
        shipping=uah(shipping_total or 0),
        tax_total=uah(0),
        grand_total=uah(grand),
        gift_certificates=uah(grand - due),
        amount_due=uah(due),
    )
    return pending_order(
        status=OrderStatus.PAYMENT_AUTHORIZED,
        lines=tuple(lines),
        shipping=shipping(shipping_total) if shipping_total is not None else None,
        totals=totals,
        payment=Payment(provider="stripe", intent_id="pi_1", amount=uah(due), status="authorized"),
    )


def ship(order: Order, shipment_id: str, lines: dict[str, int]) -> tuple[Order, Money]:
    shipped = [ShippedLine(sku=sku, quantity=n) for sku, n in lines.items() if n]
    recorded = settlement.shipment_recorded(order, shipment_id, shipped, None, NOW)
    charge = settlement.charge_of(recorded, shipment_id)
    assert charge is not None
    return settlement.shipment_charged(recorded, shipment_id, NOW, deferred=False), charge.amount


def test_shipping_goes_with_the_first_shipment_and_a_line_s_units_share_its_discounted_total() -> None:
    # GIVEN two laptops for 999.99 after a discount (tax included) and a phone for 300.00, shipping 50.00
    order = authorised_order([line("LAP", 2, 99999, discount=10001), line("PHN", 1, 30000)], 5000)
    # WHEN one laptop ships, then the phone, then the other laptop
    order, first = ship(order, "shp_1", {"LAP": 1})
    order, second = ship(order, "shp_2", {"PHN": 1})
    order, third = ship(order, "shp_3", {"LAP": 1})
    # THEN the first capture carries the shipping and half the laptops' total rounded down, the last
    # laptop the cent that was left, and together they are the whole authorisation
    assert (first.amount, second.amount, third.amount) == (5000 + 49999, 30000, 50000)
    assert settlement.captured_total(order.payment) == order.payment.amount
    assert order.payment.voided == uah(0)
    assert [c.final for c in order.payment.shipments] == [False, False, True]


def test_gift_certificates_pay_the_same_share_of_every_shipment() -> None:
    # GIVEN an order of 1,000.00 + 1,000.00 of which a certificate paid 500.00 (card: 1,500.00)
    order = authorised_order([line("A", 1, 100000), line("B", 1, 100000)], None, certificates=50000)
    # WHEN A ships, and B is dropped after a short pick
    order, captured = ship(order, "shp_1", {"A": 1})
    order = settlement.lines_dropped(order, "short_1", [ShippedLine(sku="B", quantity=1)], NOW)
    # THEN the card paid three quarters of A, and the rest of the authorisation is voided on settling
    assert captured == uah(75000)
    assert settlement.is_settled(order)
    assert order.payment.voided is None
    assert settlement.settled(order, NOW).payment.voided == uah(75000)


def test_more_than_is_left_to_ship_is_rejected() -> None:
    # GIVEN an order of two laptops, one of which shipped
    order, _ = ship(authorised_order([line("LAP", 2, 200000)], 5000), "shp_1", {"LAP": 1})
    # WHEN two more are said to ship, or a SKU the order does not have
    # THEN nothing is recorded
    with pytest.raises(ShipmentRejected):
        settlement.shipment_recorded(order, "shp_2", [ShippedLine(sku="LAP", quantity=2)], None, NOW)
    with pytest.raises(ShipmentRejected):
        settlement.shipment_recorded(order, "shp_2", [ShippedLine(sku="PHN", quantity=1)], None, NOW)


def test_without_multicapture_the_last_shipment_captures_every_deferred_charge() -> None:
    # GIVEN an order of two items whose card cannot be captured twice; the first shipment was deferred
    order = authorised_order([line("A", 1, 40000), line("B", 1, 60000)], 5000)
    recorded = settlement.shipment_recorded(order, "shp_1", [ShippedLine(sku="A", quantity=1)], None, NOW)
    order = settlement.shipment_charged(recorded, "shp_1", NOW, deferred=True)
    assert settlement.captured_total(order.payment) == uah(0)
    # WHEN the last shipment is captured (final)
    order, _ = ship(order, "shp_2", {"B": 1})
    # THEN both charges are captured, and nothing is voided
    assert [c.status for c in order.payment.shipments] == ["captured", "captured"]
    assert settlement.captured_total(order.payment) == uah(105000)
    assert order.payment.voided == uah(0)


# --- the property: any split of shipments ------------------------------------------------------------

line_specs = st.lists(
    st.tuples(st.integers(1, 5), st.integers(0, 500_000), st.integers(0, 50_000)), min_size=1, max_size=4
)


@st.composite
def orders_and_splits(draw: Any) -> tuple[Order, list[dict[str, int]], dict[str, int]]:
    """An order, its units split over shipments (in order), and what is dropped instead of shipping."""
    specs = draw(line_specs)
    lines = [
        line(f"SKU{i}", quantity, total, discount) for i, (quantity, total, discount) in enumerate(specs)
    ]
    shipping_total = draw(st.one_of(st.none(), st.integers(0, 20_000)))
    grand = sum(ln.total.amount for ln in lines) + (shipping_total or 0)
    certificates = draw(st.integers(0, grand))
    order = authorised_order(lines, shipping_total, certificates)
    count = draw(st.integers(1, 4))
    shipments: list[dict[str, int]] = [{} for _ in range(count)]
    dropped: dict[str, int] = {}
    for ln in lines:
        for _ in range(ln.quantity):
            where = draw(st.integers(-1, count - 1))  # -1: the unit is dropped
            target = dropped if where < 0 else shipments[where]
            target[ln.sku] = target.get(ln.sku, 0) + 1
    return order, [s for s in shipments if s], dropped


@settings(max_examples=150, deadline=None)
@given(orders_and_splits())
def test_any_split_captures_what_shipped_never_more_than_authorised_and_the_rest_is_voided(
    case: tuple[Order, list[dict[str, int]], dict[str, int]],
) -> None:
    # GIVEN an authorised order, its units shipped in any split and the rest dropped
    order, shipments, dropped = case
    authorised = order.payment.amount
    if dropped:
        order = settlement.lines_dropped(
            order, "short", [ShippedLine(sku=s, quantity=n) for s, n in dropped.items()], NOW
        )
    before_shipping = order
    captures = []
    # WHEN each shipment is captured in turn
    for index, lines in enumerate(shipments):
        order, amount = ship(order, f"shp_{index}", lines)
        captures.append(amount.amount)
    if not settlement.is_settled(order) or order.payment.voided is None:
        order = settlement.settled(order, NOW)
    # THEN no capture is negative, they add up to what the shipped units are worth to the card, which
    # is the same whatever the split and never more than authorised; all shipped: all captured
    shipped_units = settlement.shipped(order)
    worth = settlement.card_share(order, settlement.charged_value(order, shipped_units))
    assert all(amount >= 0 for amount in captures)
    assert sum(captures) == worth.amount == settlement.captured_total(order.payment).amount
    assert sum(captures) <= authorised.amount
    voided = order.payment.voided
    assert voided is not None
    assert settlement.captured_total(order.payment) + voided == authorised
    if not dropped:
        assert sum(captures) == authorised.amount
    # AND the same units shipped in one go are charged the same
    if shipments:
        _, whole = ship(before_shipping, "shp_all", dict(shipped_units))
        assert whole.amount == sum(captures)
