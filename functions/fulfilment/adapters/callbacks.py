"""Resuming the workflow's waiting tasks: ``SendTaskSuccess`` / ``SendTaskFailure`` with a stored token.

A token already answered, timed out, or of an execution that has ended is spent: Step Functions answers
``TaskTimedOut``, ``InvalidToken`` or ``TaskDoesNotExist``. That is what a repeated callback finds, so it
is reported (False), not raised.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from shop_kernel.observability import logger

SPENT = {"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"}


class StepFunctionsCallbacks:
    def __init__(self, client: Any) -> None:
        self._client = client

    def succeed(self, token: str, output: dict[str, Any]) -> bool:
        return self._send(lambda: self._client.send_task_success(taskToken=token, output=json.dumps(output)))

    def fail(self, token: str, error: str, cause: str) -> bool:
        return self._send(lambda: self._client.send_task_failure(taskToken=token, error=error, cause=cause))

    @staticmethod
    def _send(call: Any) -> bool:
        try:
            call()
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in SPENT:
                logger.info("workflow task already answered", extra={"code": code})
                return False
            raise
        return True
