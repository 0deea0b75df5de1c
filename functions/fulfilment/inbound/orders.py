"""``OrderCancellationRequested`` (source ``shop.orders``): the contract fulfilment consumes before the
orders context (its API: the buyer's or an agent's cancel) publishes it. Ids only.

``lines`` null cancels the whole order; otherwise the units to take off it, per SKU. The event's
``metadata.eventId`` names the request: fulfilment answers each request once (``OrderLinesCancelled``,
``OrderCancellationRefused``, or checkout's ``OrderCancelled`` when the whole order goes).
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
    reason: str = Field(max_length=200, description="Why, as the buyer or agent chose it")


EVENT_MODELS: dict[str, type[BaseModel]] = {"OrderCancellationRequested": OrderCancellationRequested}
