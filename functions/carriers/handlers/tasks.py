"""The fulfilment workflow's carrier tasks (``lambda:invoke`` from ``order-fulfilment``).

Input is the task's payload, one of three actions; output is the task's result (JSON):

``{"action": "quote", "parcel": Parcel, "origin": Address, "destination": Destination, "carriers": [id]?}``
    -> ``{"rates": [{"carrier", "service", "price": {"amount", "currency"}, "estimated_delivery"}]}``,
    cheapest first (every configured carrier when ``carriers`` is left out).

``{"action": "book", "shipment_id", "order_id", "carrier", "origin": Address, "destination":
Destination, "parcel": Parcel, "service"?, "description"?}``
    -> ``{"shipment_id", "order_id", "carrier", "status": "booked", "tracking_number",
    "carrier_reference", "label_key", "label_format", "price"?}``. Idempotent on ``shipment_id``: a
    retry (the workflow's ``Retry``, a redriven execution) answers the same booking, never a second label.
    The same shipment id with another order or carrier fails ``Conflict``.

``{"action": "cancel", "shipment_id"}`` -> ``{"shipment_id", "order_id", "carrier", "status":
"cancelled", ...}``. Idempotent; once the carrier has the parcel it fails ``ShipmentNotCancellable``.

Where ``Parcel`` is ``{"weight_g", "length_cm", "width_cm", "height_cm", "declared_value": Money}``,
``Address`` the kernel's address, ``Destination`` ``{"kind": "address", "address": Address}`` or
``{"kind": "branch", "branch_id", "city", "country", "recipient_name", "recipient_phone"}``.

Errors (the Lambda ``errorType`` a ``Retry``/``Catch`` matches): ``CarrierUnavailable`` (transient:
retry with backoff), ``CarrierRejected`` (the carrier refused the parcel or address: do not retry),
``InvalidCarrierTask`` (the input does not match the above), ``NotFound`` (no such shipment),
``Conflict``, ``ShipmentNotCancellable``.

Tracking after the booking arrives as ``ShipmentStatusChanged`` events (webhooks or the poller), which
the orders context turns into the answer to the workflow's waiting task token.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from carriers import wiring
from carriers.domain.models import CarrierId, Destination, Parcel, ShipmentRequest
from carriers.domain.shipment import Shipment
from shop_kernel.address import Address
from shop_kernel.errors import ValidationFailed
from shop_kernel.observability import get_tracer, logger, metrics

tracer = get_tracer()
ShipmentId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class InvalidCarrierTask(ValidationFailed):
    """The workflow sent an input this task does not accept (a bug in the definition, never retried)."""


class _Task(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QuoteTask(_Task):
    action: Literal["quote"]
    parcel: Parcel
    origin: Address
    destination: Destination
    carriers: list[CarrierId] = Field(default_factory=list)


class BookTask(_Task):
    action: Literal["book"]
    shipment_id: ShipmentId
    order_id: ShipmentId
    carrier: CarrierId
    origin: Address
    destination: Destination
    parcel: Parcel
    service: str | None = None
    description: str = "Goods"


class CancelTask(_Task):
    action: Literal["cancel"]
    shipment_id: ShipmentId


Task = Annotated[QuoteTask | BookTask | CancelTask, Field(discriminator="action")]
_TASK: TypeAdapter[Task] = TypeAdapter(Task)


def shipment_answer(shipment: Shipment) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "shipment_id": shipment.shipment_id,
        "order_id": shipment.order_id,
        "carrier": shipment.carrier,
        "status": shipment.status.value,
        "tracking_number": shipment.tracking_number,
        "carrier_reference": shipment.carrier_reference,
        "label_key": shipment.label_key,
        "label_format": shipment.label_format,
    }
    if shipment.price is not None:
        answer["price"] = shipment.price.to_item()
    return answer


def run(task: Task) -> dict[str, Any]:
    shipping = wiring.container.shipping()
    if isinstance(task, QuoteTask):
        rates = shipping.quote(task.parcel, task.origin, task.destination, task.carriers)
        return {"rates": [rate.model_dump(mode="json") for rate in rates]}
    if isinstance(task, BookTask):
        request = ShipmentRequest(
            shipment_id=task.shipment_id,
            order_id=task.order_id,
            origin=task.origin,
            destination=task.destination,
            parcel=task.parcel,
            service=task.service,
            description=task.description,
        )
        return shipment_answer(shipping.book(task.carrier, request))
    return shipment_answer(shipping.cancel(task.shipment_id))


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        task = _TASK.validate_python(event)
    except ValidationError as exc:
        fields = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
        raise InvalidCarrierTask(f"not a carrier task: {fields}") from None
    answer = run(task)
    logger.info("carrier task", extra={"action": task.action, "shipment_id": answer.get("shipment_id")})
    metrics.add_metric(name=f"CarrierTask{task.action.title()}", unit="Count", value=1)
    return answer
