"""``lambda:invoke`` tasks in moto's interpreter run the handler of the function the ARN names
(``infra.local.lambda_tasks``), as that function: its environment, its grants, its errors by name."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from infra.local import provision as provision_module
from infra.local.lambda_tasks import (
    FunctionFailed,
    HarnessInvoker,
    LambdaEndpoint,
    UnknownFunction,
    function_name,
    spec_name,
)
from infra.resources import StateMachineSpec
from tests.workflows.conftest import SAMPLES, STAGE, visited_states, wait_for_end

SPEC = StateMachineSpec(
    name="lambda-tasks",
    definition="lambda_tasks.asl.json",
    description="Both ways of invoking a function from a Task",
    substitutions=(("SweeperFunction", "function:inventory-sweeper"),),
)
SCHEDULE = json.loads(
    (Path(__file__).parents[1] / "events" / "inventory" / "scheduled_event.json").read_text()
)


@pytest.fixture
def sample(local_workflows: SimpleNamespace, task_functions: HarnessInvoker) -> SimpleNamespace:
    definition = provision_module.workflow_definition(STAGE, SPEC, SAMPLES)
    arn = local_workflows.stepfunctions.create_state_machine(
        name="shop-test-lambda-tasks",
        definition=definition,
        roleArn="arn:aws:iam::123456789012:role/shop-test-workflows",
    )["stateMachineArn"]
    return SimpleNamespace(arn=arn, sfn=local_workflows.stepfunctions, invoker=task_functions)


def _run(sample: SimpleNamespace) -> tuple[dict[str, Any], list[str]]:
    arn = sample.sfn.start_execution(stateMachineArn=sample.arn, input=json.dumps({"schedule": SCHEDULE}))[
        "executionArn"
    ]
    described = wait_for_end(sample.sfn, arn)
    return described, visited_states(sample.sfn, arn)


def test_both_kinds_of_lambda_task_run_the_functions_handler(sample: SimpleNamespace) -> None:
    # GIVEN a workflow invoking the inventory sweeper through lambda:invoke and through its ARN
    # WHEN it runs
    described, visited = _run(sample)
    # THEN both tasks ran the sweeper's handler with the state's payload, as the sweeper function
    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])
    assert output["integration"] == {"expired": 0}
    assert output["direct"] == {"expired": 0}
    assert visited == ["Sweep expired holds", "Sweep through the function ARN"]
    assert [name for name, _ in sample.invoker.calls] == ["inventory-sweeper", "inventory-sweeper"]
    assert sample.invoker.calls[0][1] == SCHEDULE


def test_a_handler_error_fails_the_state_with_its_error_name_for_catch(
    sample: SimpleNamespace, functions: Any
) -> None:
    # GIVEN the sweeper pointed at a table its role does not grant (the guard refuses, as IAM would)
    functions.override("inventory-sweeper", INVENTORY_TABLE_NAME="shop-test-orders")
    # WHEN the workflow runs
    described, visited = _run(sample)
    # THEN the task failed with Lambda's errorType, and the Catch on that name took it
    assert described["status"] == "SUCCEEDED", described
    refused = json.loads(described["output"])["refused"]
    assert refused["Error"] == "ClientError"
    assert "shop-test-orders" in json.loads(refused["Cause"])["errorMessage"]
    assert visited == ["Sweep expired holds", "Note refusal"]


def test_an_unknown_function_fails_the_state_as_lambdas_not_found(
    local_workflows: SimpleNamespace, task_functions: HarnessInvoker
) -> None:
    # GIVEN a task naming a function the stage does not have
    definition = {
        "Comment": "unknown function",
        "StartAt": "Call nobody",
        "States": {
            "Call nobody": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {
                    "FunctionName": "arn:aws:lambda:eu-west-1:123456789012:function:shop-test-nobody"
                },
                "End": True,
            }
        },
    }
    sfn = local_workflows.stepfunctions
    arn = sfn.create_state_machine(
        name="shop-test-nobody", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/r"
    )["stateMachineArn"]
    # WHEN it runs
    execution = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    described = wait_for_end(sfn, execution)
    # THEN it fails with Lambda's not-found error
    assert described["status"] == "FAILED"
    assert described["error"] == "Lambda.ResourceNotFoundException"


@pytest.mark.parametrize(
    ("reference", "name"),
    [
        ("shop-test-carrier-tasks", "shop-test-carrier-tasks"),
        ("arn:aws:lambda:eu-west-1:123456789012:function:shop-test-cart-api", "shop-test-cart-api"),
        ("arn:aws:lambda:eu-west-1:123456789012:function:shop-test-cart-api:live", "shop-test-cart-api"),
        ("123456789012:function:shop-test-cart-api", "shop-test-cart-api"),
    ],
)
def test_every_form_of_function_name_resolves(reference: str, name: str) -> None:
    # GIVEN / WHEN / THEN a name, a partial ARN, an ARN with or without a qualifier
    assert function_name(reference) == name


def test_a_name_of_another_stage_is_no_function_of_this_one() -> None:
    # GIVEN / WHEN / THEN
    assert spec_name("test", "shop-test-cart-api") == "cart-api"
    with pytest.raises(UnknownFunction):
        spec_name("test", "shop-local-cart-api")


def test_the_runners_endpoint_answers_as_lambdas_invoke_api() -> None:
    # GIVEN the runner's endpoint in front of one function that echoes and one that raises
    def invoke(name: str, payload: Any) -> Any:
        if name == "cart-api":
            return {"echo": payload}
        raise FunctionFailed("CarrierUnavailable", "try later")

    endpoint = LambdaEndpoint("test", invoke)
    endpoint.start()
    try:
        from infra.local.lambda_tasks import HttpInvoker

        http = HttpInvoker(endpoint.url)
        # WHEN moto's process invokes through it
        answered = http("arn:aws:lambda:eu-west-1:123456789012:function:shop-test-cart-api", {"a": 1})
        with pytest.raises(FunctionFailed) as failed:
            http("shop-test-catalog-api", {})
        with pytest.raises(UnknownFunction):
            http("shop-test-nobody", {})
    finally:
        endpoint.stop()
    # THEN answers come back, errors keep their type, unknown names are Lambda's 404
    assert answered == {"echo": {"a": 1}}
    assert (failed.value.error_type, failed.value.message) == ("CarrierUnavailable", "try later")
