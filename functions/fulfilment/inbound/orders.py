"""``OrderCancellationRequested`` and ``OrderReviewDecided`` (source ``shop.orders``) as fulfilment reads them: the orders context publishes
it (``orders.domain.events``, its schema in the registry) when a buyer or an agent asks to cancel. Ids only. A
test parses what orders publishes at its limits with this model, so the two cannot drift apart.

``lines`` null cancels the whole order; otherwise the units to take off it, per SKU. The event's
``metadata.eventId`` names the request: fulfilment answers each request once (``OrderLinesCancelled``,
``OrderCancellationRefused``, or checkout's ``OrderCancelled`` when the whole order goes).

``OrderReviewDecided``: an agent approved or rejected an order held for fraud review (the orders context
checked that it was waiting); fulfilment answers the workflow's review token with it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SOURCE = "shop.orders"
SCHEMA_VERSION = "1.0"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RequestedLine(_Model):
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=10_000)


class Requester(_Model):
    kind: Literal["customer", "agent"]
    id: str = Field(min_length=1, max_length=128, description="Cognito sub of the buyer or the agent")


class OrderCancellationRequested(_Model):
    order_id: str
    lines: list[RequestedLine] | None = Field(
        default=None, max_length=100, description="The units to cancel; null: the whole order"
    )
    requested_by: Requester
    reason: str = Field(max_length=500, description="Why, as the buyer or agent gave it")


class OrderReviewDecided(_Model):
    order_id: str
    decision: Literal["approve", "reject"]
    agent_id: str = Field(min_length=1, max_length=128, description="Cognito sub of the deciding agent")
    note: str = Field(max_length=500, description="Why, as the agent wrote it")
    decided_at: str


EVENT_MODELS: dict[str, type[BaseModel]] = {
    "OrderCancellationRequested": OrderCancellationRequested,
    "OrderReviewDecided": OrderReviewDecided,
}
