"""The fulfilment workflow's own tasks (``lambda:invoke`` from ``order-fulfilment``).

``{"action": "allocate", "order_id", "currency", "lines": [{sku, quantity, total?}], "allocations":
[{line, sku, location_id, quantity, transfer_to?}], "fulfilment": {mode, location_id?}, "destination":
{kind: address, address} | {kind: branch, ...} | null}``
    -> ``{"shipments": [shipment], "count": n}``, each shipment ``{shipment_id, order_id, kind,
    location_id, transfer_to, lines: [{sku, quantity}], carrier, origin, destination, parcel,
    dispatch_by}``. Planned and stored once per order: a retry answers the same shipments.

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


class AllocateTask(_Task):
    action: Literal["allocate"]
    order_id: str
    currency: str
    lines: list[OrderLine] = Field(min_length=1)
    allocations: list[Allocated] = Field(min_length=1)
    fulfilment: FulfilmentMode
    destination: dict[str, Any] | None = None


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
        shipments = fulfilment.allocate(
            task.order_id, task.lines, task.allocations, task.fulfilment, task.destination, task.currency
        )
        return {"shipments": [s.task_view() for s in shipments], "count": len(shipments)}
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
