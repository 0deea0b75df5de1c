"""The buyer's orders: ``GET /checkout/orders/{id}`` (guest, with the token of the cart that became the
order) and ``GET /me/orders``, ``GET /me/orders/{id}`` (customer). Someone else's order is a 404, the
same answer as an order that does not exist.

Staff read any order by id (``GET /admin/orders/{id}``, agents and ops): events carry ids, not personal
data, so this is where whoever must reach the buyer finds the contact details."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from orders.domain.models import Buyer, Order

from checkout import wiring
from checkout.handlers.routes.common import CartToken, customer, guest, staff
from checkout.handlers.views import CheckoutOrder, CheckoutOrderList
from shop_kernel.errors import NotFound
from shop_kernel.http import json_response
from shop_kernel.openapi import BEARER_SECURITY, documented, ok, problem
from shop_kernel.proxy import PRIVATE_CACHE

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


@router.get(
    "/me/orders/<order_id>",
    summary="Read one of the customer's orders",
    description="One order the signed-in customer placed: its lines, totals, delivery, payment status "
    "and history. Someone else's order is a 404, as is an order that does not exist.",
    tags=["orders"],
    operation_id="get_customer_order",
    security=BEARER_SECURITY,
    responses=ORDER,
)
def my_order(order_id: OrderIdPath):
    _, buyer = customer(router)
    return json_response(_owned(order_id, buyer).view())


@router.get(
    "/me/orders",
    summary="List the customer's orders",
    description="The signed-in customer's most recent orders, newest first, each as on its own page "
    "(lines, totals, delivery, payment status).",
    tags=["orders"],
    operation_id="list_customer_orders",
    security=BEARER_SECURITY,
    responses=documented(ok(CheckoutOrderList, "The orders, newest first")),
)
def my_orders(limit: Limit = 20):
    _, buyer = customer(router)
    store = wiring.container.store()
    orders = store.orders(store.orders_of(buyer.kind, buyer.key, limit))
    return json_response({"orders": [order.view() for order in orders]})


@router.get(
    "/admin/orders/<order_id>",
    summary="Read any order (staff)",
    description="One order by its id, for call-center agents and operations: lines, totals, delivery and "
    "payment status, and the buyer's contact details (e-mail, address), which events do not carry. "
    "Integrations that must reach a buyer look the order up here from the id in an event.",
    tags=["orders"],
    operation_id="get_order_for_staff",
    security=BEARER_SECURITY,
    responses=documented(ok(CheckoutOrder, "The order"), problem(404, "No order has this id")),
)
def staff_order(order_id: OrderIdPath):
    staff(router)
    order = wiring.container.store().order(order_id)
    if order is None:
        raise NotFound("no such order")
    return json_response(order.view(), headers={"Cache-Control": PRIVATE_CACHE})
