"""A guest's order: ``GET /checkout/orders/{id}``, with the token of the cart that became the order.
Someone else's order is a 404, the same answer as an order that does not exist.

Customers' and staff's order routes are the orders context's (``orders-api``: ``/me/orders``,
``/admin/orders``); this one stays with checkout because a guest is known by the cart's token, and
reads the order through ``orders.contract``."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from checkout import wiring
from checkout.handlers.routes.common import CartToken, guest
from checkout.handlers.views import CheckoutGuestOrder
from orders.contract import OrderProgress
from orders.domain.models import Buyer
from orders.domain.timeline import shipment_view, timeline_view
from shop_kernel.errors import NotFound
from shop_kernel.http import json_response
from shop_kernel.openapi import documented, ok, problem

router = Router()
OrderIdPath = Annotated[
    str,
    Path(
        pattern=r"^ord_[0-9A-HJKMNP-TV-Z]{26}$",
        description="The order's id, from the checkout's answer",
        examples=["ord_01JD3Q4Z9K8M2N5P7R9T1V3X5Z"],
    ),
]


def _owned(order_id: str, buyer: Buyer) -> OrderProgress:
    found = wiring.container.store().order_progress(order_id)
    if found is None or (found.order.buyer.kind, found.order.buyer.key) != (buyer.kind, buyer.key):
        raise NotFound("no such order")
    return found


ORDER = documented(
    ok(CheckoutGuestOrder, "The order, where it stands and how it got there"),
    problem(404, "No such order, or it is not this buyer's (the same answer)"),
)


@router.get(
    "/checkout/orders/<order_id>",
    summary="Read a guest's order",
    description="The order a guest placed, found with the token of the cart that became it: its lines, "
    "totals, delivery and payment status, where it is now (`stage`: paid, confirmed, dispatched, in transit, "
    "delivered, collected, cancelled), every transition with when, who and why (`timeline`) and its "
    "shipments with tracking links. Poll it after confirming the payment to see it authorised.",
    tags=["orders"],
    operation_id="get_guest_order",
    responses=ORDER,
)
def guest_order(order_id: OrderIdPath, token: CartToken = None):
    _, buyer = guest(token)
    found = _owned(order_id, buyer)
    return json_response(
        {
            **found.order.view(),
            "stage": found.stage.value,
            "timeline": [timeline_view(entry) for entry in found.timeline],
            "shipments": [shipment_view(shipment) for shipment in found.shipments],
        }
    )
