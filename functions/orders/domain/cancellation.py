"""A customer's or an agent's request to cancel an order, or some of its lines, before dispatch.

The orders context does not cancel anything itself: fulfilment stops the work, releases the stock,
voids or captures less, restores codes and certificates, and answers (``OrderCancelled``,
``OrderLinesCancelled``, ``OrderCancellationRefused``). An order still waiting for payment (a 3-D Secure
or redirect payment not completed) is checkout's: the same request makes checkout cancel it at once (its
PaymentIntent, stock, codes, certificates and points, as its sweeper would at the payment deadline) and
publish ``OrderCancelled``; such an order is cancelled whole only (nothing is charged per line before
payment). Here a request is checked against what the order is now: refused (409) once any of it was
dispatched, when it is cancelled already, or for some lines of an unpaid order; a line that is not on
the order, or more units than are left of it, is a 422 naming the line. An accepted request is one
timeline entry (who, why) and one ``OrderCancellationRequested``, with the same id.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from orders.domain.events import OrderCancellationRequested, RequestedBy, RequestedLine
from orders.domain.models import Order, ShippedLine
from orders.domain.timeline import DISPATCHED_OR_LATER, Actor, Stage, TimelineEntry
from shop_kernel.errors import Conflict, ValidationFailed


class LineToCancel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=10_000)


class CancellationBody(BaseModel):
    """Which lines to cancel (leave ``lines`` out for the whole order) and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lines: list[LineToCancel] | None = Field(default=None, min_length=1, max_length=100)
    reason: str = Field(min_length=1, max_length=500, examples=["ordered the wrong colour"])


@dataclass(frozen=True)
class Accepted:
    entry: TimelineEntry
    event: OrderCancellationRequested


def cancelled_lines(entries: Iterable[TimelineEntry]) -> list[ShippedLine]:
    """The units fulfilment cancelled so far (``OrderLinesCancelled``), per SKU."""
    counted: Counter[str] = Counter()
    for entry in entries:
        if entry.what == "OrderLinesCancelled":
            for line in entry.lines or ():
                counted[line.sku] += line.quantity
    return [ShippedLine(sku=sku, quantity=quantity) for sku, quantity in counted.items()]


def _refuse_by_stage(stage: Stage, whole: bool) -> None:
    if stage in DISPATCHED_OR_LATER:
        raise Conflict("the order was dispatched: return it instead", code="already_dispatched")
    if stage is Stage.CANCELLED:
        raise Conflict("the order is cancelled already", code="already_cancelled")
    if stage is Stage.PENDING_PAYMENT and not whole:
        raise Conflict(
            "the order is not paid yet: it can be cancelled whole only (leave lines out)", code="not_paid"
        )


def _check_lines(order: Order, lines: Sequence[LineToCancel], cancelled: Sequence[ShippedLine]) -> None:
    left: Counter[str] = Counter()
    for bought in order.lines:
        left[bought.sku] += bought.quantity
    for gone in cancelled:
        left[gone.sku] -= gone.quantity
    asked: Counter[str] = Counter()
    for index, line in enumerate(lines):
        asked[line.sku] += line.quantity
        if left[line.sku] <= 0:
            raise ValidationFailed.on(
                f"body.lines.{index}.sku",
                f"{line.sku} is not on this order (or none of it is left)",
                "not_on_order",
            )
        if asked[line.sku] > left[line.sku]:
            message = f"only {left[line.sku]} of {line.sku} can still be cancelled"
            raise ValidationFailed.on(f"body.lines.{index}.quantity", message, "too_many")


def request_cancellation(
    order: Order,
    stage: Stage,
    entries: Sequence[TimelineEntry],
    body: CancellationBody,
    requester: Actor,
    request_id: str,
    at: str,
) -> Accepted:
    _refuse_by_stage(stage, whole=body.lines is None)
    if body.lines is not None:
        _check_lines(order, body.lines, cancelled_lines(entries))
    lines = (
        None
        if body.lines is None
        else [RequestedLine(sku=line.sku, quantity=line.quantity) for line in body.lines]
    )
    assert requester.kind in ("customer", "agent")
    event = OrderCancellationRequested(
        order_id=order.id,
        lines=lines,
        requested_by=RequestedBy(kind=requester.kind, id=requester.id),  # type: ignore[arg-type]
        reason=body.reason,
    )
    entry = TimelineEntry(
        at=at,
        event_id=request_id,
        what="OrderCancellationRequested",
        actor=requester,
        reason=body.reason,
        lines=None
        if lines is None
        else tuple(ShippedLine(sku=line.sku, quantity=line.quantity) for line in lines),
    )
    return Accepted(entry, event)
