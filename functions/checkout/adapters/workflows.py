"""Starting the fulfilment workflow for a placed order, exactly once per order.

The execution is named after the order: Step Functions refuses a second Standard execution of the same
name, so a replayed stream record cannot start the workflow twice (``ExecutionAlreadyExists`` means it
runs already, and is success here).
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from orders.domain.models import Order


def execution_input(order: Order, placed_at: str, review_timeout_s: int) -> dict[str, Any]:
    """What the fulfilment workflow starts with (``state_machines/README.md``): the order's lines and
    where checkout's reservation holds them, how it is fulfilled and where it goes, and the review gate's
    settings. The shipping address travels in the execution (history kept 90 days behind the workflow's
    IAM, never in its logs): the carrier booking needs it, and events must not carry it."""
    destination = (
        {"kind": "address", "address": order.shipping_address.model_dump(mode="json", exclude_none=True)}
        if order.shipping_address is not None and order.fulfilment.mode == "delivery"
        else None
    )
    return {
        "order_id": order.id,
        "review_required": order.review_required,
        "review_timeout_s": review_timeout_s,
        "placed_at": placed_at,
        "correlation_id": order.id,
        "currency": order.currency,
        "lines": [
            {
                "sku": line.sku,
                "quantity": line.quantity,
                "total": line.total.model_dump(mode="json"),
                "digital": line.digital,
            }
            for line in order.lines
        ],
        # Electronic lines (e-certificates) are charged when the order is confirmed, not per shipment.
        "digital": any(line.digital for line in order.lines),
        "allocations": [allocation.model_dump(mode="json") for allocation in order.allocations],
        "fulfilment": order.fulfilment.model_dump(mode="json"),
        "destination": destination,
    }


class FulfilmentStarter:
    def __init__(self, client: Any, state_machine_arn: str) -> None:
        self._client = client
        self._arn = state_machine_arn

    def start(self, order_id: str, payload: dict[str, Any]) -> bool:
        """True when this call started it, False when it was running (or ran) already."""
        try:
            self._client.start_execution(
                stateMachineArn=self._arn, name=order_id, input=json.dumps(payload, separators=(",", ":"))
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ExecutionAlreadyExists":
                return False
            raise
        return True
