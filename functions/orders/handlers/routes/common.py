"""What the orders routes share: the order id in the path, and the order read for its buyer."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path

from orders import wiring
from orders.adapters.dynamo import OrderPage
from orders.domain import cancellation
from orders.domain.cancellation import CancellationBody
from orders.domain.events import event
from orders.domain.timeline import Actor
from orders.handlers.views import OrdersCancellationRequested
from shop_kernel.clock import isoformat
from shop_kernel.errors import NotFound
from shop_kernel.ids import new_ulid
from shop_kernel.openapi import documented, ok, problem

OrderIdPath = Annotated[
    str,
    Path(
        pattern=r"^ord_[0-9A-HJKMNP-TV-Z]{26}$",
        description="The order's id (its number), from the checkout's answer",
        examples=["ord_01JD3Q4Z9K8M2N5P7R9T1V3X5Z"],
    ),
]


def page_of(order_id: str, buyer: tuple[str, str] | None = None) -> OrderPage:
    """The order with its timeline; 404 when there is none, or it is not ``buyer``'s (the same answer)."""
    page = wiring.container.store().order_page(order_id)
    if page is None or (buyer is not None and (page.order.buyer.kind, page.order.buyer.key) != buyer):
        raise NotFound("no such order")
    return page


def request_cancellation(page: OrderPage, body: CancellationBody, requester: Actor) -> dict[str, Any]:
    """Record the request on the order's timeline, then announce it (fulfilment acts on the event)."""
    c = wiring.container
    request_id = f"ccr_{new_ulid()}"
    at = isoformat(c.clock().now())
    accepted = cancellation.request_cancellation(
        page.order, page.stage, page.entries, body, requester, request_id, at
    )
    c.store().record(page.order.id, accepted.entry)
    c.publisher().publish(
        [event("OrderCancellationRequested", accepted.event, page.order.id, at, request_id)]
    )
    lines = accepted.event.model_dump(mode="json")["lines"]
    return {"order_id": page.order.id, "request_id": request_id, "lines": lines, "requested_at": at}


CANCELLATION_RESPONSES = documented(
    ok(OrdersCancellationRequested, "Asked: the outcome comes onto the order's timeline", status=202),
    problem(404, "No such order, or it is not this buyer's (the same answer)"),
    problem(
        409,
        "Dispatched or collected (a store pickup is cancellable, whole or by line, until its shopper "
        "collects it), cancelled already, or some lines of an order not paid yet, which is cancelled whole "
        "only (problem code: already_dispatched, already_cancelled, not_paid)",
    ),
    problem(422, "A line that is not on the order, or more units than are left of it"),
)
