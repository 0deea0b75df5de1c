"""Staff's orders (agents and ops): ``GET /admin/orders`` (search by status, dates, e-mail, phone or
number, paged), ``GET /admin/orders/{id}`` (payments, shipments, timeline, the workflow's execution)
``POST /admin/orders/{id}/cancellation`` before dispatch, and agents' (only theirs) fraud review decisions,
``POST /admin/orders/{id}/review`` (``orders.domain.review``; fulfilment answers the workflow's token when
``OrderReviewDecided`` reaches it). Events carry ids, not personal data, so
this is also where whoever must reach a buyer finds the contact details."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from orders import wiring
from orders.domain import review
from orders.domain.cancellation import CancellationBody
from orders.domain.events import event
from orders.domain.search import SearchCriteria
from orders.domain.timeline import Actor, Stage
from orders.handlers.responses import staff_view, summary_view
from orders.handlers.routes.common import CANCELLATION_RESPONSES, OrderIdPath, page_of, request_cancellation
from orders.handlers.views import OrdersReviewDecided, OrdersSearchPage, OrdersStaffOrder, OrdersStage
from shop_kernel.auth import Group, require
from shop_kernel.clock import isoformat
from shop_kernel.http import json_response
from shop_kernel.ids import new_ulid
from shop_kernel.observability import logger
from shop_kernel.openapi import BEARER_SECURITY, NOT_SPACE, documented, ok, problem
from shop_kernel.proxy import PRIVATE_CACHE

router = Router()
# Python and JSON Schema read "not a space" alike only spelled out (shop_kernel.openapi.NOT_SPACE).
_NOT_AT = NOT_SPACE.replace("[^", "[^@")
Limit = Annotated[int, Query(ge=1, le=50, description="How many orders per page (1-50)")]
Cursor = Annotated[
    str | None,
    Query(max_length=2048, description="next_cursor of the previous page; omit for the first page"),
]
Status = Annotated[OrdersStage | None, Query(description="Where the order is now")]
Day = Annotated[
    date | None, Query(description="A day (YYYY-MM-DD, UTC) the orders were placed on or after/before")
]
Email = Annotated[
    str | None, Query(max_length=254, pattern=rf"^{_NOT_AT}+@{_NOT_AT}+$", description="The buyer's e-mail")
]
Phone = Annotated[
    str | None, Query(max_length=32, pattern=r"^\+?[0-9 ()\-]{5,31}$", description="The buyer's phone")
]
Number = Annotated[
    str | None, Query(pattern=r"^ord_[0-9A-HJKMNP-TV-Z]{26}$", description="The order number (its id)")
]


def _staff() -> str:
    return require(router.current_event.raw_event, Group.AGENTS, Group.OPS).subject


@router.get(
    "/admin/orders",
    summary="Search orders (staff)",
    description="By order number, the buyer's e-mail or phone, or status; `since`/`until` (days, UTC) narrow "
    "any of them, and `status` narrows an e-mail or phone search. Newest first, paged with `next_cursor`. "
    "An order waiting for payment is found by its number or `status=pending_payment` only.",
    tags=["orders"],
    operation_id="search_orders",
    security=BEARER_SECURITY,
    responses=documented(
        ok(OrdersSearchPage, "A page of orders"),
        problem(422, "No search given, a range that ends before it starts, or a cursor of another search"),
        401,
        403,
    ),
)
def search_orders(
    status: Status = None,
    since: Day = None,
    until: Day = None,
    email: Email = None,
    phone: Phone = None,
    order: Number = None,
    cursor: Cursor = None,
    limit: Limit = 20,
):
    _staff()
    criteria = SearchCriteria(
        order_id=order,
        email=email,
        phone=phone,
        stage=Stage(status) if status else None,
        since=since,
        until=until,
    )
    found, after = wiring.container.store().search(criteria, cursor, limit)
    body = {"items": [summary_view(o, s) for o, s in found], "next_cursor": after}
    return json_response(body, headers={"Cache-Control": PRIVATE_CACHE})


@router.get(
    "/admin/orders/<order_id>",
    summary="Read any order (staff)",
    description="One order by its id for agents and operations: the buyer and contact details, lines and "
    "totals, payments per shipment, shipments with tracking, the timeline, and the fulfilment workflow's "
    "execution (the Step Functions console link; locally, the execution's history).",
    tags=["orders"],
    operation_id="get_order_for_staff",
    security=BEARER_SECURITY,
    responses=documented(ok(OrdersStaffOrder, "The order"), problem(404, "No order has this id"), 401, 403),
)
def staff_order(order_id: OrderIdPath):
    _staff()
    page = page_of(order_id)
    workflow = wiring.container.executions().of(order_id)
    return json_response(staff_view(page, workflow), headers={"Cache-Control": PRIVATE_CACHE})


@router.post(
    "/admin/orders/<order_id>/cancellation",
    summary="Ask to cancel an order, or some of its lines (staff)",
    description="As the customer's request, on behalf of the buyer (the agent is recorded on the timeline).",
    tags=["orders"],
    operation_id="request_order_cancellation_for_staff",
    security=BEARER_SECURITY,
    responses={**CANCELLATION_RESPONSES, **documented(401, 403)},
)
def cancel_order(order_id: OrderIdPath, body: CancellationBody):
    agent = _staff()
    answer = request_cancellation(page_of(order_id), body, Actor(kind="agent", id=agent))
    return json_response(answer, status=202)


@router.post(
    "/admin/orders/<order_id>/review",
    summary="Decide a held order's fraud review (agents)",
    description="Agents only (the `agents` group; operations and everyone else get a 403 whatever the body). "
    "Approve or reject, with a note, an order checkout's fraud screening held. The decision goes "
    "onto the order's timeline (the agent, the note) and to fulfilment (OrderReviewDecided): approve, "
    "fulfilment goes on; reject, the order is cancelled, its authorisation voided, its stock, codes and "
    "certificates given back. The same decision again answers the one recorded. An order that is not waiting "
    "for a review, or was decided the other way, is a 409.",
    tags=["orders"],
    operation_id="decide_order_review",
    security=BEARER_SECURITY,
    responses=documented(
        ok(
            OrdersReviewDecided, "Decided: the order's workflow moves on (its timeline shows how)", status=202
        ),
        problem(404, "No order has this id"),
        problem(
            409,
            "Not waiting for a review: never held or past it, cancelled, not paid, or decided the other way "
            "(problem code: not_held, already_cancelled, not_paid, already_decided)",
        ),
        problem(422, "A decision other than approve or reject, or no note"),
        401,
        problem(403, "The caller is not in the agents group (operations included)"),
    ),
)
def decide_review(order_id: OrderIdPath, body: review.ReviewBody):
    # Agents only (issue 12): the API's guard for this path refused everyone else before the body was read.
    agent = require(router.current_event.raw_event, Group.AGENTS).subject
    c = wiring.container
    page = page_of(order_id)
    at = isoformat(c.clock().now())
    decided = review.decide_review(
        page.order, page.stage, page.entries, body, Actor(kind="agent", id=agent), f"rvd_{new_ulid()}", at
    )
    if not decided.repeated:
        c.store().record(order_id, decided.entry)
    # Again for a repeat, with the same id: the first request may have died before it published.
    c.publisher().publish(
        [event(review.WHAT, decided.event, order_id, decided.entry.at, decided.entry.event_id)]
    )
    logger.info(
        "review decided",
        extra={"order_id": order_id, "decision": body.decision, "repeated": decided.repeated},
    )
    answer = {
        "order_id": order_id,
        "decision_id": decided.entry.event_id,
        "decision": decided.event.decision,
        "decided_at": decided.entry.at,
    }
    return json_response(answer, status=202)
