"""The fulfilment workflow's payment Task (function ``payment-tasks``): Step Functions invokes it with
one of four actions; ``checkout.domain.payment_tasks`` does the work, and every action may run twice.

Input (the Task's ``Payload``):

* ``{"action": "capture", "order_id": "ord_...", "shipment_id": "shp_...", "lines": [{"sku", "quantity"}],
  "location_id": "kyiv-dc"}`` - the shipment was dispatched: capture exactly its lines' share
  (``location_id`` optional: which of the hold's locations the units left from). A store pickup's
  collection adds ``"left_in_store": [{"sku", "quantity"}]``, units cancelled while it waited there:
  dropped and their stock released in the write that records the charge, never charged.
* ``{"action": "capture_electronic", "order_id"}`` - the order is confirmed: capture its electronic lines'
  share as the shipment ``electronic`` (no stock to commit).
* ``{"action": "release", "order_id", "release_id": "...", "lines": [...]}`` - these units will not ship
  (a short pick): dropped, their stock released, never charged; ``release_id`` (the pick's id) makes a
  retry drop nothing more. Without ``lines``: everything not shipped (idempotent by itself). Leaving
  nothing to ship settles the payment.
* ``{"action": "void", "order_id", "reason": "review_rejected" | "not_fulfilled" |
  "cancellation_requested" | "not_collected"}`` - nothing shipped: the authorisation is voided and the order cancelled (codes, certificates and stock given back).

Output: ``{"order_id", "status", "authorised", "captured", "voided", "outstanding": [{"sku",
"quantity"}]}`` (money as ``{"amount", "currency"}``; ``voided`` null until settled), plus for a capture
``shipment_id``, ``amount``, ``capture`` (``captured`` | ``deferred``) and ``final``; for a release
``release_id`` and ``nothing_shipped`` (true: void next).

Errors (the Lambda ``errorType`` the ASL matches): ``PaymentsUnavailable`` is transient (Stripe 5xx or
throttling, DynamoDB throttling, an order that kept changing): Retry. Permanent, Catch into compensation:
``CaptureDeclined`` (the issuer refused the capture), ``AuthorisationExpired`` (the PaymentIntent can no
longer be captured), ``OrderNotPayable`` (no such order, cancelled, or never authorised: a capture after a
cancellation), ``ShipmentRejected`` (lines the order does not hold or already shipped),
``AlreadyShipped`` (a void after part of the order shipped), ``PaymentTaskInvalid`` (input of no known
shape), ``GiveBackRefused`` (a void whose give-back the ledger refused: an ops alarm, never a race).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from checkout import wiring
from checkout.domain.payment_tasks import PaymentsUnavailable
from orders.domain.models import CancelReason, ShippedLine
from shop_kernel.errors import DependencyUnavailable
from shop_kernel.observability import logger

OrderId = Annotated[str, Field(pattern=r"^ord_[0-9A-Z]{26}$")]
TaskId = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")]
# DynamoDB answers these when it is only busy: the workflow retries as for Stripe's 5xx.
TRANSIENT_AWS = frozenset(
    {
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
    }
)


class PaymentTaskInvalid(Exception):
    """The Task's input has no known shape (a wrong ASL Parameters block): permanent."""


class _Task(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    order_id: OrderId


class Capture(_Task):
    action: Literal["capture"]
    shipment_id: TaskId
    lines: tuple[ShippedLine, ...] = Field(min_length=1, max_length=100)
    location_id: str | None = Field(default=None, max_length=64)
    # Units cancelled while a pickup waited in the store: dropped and released with this capture.
    left_in_store: tuple[ShippedLine, ...] = Field(default=(), max_length=100)


class CaptureElectronic(_Task):
    action: Literal["capture_electronic"]


class Release(_Task):
    action: Literal["release"]
    release_id: TaskId = "rest"
    # [] drops nothing (a pick with nothing short); absent: everything not shipped.
    lines: tuple[ShippedLine, ...] | None = Field(default=None, max_length=100)


class Void(_Task):
    action: Literal["void"]
    reason: Literal["review_rejected", "not_fulfilled", "cancellation_requested", "not_collected"] = (
        "not_fulfilled"
    )


AnyTask = Capture | CaptureElectronic | Release | Void
Task = TypeAdapter(Annotated[AnyTask, Field(discriminator="action")])


def run(task: AnyTask) -> dict[str, Any]:
    tasks = wiring.container.payment_tasks()
    if isinstance(task, Capture):
        return tasks.capture(
            task.order_id, task.shipment_id, task.lines, task.location_id, task.left_in_store
        )
    if isinstance(task, CaptureElectronic):
        return tasks.capture_electronic(task.order_id)
    if isinstance(task, Release):
        return tasks.release(task.order_id, task.release_id, task.lines)
    return tasks.void(task.order_id, CancelReason(task.reason))


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        task = Task.validate_python(event)
    except ValidationError as exc:
        raise PaymentTaskInvalid(exc.errors(include_url=False, include_input=False)) from None
    logger.append_keys(order_id=task.order_id, action=task.action)
    try:
        result = run(task)
    except DependencyUnavailable as exc:
        raise PaymentsUnavailable(str(exc)) from exc
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in TRANSIENT_AWS:
            raise PaymentsUnavailable("DynamoDB is busy") from exc
        raise
    logger.info("payment task done", extra={"status": result["status"], "captured": result["captured"]})
    return result
