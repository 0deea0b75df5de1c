"""The fulfilment workflow's own tasks (``lambda:invoke`` from ``order-fulfilment``).

``{"action": "allocate", "task_token", "order": <the workflow's state>}`` (``.waitForTaskToken``; the state
is the execution's input, ``state_machines/README.md``, plus what the workflow added: ``electronic``, the
charge of the electronic lines): ``{"order_id", "currency", "lines": [{sku, quantity, total?, digital?}],
"allocations": [{line, sku, location_id, quantity, transfer_to?}], "fulfilment": {mode, location_id?},
"destination": {kind: address, address} | {kind: branch, ...} | null, "review_required",
"electronic": {"captured"}?}``. The function answers its own token before it returns (one Task instead of
a Choice and a Task: ``Fulfilment.allocate_when_ready``):
    ``SendTaskSuccess`` ``{"shipments": [shipment], "count": n}``, each shipment ``{shipment_id,
    order_id, kind, location_id, transfer_to, lines: [{sku, quantity}], carrier, origin, destination,
    parcel, dispatch_by}``. Planned and stored once per order: a retry answers the same shipments.
    Electronic lines (``digital``) get no shipment (none at all for an order of only those), and an
    order with any is announced ``ElectronicLinesFulfilled`` (the workflow charged them before);
    ``SendTaskFailure`` ``OrderHeldForReview`` (flagged, no approval yet), ``ElectronicLinesToCharge``
    (electronic lines, not yet charged) or ``CancelledByRequest``: the workflow's Catch routes each.
    The invocation itself answers ``{"answered": <outcome>}`` (Step Functions reads only the token).

``{"action": "request_pick", "shipment_id", "task_token"}`` (``.waitForTaskToken``) -> ``{}``: the token
is stored and ``FulfilmentRequested`` published; the warehouse's packed report answers the token.

``{"action": "hold_for_review", "order_id", "task_token"}`` (``.waitForTaskToken``) -> ``{}``: the token
is kept for the agent's decision (``POST /admin/orders/{id}/review`` on orders-api; its
``OrderReviewDecided`` answers it through ``fulfilment-cancellations``).

``{"action": "await_delivery", "shipment_id", "task_token"}`` (``.waitForTaskToken``) -> ``{}``: the token
is kept for the carrier's last tracking update (``fulfilment.handlers.carrier_events``).

``{"action": "await_delivery", ...}`` also waits for a transfer's arrival at the pickup store (the carrier's
"delivered" of a transfer answers it; the shipment is then ``at_store``).

``{"action": "await_collection", "shipment_id", "task_token"}`` (``.waitForTaskToken``) -> ``{}``: the token
of a store pickup (or a transfer that arrived at the store), kept for the store's confirmation that the
shopper collected it (``POST /admin/fulfilment/shipments/{id}/collected``); ``ShipmentReadyForCollection``
is published (once per shipment). ``CancelledByRequest`` when the order was cancelled before the wait began.

``{"action": "cancel", "order_id"}`` (compensation) -> ``{"cancelled": [shipment id]}``; idempotent.

Errors (the Lambda ``errorType`` a ``Retry``/``Catch`` matches): ``InvalidFulfilmentTask`` (the input does
not match; never retried), ``NotFound``, ``PickNotExpected``, ``UnknownLocation``; botocore's errors are
transient (retried).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from fulfilment import wiring
from fulfilment.domain.models import Allocated, FulfilmentMode, OrderLine
from shop_kernel.errors import ValidationFailed
from shop_kernel.observability import get_tracer, logger, metrics

tracer = get_tracer()


class InvalidFulfilmentTask(ValidationFailed):
    """The workflow sent an input this task does not accept (a bug in the definition, never retried)."""


class _Task(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ElectronicCharge(_Task):
    captured: dict[str, Any] = Field(description="payment-tasks' capture_electronic answer: Money")


class OrderToAllocate(_Task):
    """The workflow's state when it reaches "Allocate shipments" (the whole of it: a field the execution
    lacks would fail a path in the Task's Parameters, so the Task passes ``$`` and this reads it)."""

    order_id: str
    currency: str
    lines: list[OrderLine] = Field(min_length=1)
    allocations: list[Allocated] = Field(description="Empty for an order of electronic lines only")
    fulfilment: FulfilmentMode
    destination: dict[str, Any] | None = None
    review_required: bool | None = Field(None, description="Only an explicit false skips the review")
    electronic: ElectronicCharge | None = Field(None, description="Set once the electronic lines are charged")


class AllocateTask(_Task):
    action: Literal["allocate"]
    task_token: str = Field(min_length=1)
    order: OrderToAllocate


class RequestPickTask(_Task):
    action: Literal["request_pick"]
    shipment_id: str
    task_token: str = Field(min_length=1)


class HoldForReviewTask(_Task):
    action: Literal["hold_for_review"]
    order_id: str
    task_token: str = Field(min_length=1)


class AwaitDeliveryTask(_Task):
    action: Literal["await_delivery"]
    shipment_id: str
    task_token: str = Field(min_length=1)


class AwaitCollectionTask(_Task):
    action: Literal["await_collection"]
    shipment_id: str
    task_token: str = Field(min_length=1)


class CancelTask(_Task):
    action: Literal["cancel"]
    order_id: str


Task = Annotated[
    AllocateTask | RequestPickTask | HoldForReviewTask | AwaitDeliveryTask | AwaitCollectionTask | CancelTask,
    Field(discriminator="action"),
]
_TASK: TypeAdapter[Task] = TypeAdapter(Task)


def run(task: Task) -> dict[str, Any]:
    fulfilment = wiring.container.fulfilment()
    if isinstance(task, AllocateTask):
        order = task.order
        outcome = fulfilment.allocate_when_ready(
            task.task_token,
            order.order_id,
            order.lines,
            order.allocations,
            order.fulfilment,
            order.destination,
            order.currency,
            review_required=order.review_required,
            electronic_charged=order.electronic is not None,
        )
        return {"answered": outcome}
    if isinstance(task, RequestPickTask):
        fulfilment.request_pick(task.shipment_id, task.task_token)
        return {}
    if isinstance(task, HoldForReviewTask):
        fulfilment.hold_for_review(task.order_id, task.task_token)
        return {}
    if isinstance(task, AwaitDeliveryTask):
        fulfilment.await_delivery(task.shipment_id, task.task_token)
        return {}
    if isinstance(task, AwaitCollectionTask):
        fulfilment.await_collection(task.shipment_id, task.task_token)
        return {}
    return {"cancelled": fulfilment.cancel(task.order_id)}


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        task = _TASK.validate_python(event)
    except ValidationError as exc:
        fields = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
        raise InvalidFulfilmentTask(f"not a fulfilment task: {fields}") from None
    answer = run(task)
    logger.info("fulfilment task", extra={"action": task.action})
    metrics.add_metric(name=f"FulfilmentTask{task.action.title().replace('_', '')}", unit="Count", value=1)
    return answer
