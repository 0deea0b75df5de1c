"""What the orders context publishes as ``OrderConfirmed``, loyalty can read: the publisher's model
(orders.domain.events) and the consumer's (loyalty.inbound.orders, which issues a confirmed order's gift
certificates) are separate on purpose, so this test holds them together."""

from __future__ import annotations

import pytest
from loyalty.inbound.orders import OrderConfirmed as Read

from orders.domain.events import OrderConfirmed, event, once_per_order


@pytest.mark.parametrize("customer", [None, "1a2b3c4d-5e6f-4a0b-9c8d-7e6f5a4b3c2d"])
def test_loyalty_reads_every_order_confirmed_the_orders_context_publishes(customer: str | None) -> None:
    # GIVEN an OrderConfirmed as the orders context's projector publishes it, for a guest and a customer
    data = OrderConfirmed(order_id="ord_1", customer_id=customer, confirmed_at="2026-12-03T10:00:00.000Z")
    published = event(
        "OrderConfirmed", data, "ord_1", data.confirmed_at, once_per_order("ord_1", "OrderConfirmed")
    )
    # WHEN loyalty parses the event's detail data
    read = Read.model_validate(published.data)
    # THEN it reads the same order, customer and time; and both models declare the same fields
    assert (read.order_id, read.customer_id, read.confirmed_at) == ("ord_1", customer, data.confirmed_at)
    assert set(Read.model_fields) == set(OrderConfirmed.model_fields)


def test_the_orders_context_reads_fulfilments_electronic_lines_fulfilled_as_the_confirmed_stage() -> None:
    # GIVEN fulfilment's ElectronicLinesFulfilled for an order with electronic lines (their charge taken)
    from fulfilment.domain.events import electronic_lines_fulfilled

    from orders.domain.projection import Envelope, project
    from orders.domain.timeline import Stage

    published = electronic_lines_fulfilled("ord_1", "2026-12-03T10:00:00.000Z")
    raw = {"source": published.source, "detail-type": published.detail_type, "detail": published.detail()}
    # WHEN the orders context projects it
    projected = project(Envelope.parse(raw))
    # THEN it is the order's confirmed stage, at that time, with fulfilment's reason
    assert projected is not None
    assert projected.order_id == "ord_1"
    assert (projected.entry.stage, projected.entry.at) == (Stage.CONFIRMED, "2026-12-03T10:00:00.000Z")
    assert projected.entry.reason == "electronic lines charged"
