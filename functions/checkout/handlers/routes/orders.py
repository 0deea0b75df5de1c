"""A guest's order: ``GET /checkout/orders/{id}``, with the token of the cart that became the order.
Someone else's order is a 404, the same answer as an order that does not exist.

Customers' and staff's order routes are the orders context's (``orders-api``: ``/me/orders``,
``/admin/orders``); this one stays with checkout because a guest is known by the cart's token, and
reads the order through ``orders.contract``."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from checkout import wiring
from checkout.handlers.routes.common import CartToken, guest
from checkout.handlers.views import CheckoutOrder
from orders.domain.models import Buyer, Order
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
Limit = Annotated[int, Query(ge=1, le=50, description="How many orders, at most (1-50)")]


def _owned(order_id: str, buyer: Buyer) -> Order:
    order = wiring.container.store().order(order_id)
    if order is None or (order.buyer.kind, order.buyer.key) != (buyer.kind, buyer.key):
        raise NotFound("no such order")
    return order


ORDER = documented(
    ok(CheckoutOrder, "The order"), problem(404, "No such order, or it is not this buyer's (the same answer)")
)


@router.get(
    "/checkout/orders/<order_id>",
    summary="Read a guest's order",
    description="The order a guest placed, found with the token of the cart that became it: its lines, "
    "totals, delivery and payment status. Poll it after confirming the payment to see it authorised.",
    tags=["orders"],
    operation_id="get_guest_order",
    responses=ORDER,
)
def guest_order(order_id: OrderIdPath, token: CartToken = None):
    _, buyer = guest(token)
    return json_response(_owned(order_id, buyer).view())
