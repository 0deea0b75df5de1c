"""Events the orders context publishes (source ``shop.orders``), ids only (decision 32).

* ``OrderCancellationRequested`` (1.0): a customer or an agent asked to cancel the whole order
  (``lines`` null) or some lines before dispatch; fulfilment stops the work and answers with
  ``OrderCancelled``, ``OrderLinesCancelled`` or ``OrderCancellationRefused``, which come back onto the
  order's timeline; an order still waiting for payment is cancelled whole by checkout
  (``checkout-cancellations``), whose ``OrderCancelled`` comes back the same way. Its id is the request's.
* ``OrderReviewDecided`` (1.0): an agent approved or rejected an order fraud screening held, with a note;
  fulfilment answers the workflow's review token (approve goes on; reject cancels the order). Its id is the
  decision's (on the order's timeline).
* ``OrderConfirmed`` (1.0): the order passed review and was sent to be picked (its first
  ``FulfilmentRequested``), once per order (the id is derived from the order).
* ``OrderDelivered`` (1.0): every shipment of the order was delivered or collected, once per order; the
  contract loyalty earns points on (``loyalty.inbound.orders`` reads it).
"""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shop_kernel.events import DomainEvent, make_event

SOURCE = "shop.orders"
SCHEMA_VERSION = "1.0"
_NAMESPACE = uuid.UUID("0c4f6a3e-8b1d-4e7a-9f25-6d3b2a1c0e9f")


class EventModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RequestedLine(EventModel):
    sku: str
    quantity: int = Field(ge=1)


class RequestedBy(EventModel):
    kind: Literal["customer", "agent"]
    id: str = Field(description="The customer's Cognito sub or the agent's")


class OrderCancellationRequested(EventModel):
    order_id: str
    lines: list[RequestedLine] | None = Field(description="The lines to cancel; null for the whole order")
    requested_by: RequestedBy
    reason: str


class OrderReviewDecided(EventModel):
    order_id: str
    decision: Literal["approve", "reject"]
    agent_id: str = Field(description="The deciding agent's Cognito sub")
    note: str = Field(description="Why, as the agent wrote it")
    decided_at: str = Field(description="UTC ISO-8601")


class OrderConfirmed(EventModel):
    order_id: str
    customer_id: str | None = Field(default=None, description="Cognito sub; None for a guest")
    confirmed_at: str = Field(description="UTC ISO-8601")


class OrderDelivered(EventModel):
    order_id: str
    customer_id: str | None = Field(default=None, description="Cognito sub; None for a guest")
    delivered_at: str = Field(description="UTC ISO-8601")


EVENT_MODELS: dict[str, type[BaseModel]] = {
    "OrderCancellationRequested": OrderCancellationRequested,
    "OrderReviewDecided": OrderReviewDecided,
    "OrderConfirmed": OrderConfirmed,
    "OrderDelivered": OrderDelivered,
}


def once_per_order(order_id: str, detail_type: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{order_id}:{detail_type}"))


def event(detail_type: str, data: EventModel, order_id: str, at: str, event_id: str) -> DomainEvent:
    return make_event(
        SOURCE,
        detail_type,
        data,
        version=SCHEMA_VERSION,
        occurred_at=at,
        event_id=event_id,
        correlation_id=order_id,
    )
