"""The bodies the orders API answers (``views`` documents them): an order with its stage, timeline and
shipments for its buyer, with payments, the buyer and the workflow for staff, and search rows."""

from __future__ import annotations

from typing import Any

from orders.adapters.dynamo import OrderPage
from orders.domain.cancellation import cancelled_lines
from orders.domain.models import Order
from orders.domain.timeline import Stage, shipment_view, sorted_timeline, timeline_view

_BUYER_HIDDEN = {
    "checkout_ref",
    "buyer",
    "risk",
    "client_ip",
    "reservation_id",
    "allocations",
    "code_redemptions",
    "dropped",
}


def order_view(order: Order, stage: Stage) -> dict[str, Any]:
    """What the buyer sees of the order itself (no internal references)."""
    body = order.model_dump(mode="json", exclude=_BUYER_HIDDEN)
    card = order.payment.card
    body["payment"] = {
        "amount": body["payment"]["amount"],
        "status": body["payment"]["status"],
        "failures": body["payment"]["failures"],
        "last_failure": body["payment"]["last_failure"],
        "card": {"brand": card.brand, "last4": card.last4} if card else None,
        "captured": body["payment"]["captured"],
        "refunded": body["payment"]["refunded"],
    }
    body["email"] = order.buyer.email
    body["stage"] = stage.value
    return body


def customer_view(page: OrderPage) -> dict[str, Any]:
    return {
        **order_view(page.order, page.stage),
        "timeline": [timeline_view(e) for e in sorted_timeline(page.order, page.entries)],
        "shipments": [shipment_view(s) for s in sorted(page.shipments, key=lambda s: s.shipment_id)],
        "cancelled_lines": [line.model_dump() for line in cancelled_lines(page.entries)],
    }


def listed_view(order: Order, stage: Stage) -> dict[str, Any]:
    """An order in the customer's list: as on its own page, without the timeline and shipments."""
    return {**order_view(order, stage), "timeline": [], "shipments": [], "cancelled_lines": []}


def staff_view(page: OrderPage, workflow: dict[str, Any] | None) -> dict[str, Any]:
    payment = page.order.payment
    return {
        **customer_view(page),
        "buyer": page.order.buyer.model_dump(mode="json"),
        "risk": page.order.risk,
        "payments": {
            "provider": payment.provider,
            "intent_id": payment.intent_id,
            "amount": payment.amount.model_dump(mode="json"),
            "status": payment.status,
            "authorized_at": payment.authorized_at,
            "captured": payment.captured.model_dump(mode="json") if payment.captured else None,
            "refunded": payment.refunded.model_dump(mode="json") if payment.refunded else None,
            "voided": payment.voided.model_dump(mode="json") if payment.voided else None,
            "charges": [
                {
                    "shipment_id": c.shipment_id,
                    "amount": c.amount.model_dump(mode="json"),
                    "status": c.status,
                    "requested_at": c.requested_at,
                    "captured_at": c.captured_at,
                }
                for c in payment.shipments
            ],
        },
        "workflow": workflow,
    }


def summary_view(order: Order, stage: Stage) -> dict[str, Any]:
    return {
        "id": order.id,
        "created_at": order.created_at,
        "stage": stage.value,
        "status": order.status.value,
        "email": order.buyer.email,
        "phone": order.phone,
        "grand_total": order.totals.grand_total.model_dump(mode="json"),
        "lines": len(order.lines),
    }
