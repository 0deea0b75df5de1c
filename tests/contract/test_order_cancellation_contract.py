"""What the orders context publishes as ``OrderCancellationRequested``, fulfilment can read: the publisher's model
(orders.domain.events) and the consumer's (fulfilment.inbound.orders) are separate on purpose (each context owns its
code), so this test holds them together at the limits the orders API accepts."""

from __future__ import annotations

import pytest
from fulfilment.inbound.orders import OrderCancellationRequested as Read

from orders.domain.cancellation import CancellationBody
from orders.domain.events import OrderCancellationRequested as Published
from orders.domain.events import RequestedBy, RequestedLine


def _longest_accepted_body() -> CancellationBody:
    lines_field = CancellationBody.model_fields["lines"]
    reason_field = CancellationBody.model_fields["reason"]
    most_lines = next(m.max_length for m in lines_field.metadata if hasattr(m, "max_length"))
    longest_reason = next(m.max_length for m in reason_field.metadata if hasattr(m, "max_length"))
    return CancellationBody.model_validate(
        {
            "lines": [{"sku": f"{i:064d}", "quantity": 10_000} for i in range(most_lines)],
            "reason": "x" * longest_reason,
        }
    )


@pytest.mark.parametrize("whole_order", [True, False])
def test_fulfilment_reads_every_request_the_orders_api_accepts(whole_order: bool) -> None:
    # GIVEN the largest request the orders API accepts (or a whole-order one), as orders publishes it
    body = _longest_accepted_body()
    lines = None if whole_order else [RequestedLine(sku=x.sku, quantity=x.quantity) for x in body.lines or []]
    published = Published(
        order_id="ord_01JDQ4B2C3D4E5F6G7H8J9K0M1",
        lines=lines,
        requested_by=RequestedBy(kind="agent", id="a" * 128),
        reason=body.reason,
    )
    # WHEN fulfilment parses the event's detail data
    read = Read.model_validate(published.model_dump(mode="json"))
    # THEN it reads the same request
    assert read.order_id == published.order_id
    assert read.reason == body.reason
    assert read.lines is None if whole_order else len(read.lines or []) == len(body.lines or [])
