"""The customer's own orders: ``GET /me/orders``, ``GET /me/orders/{id}`` (the timeline, shipments and
tracking links) and ``POST /me/orders/{id}/cancellation``. Someone else's order is a 404, the same
answer as an order that does not exist."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from orders import wiring
from orders.domain.cancellation import CancellationBody
from orders.domain.timeline import Actor
from orders.handlers.responses import customer_view, listed_view
from orders.handlers.routes.common import CANCELLATION_RESPONSES, OrderIdPath, page_of, request_cancellation
from orders.handlers.views import OrdersOrder, OrdersOrderList
from shop_kernel.auth import Group, require
from shop_kernel.http import json_response
from shop_kernel.openapi import BEARER_SECURITY, documented, ok, problem

router = Router()
Limit = Annotated[int, Query(ge=1, le=50, description="How many orders, at most (1-50)")]


def _customer() -> str:
    return require(router.current_event.raw_event, Group.CUSTOMERS).subject


@router.get(
    "/me/orders",
    summary="List the customer's orders",
    description="The signed-in customer's most recent orders, newest first, each with its stage (paid, "
    "confirmed, dispatched, in transit, delivered, collected, cancelled); the timeline is on each order's page.",
    tags=["orders"],
    operation_id="list_customer_orders",
    security=BEARER_SECURITY,
    responses=documented(ok(OrdersOrderList, "The orders, newest first"), 401, 403),
)
def my_orders(limit: Limit = 20):
    found = wiring.container.store().orders_of("customer", _customer(), limit)
    return json_response({"orders": [listed_view(order, stage) for order, stage in found]})


@router.get(
    "/me/orders/<order_id>",
    summary="Read one of the customer's orders",
    description="One order the signed-in customer placed: lines, totals, delivery and payment, where it "
    "is now (`stage`), every transition with when, who and why (`timeline`), and its shipments with "
    "their tracking links.",
    tags=["orders"],
    operation_id="get_customer_order",
    security=BEARER_SECURITY,
    responses=documented(
        ok(OrdersOrder, "The order"), problem(404, "No such order, or it is not this customer's"), 401, 403
    ),
)
def my_order(order_id: OrderIdPath):
    return json_response(customer_view(page_of(order_id, ("customer", _customer()))))


@router.post(
    "/me/orders/<order_id>/cancellation",
    summary="Ask to cancel the order, or some of its lines",
    description="Before dispatch only; an order waiting in its pickup store (stage ready_for_collection) until its "
    "shopper collects it, whole or some of its lines: those are taken off the parcel and never charged, "
    "the rest is charged at collection. Leave `lines` out to cancel the whole order. The request is put "
    "on the order's timeline and fulfilment stops the work; the order shows the outcome (cancelled, lines"
    " cancelled with the amount released, or refused) a moment later. An order still waiting for its "
    "payment (a 3-D Secure or redirect payment not completed) is cancelled whole only, at once: its "
    "payment can no longer be completed, and one that completes anyway is voided.",
    tags=["orders"],
    operation_id="request_customer_order_cancellation",
    security=BEARER_SECURITY,
    responses={**CANCELLATION_RESPONSES, **documented(401, 403)},
)
def cancel_my_order(order_id: OrderIdPath, body: CancellationBody):
    customer = _customer()
    page = page_of(order_id, ("customer", customer))
    answer = request_cancellation(page, body, Actor(kind="customer", id=customer))
    return json_response(answer, status=202)
