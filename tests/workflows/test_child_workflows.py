"""A Task that runs another workflow (``states:startExecution.sync:2``) works in moto's interpreter
(``infra.local.child_workflows``): an Express child's answer reaches the parent's state, the child's failure
fails that one Task into its Catch, and the parent's history counts the child as one state."""

from __future__ import annotations

import json
import subprocess
import sys
from types import SimpleNamespace
from typing import Any

import pytest

from infra.local import child_workflows
from tests.workflows.conftest import visited_states, wait_for_end

ROLE = "arn:aws:iam::123456789012:role/shop-test-workflows"


def _child(fail: bool) -> dict[str, Any]:
    last: dict[str, Any] = (
        {"Type": "Fail", "Error": "PaymentsUnavailable", "Cause": "the capture failed"}
        if fail
        else {"Type": "Pass", "Result": {"captured": 4200}, "ResultPath": "$.capture", "End": True}
    )
    return {
        "StartAt": "Book carrier",
        "States": {
            "Book carrier": {
                "Type": "Pass",
                "Result": {"tracking_number": "TRK-1"},
                "ResultPath": "$.booking",
                "Next": "Capture shipped lines",
            },
            "Capture shipped lines": last,
        },
    }


def _parent(child_arn: str) -> dict[str, Any]:
    return {
        "StartAt": "Book carrier and capture shipped lines",
        "States": {
            "Book carrier and capture shipped lines": {
                "Type": "Task",
                "Resource": "arn:aws:states:::states:startExecution.sync:2",
                "Parameters": {"StateMachineArn": child_arn, "Input": {"shipment_id.$": "$.shipment_id"}},
                "ResultSelector": {"booking.$": "$.Output.booking", "capture.$": "$.Output.capture"},
                "ResultPath": "$.dispatch",
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "Compensate"}],
                "End": True,
            },
            "Compensate": {"Type": "Pass", "End": True},
        },
    }


@pytest.fixture
def sfn(local_workflows: SimpleNamespace) -> Any:
    # The executing stage has installed infra.local.child_workflows, as the local stack's moto process does.
    assert child_workflows.installed()
    return local_workflows.stepfunctions


def _run_parent(sfn: Any, *, child_fails: bool) -> tuple[dict[str, Any], list[str]]:
    name = "fails" if child_fails else "succeeds"
    child = sfn.create_state_machine(
        name=f"shop-test-child-{name}",
        definition=json.dumps(_child(child_fails)),
        roleArn=ROLE,
        type="EXPRESS",
    )["stateMachineArn"]
    parent = sfn.create_state_machine(
        name=f"shop-test-parent-{name}", definition=json.dumps(_parent(child)), roleArn=ROLE
    )["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=parent, input=json.dumps({"shipment_id": "shp_1"}))[
        "executionArn"
    ]
    return wait_for_end(sfn, arn), visited_states(sfn, arn)


def test_an_express_child_answers_its_parents_task_with_its_output(sfn: Any) -> None:
    # GIVEN a parent whose one Task runs an Express child of two states
    # WHEN the parent runs
    described, visited = _run_parent(sfn, child_fails=False)
    # THEN the child's output is the Task's result, and the parent entered that one state only
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"])["dispatch"] == {
        "booking": {"tracking_number": "TRK-1"},
        "capture": {"captured": 4200},
    }
    assert visited == ["Book carrier and capture shipped lines"]


def test_a_failing_child_fails_its_parents_task_into_the_catch(sfn: Any) -> None:
    # GIVEN a parent whose child fails in its second state
    # WHEN the parent runs
    described, visited = _run_parent(sfn, child_fails=True)
    # THEN the parent's Task fails as States.TaskFailed (as in the cloud) and its Catch runs the compensation
    assert described["status"] == "SUCCEEDED", described
    assert visited == ["Book carrier and capture shipped lines", "Compensate"]
    assert json.loads(described["output"])["failure"]["Error"] == "States.TaskFailed"


def test_the_interpreter_is_imported_without_batch_and_ec2_yet_a_batch_backend_is_still_there() -> None:
    """In a new interpreter, as the moto process starts: installing the patches imports the interpreter, not
    moto's Batch or EC2 models; asking moto for the Batch backend then runs the package and answers."""
    script = (
        "import sys\n"
        "from infra.local import child_workflows\n"
        "child_workflows.install()\n"
        "import moto.stepfunctions.parser.models\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(('moto.ec2', 'moto.batch.models')))\n"
        "from moto.backends import get_backend\n"
        "jobs = get_backend('batch')['123456789012']['eu-west-1'].list_jobs(job_queue_name=None, array_job_id=None)\n"
        "from moto.batch import models\n"
        "print(json.dumps({'loaded_before': loaded, 'jobs': len(jobs), 'models': models.__name__}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", "import json\n" + script],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer == {"loaded_before": [], "jobs": 0, "models": "moto.batch.models"}
