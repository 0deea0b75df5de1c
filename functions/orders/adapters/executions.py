"""The fulfilment workflow's execution of an order, as staff see it beside the order.

The execution is named after the order (``checkout.adapters.workflows``), so its ARN follows from the
state machine's. In the cloud staff follow the Step Functions console link (the execution's history
holds the shipping address, behind the console's own IAM); locally there is no console, so the answer
carries the execution's status and its history (``DescribeExecution``, ``GetExecutionHistory``: state
entered and exited, task failures) without the states' data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from shop_kernel.settings import LOCAL_STAGE

CONSOLE = "https://{region}.console.aws.amazon.com/states/home?region={region}#/v2/executions/details/{arn}"
MAX_EVENTS = 200


def execution_arn(state_machine_arn: str, order_id: str) -> str:
    """``arn:aws:states:<region>:<account>:stateMachine:<name>`` -> ``...:execution:<name>:<order id>``."""
    return state_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{order_id}"


def _event(raw: dict[str, Any]) -> dict[str, Any]:
    """One history event without its input or output (they hold the order's address)."""
    kind = raw["type"]
    details = next((v for k, v in raw.items() if k.endswith("EventDetails") and isinstance(v, dict)), {})
    event = {
        "id": raw["id"],
        "type": kind,
        "at": raw["timestamp"].isoformat()
        if hasattr(raw["timestamp"], "isoformat")
        else str(raw["timestamp"]),
    }
    if "name" in details:
        event["state"] = details["name"]
    if "error" in details:
        event["error"] = details["error"]
    return event


class FulfilmentExecutions:
    def __init__(
        self, client: Callable[[], Any], state_machine_arn: str | None, region: str, stage: str
    ) -> None:
        self._client = client
        self._arn = state_machine_arn
        self._region = region
        self._stage = stage

    def of(self, order_id: str) -> dict[str, Any] | None:
        """The order's execution (None: this function is not given the workflow, or none was started)."""
        if not self._arn:
            return None
        arn = execution_arn(self._arn, order_id)
        body: dict[str, Any] = {
            "execution_arn": arn,
            "console_url": CONSOLE.format(region=self._region, arn=arn),
        }
        if self._stage != LOCAL_STAGE:
            return body
        try:
            described = self._client().describe_execution(executionArn=arn)
            history = self._client().get_execution_history(executionArn=arn, maxResults=MAX_EVENTS)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ExecutionDoesNotExist":
                return {**body, "status": "NOT_STARTED", "history": []}
            raise
        return {**body, "status": described["status"], "history": [_event(e) for e in history["events"]]}
