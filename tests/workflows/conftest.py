"""Workflows executed by moto's in-process ASL interpreter, provisioned from the specs as the local stack does.

``local_workflows`` is stage ``test`` in moto with Step Functions execution on (``tests.stage``: provisioned
once per worker); so is ``moto_stage`` here, which the checkout fixtures the fulfilment tests use run on;
``run_execution`` starts one execution, waits for it to finish and reports its status, output and the
names of the states it entered, in order. ``ALL_KINDS_SPEC`` (``samples/all_kinds.asl.json``) references
a table, the bus and a function, for the tests of substitutions on both sides.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from infra.resources import StateMachineSpec

# The end-to-end fulfilment tests place real orders: checkout's fixtures, and the world around the workflow.
from tests.integration.checkout.conftest import (  # noqa: F401 - fixtures, used by name
    cart,
    checkout,
    checkout_stack,
    shop,
    standin,
    webhook,
)
from tests.workflows.fulfilment_world import carrier_standin, executing_workflows  # noqa: F401

REGION = "eu-west-1"
STAGE = "test"
# A deadline, not a pace: waiting ends as soon as the execution does. It bounds only a failing test, so it is
# long enough for a loaded machine (8 workers on 2 cores) and well inside pytest's 300 s timeout.
EXECUTION_TIMEOUT_S = 120.0
SAMPLES = Path(__file__).parent / "samples"
ALL_KINDS_SPEC = StateMachineSpec(
    name="all-kinds",
    definition="all_kinds.asl.json",
    description="Uses a table, the bus and a function",
    substitutions=(
        ("InventoryTable", "table:inventory"),
        ("EventBus", "bus"),
        ("PricingFunction", "function:checkout-api"),
    ),
)


@dataclass(frozen=True)
class Execution:
    status: str
    output: dict[str, Any] | None
    visited: list[str]  # state names in the order they were entered


@pytest.fixture
def moto_stage(executing_moto_stage: SimpleNamespace) -> SimpleNamespace:
    """Every fixture here (checkout's too) runs on the stage whose executions moto's interpreter runs."""
    return executing_moto_stage


@pytest.fixture
def local_workflows(executing_moto_stage: SimpleNamespace) -> SimpleNamespace:
    """``arns[spec name]`` and a Step Functions client, every resource of the stage in moto (provisioned
    once per worker, clean for each test)."""
    import boto3

    workflows = executing_moto_stage.provisioned["workflows"]
    return SimpleNamespace(
        stage=STAGE,
        arns={name: workflow["arn"] for name, workflow in workflows.items()},
        stepfunctions=boto3.client("stepfunctions", region_name=REGION),
    )


def wait_for_end(stepfunctions: Any, execution_arn: str) -> dict[str, Any]:
    deadline = time.monotonic() + EXECUTION_TIMEOUT_S
    while True:
        described: dict[str, Any] = stepfunctions.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            return described
        if time.monotonic() > deadline:
            raise AssertionError(f"{execution_arn} still running after {EXECUTION_TIMEOUT_S} s")
        time.sleep(0.05)


def visited_states(stepfunctions: Any, execution_arn: str) -> list[str]:
    events = stepfunctions.get_execution_history(executionArn=execution_arn)["events"]
    return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]


@pytest.fixture
def task_functions(local_workflows: SimpleNamespace, functions: Any) -> Iterator[Any]:
    """Routes the interpreter's ``lambda:invoke`` tasks to the handlers, each run as its function
    (``infra.local.lambda_tasks``); the invoker records the calls."""
    from infra.local.lambda_tasks import HarnessInvoker, routed_to

    invoker = HarnessInvoker(functions)
    with routed_to(invoker):
        yield invoker


@pytest.fixture
def world(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A placed-order world whose workflow tasks run as their functions (``FulfilmentWorld``); a module
    that needs more set up first (electronic lines: the catalog facts) defines its own. Its fixtures are
    asked for by name, in the order the tests' own copies listed them (this module imports them too)."""
    from infra.local.lambda_tasks import HarnessInvoker, routed_to
    from tests.workflows.fulfilment_world import FulfilmentWorld

    names = (
        "executing_workflows",
        "carrier_standin",
        "shop",
        "functions",
        "lambda_context",
        "cart",
        "checkout",
        "webhook",
    )
    fixtures = {name: request.getfixturevalue(name) for name in names}
    functions = fixtures["functions"]
    invoker = HarnessInvoker(functions)
    with routed_to(invoker):
        yield FulfilmentWorld(
            fixtures["shop"],
            functions,
            fixtures["lambda_context"],
            invoker,
            fixtures["cart"],
            fixtures["checkout"],
            fixtures["webhook"],
        )


@pytest.fixture
def run_execution(local_workflows: SimpleNamespace) -> Callable[[str, dict[str, Any]], Execution]:
    """Start workflow ``name`` with ``execution_input`` and return how it ended."""

    def run(name: str, execution_input: dict[str, Any]) -> Execution:
        stepfunctions = local_workflows.stepfunctions
        execution_arn = stepfunctions.start_execution(
            stateMachineArn=local_workflows.arns[name], input=json.dumps(execution_input)
        )["executionArn"]
        described = wait_for_end(stepfunctions, execution_arn)
        output = json.loads(described["output"]) if described.get("output") else None
        return Execution(described["status"], output, visited_states(stepfunctions, execution_arn))

    return run
