"""The buyer's orders: ``GET /checkout/orders/{id}`` (guest, with the token of the cart that became the
order) and ``GET /me/orders``, ``GET /me/orders/{id}`` (customer). Someone else's order is a 404, the
same answer as an order that does not exist."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from checkout.adapters import store
from checkout.domain.models import Buyer, Order
from checkout.handlers.routes.common import customer, guest
from shop_kernel.errors import NotFound
from shop_kernel.http import json_response

router = Router()
OrderIdPath = Annotated[str, Path(pattern=r"^ord_[0-9A-HJKMNP-TV-Z]{26}$")]


def _owned(order_id: str, buyer: Buyer) -> Order:
    order = store().order(order_id)
    if order is None or (order.buyer.kind, order.buyer.key) != (buyer.kind, buyer.key):
        raise NotFound("no such order")
    return order


@router.get("/checkout/orders/<order_id>", tags=["orders"])
def guest_order(order_id: OrderIdPath):
    """A guest's order and its payment status (poll it after confirming the payment)."""
    _, buyer = guest(router)
    return json_response(_owned(order_id, buyer).view())


@router.get("/me/orders/<order_id>", tags=["orders"])
def my_order(order_id: OrderIdPath):
    _, buyer = customer(router)
    return json_response(_owned(order_id, buyer).view())


@router.get("/me/orders", tags=["orders"])
def my_orders(limit: Annotated[int, Query(ge=1, le=50)] = 20):
    """The signed-in customer's orders, newest first."""
    _, buyer = customer(router)
    orders = store().orders(store().orders_of(buyer.kind, buyer.key, limit))
    return json_response({"orders": [order.view() for order in orders]})
