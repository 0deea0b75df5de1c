"""Starting the fulfilment workflow for a placed order, exactly once per order.

The execution is named after the order: Step Functions refuses a second Standard execution of the same
name, so a replayed stream record cannot start the workflow twice (``ExecutionAlreadyExists`` means it
runs already, and is success here).
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError


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
