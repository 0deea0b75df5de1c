"""``OrderConfirmed`` and ``OrderDelivered`` (source ``shop.orders``) as loyalty reads them;
``orders.domain.events`` publishes them.

Minimal: the order, its customer (Cognito sub; None for a guest) and when it was confirmed (review passed
or not needed: a sold gift certificate is issued) or delivered (points are earned). Ids only.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

SOURCE = "shop.orders"
SCHEMA_VERSION = "1.0"


class OrderConfirmed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: str
    customer_id: str | None = Field(default=None, description="Cognito sub; None for a guest")
    confirmed_at: str = Field(description="UTC ISO-8601")


class OrderDelivered(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: str
    customer_id: str | None = Field(default=None, description="Cognito sub; None for a guest")
    delivered_at: str = Field(description="UTC ISO-8601")


EVENT_MODELS: dict[str, type[BaseModel]] = {
    "OrderConfirmed": OrderConfirmed,
    "OrderDelivered": OrderDelivered,
}
