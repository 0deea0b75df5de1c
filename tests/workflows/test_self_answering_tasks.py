"""A ``lambda:invoke.waitForTaskToken`` Task whose function answers its own token before it returns works in
moto's interpreter as routed here (``infra.local.lambda_tasks``: in the tests' process, and over HTTP as the
local stack routes): ``SendTaskSuccess`` during the invocation
is the Task's result, ``SendTaskFailure`` fails it into its Catch by error name. The fulfilment workflow's
**Allocate shipments** routes a held order or one with electronic lines this way (one Standard transition
instead of a Choice)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest

from infra.local.lambda_tasks import HttpInvoker, LambdaEndpoint, routed_to
from tests.workflows.conftest import visited_states, wait_for_end

ROLE = "arn:aws:iam::123456789012:role/shop-test-workflows"
FUNCTION = "arn:aws:lambda:eu-west-1:123456789012:function:shop-test-fulfilment-tasks"


def _definition() -> dict[str, Any]:
    return {
        "StartAt": "Allocate shipments",
        "States": {
            "Allocate shipments": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {
                    "FunctionName": FUNCTION,
                    "Payload": {"answer.$": "$.answer", "task_token.$": "$$.Task.Token"},
                },
                "TimeoutSeconds": 30,
                "ResultPath": "$.allocation",
                "Catch": [
                    {
                        "ErrorEquals": ["OrderHeldForReview"],
                        "ResultPath": "$.held",
                        "Next": "Wait for fraud review",
                    }
                ],
                "End": True,
            },
            "Wait for fraud review": {"Type": "Pass", "End": True},
        },
    }


class SelfAnswering:
    """A function that answers the token it was invoked with, through Step Functions' API, then returns."""

    def __init__(self, sfn: Any) -> None:
        self.sfn = sfn
        self.calls = 0

    def __call__(self, reference: str, payload: Any) -> Any:
        self.calls += 1
        token = payload["task_token"]
        if payload["answer"] == "succeed":
            self.sfn.send_task_success(taskToken=token, output=json.dumps({"count": 1}))
        else:
            self.sfn.send_task_failure(taskToken=token, error="OrderHeldForReview", cause="flagged")
        return {}


@pytest.fixture
def machine(local_workflows: SimpleNamespace) -> SimpleNamespace:
    sfn = local_workflows.stepfunctions
    arn = sfn.create_state_machine(
        name="shop-test-self-answering", definition=json.dumps(_definition()), roleArn=ROLE
    )["stateMachineArn"]
    return SimpleNamespace(sfn=sfn, arn=arn)


@contextmanager
def _routed(function: SelfAnswering, route: str) -> Iterator[None]:
    """The tests' route (the handler called in the interpreter's thread), or the local stack's (Lambda's
    Invoke over HTTP to the runner's endpoint, which runs the handler on its own thread while the
    interpreter's thread waits for the answer)."""
    if route == "in process":
        with routed_to(function):
            yield
        return
    endpoint = LambdaEndpoint("test", lambda name, payload: function(name, payload))
    endpoint.start()
    try:
        with routed_to(HttpInvoker(endpoint.url)):
            yield
    finally:
        endpoint.stop()


def _run(machine: SimpleNamespace, answer: str, route: str) -> tuple[dict[str, Any], list[str], int]:
    function = SelfAnswering(machine.sfn)
    with _routed(function, route):
        execution = machine.sfn.start_execution(
            stateMachineArn=machine.arn, input=json.dumps({"answer": answer})
        )["executionArn"]
        described = wait_for_end(machine.sfn, execution)
    return described, visited_states(machine.sfn, execution), function.calls


ROUTES = pytest.mark.parametrize("route", ["in process", "over http"])


@ROUTES
def test_a_token_answered_with_success_during_the_invocation_is_the_tasks_result(
    machine: SimpleNamespace, route: str
) -> None:
    # GIVEN a waitForTaskToken Task whose function sends SendTaskSuccess with its own token
    # WHEN it runs
    described, visited, calls = _run(machine, "succeed", route)
    # THEN the Task completed with that output, once, without waiting for its timeout
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"])["allocation"] == {"count": 1}
    assert visited == ["Allocate shipments"]
    assert calls == 1


@ROUTES
def test_a_token_answered_with_failure_during_the_invocation_takes_the_catch(
    machine: SimpleNamespace, route: str
) -> None:
    # GIVEN the function sends SendTaskFailure with its own token and returns normally (no error raised)
    # WHEN it runs
    described, visited, _ = _run(machine, "fail", route)
    # THEN the Task failed with that error name into its Catch
    assert described["status"] == "SUCCEEDED", described
    assert visited == ["Allocate shipments", "Wait for fraud review"]
    assert json.loads(described["output"])["held"]["Error"] == "OrderHeldForReview"
