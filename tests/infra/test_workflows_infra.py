"""The workflows in the synthesised templates: Standard, logged and traced, least privilege both ways.

Both ways: a state machine's role may do only what its substitutions reference, and only the functions
that declare ``starts_workflows`` may start one (that one). A small stack with a definition referencing
every kind (table, bus, function) checks the substitutions and grants the current specs do not use yet.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template

from infra.constructs.function import TABLE_READ_ACTIONS, TABLE_WRITE_ACTIONS
from infra.constructs.workflows import SPEC_TAG, Workflows
from infra.resources import APP, FUNCTIONS, WORKFLOWS, physical_name, workflow_env_name
from infra.stages import cdk_json_context, load_stage
from infra.workflows import STATE_MACHINES_DIR, WorkflowDefinitionError
from tests.infra.conftest import STEP_FUNCTIONS_SERVICE_ACTIONS, Synthesized
from tests.workflows.conftest import ALL_KINDS_SPEC, SAMPLES

RETENTION = {"dev": 14, "prod": 365}


def _tag(resource: dict[str, Any], key: str) -> str | None:
    return next((t["Value"] for t in resource["Properties"].get("Tags", []) if t["Key"] == key), None)


def _state_machines(synth: Synthesized) -> dict[str, dict[str, Any]]:
    """State machines by spec name, with their logical id under ``id``."""
    found = synth.resources("services", "AWS::StepFunctions::StateMachine")
    return {_tag(r, SPEC_TAG) or "": {"id": logical_id, **r} for logical_id, r in found.items()}


def _functions(synth: Synthesized) -> dict[str, dict[str, Any]]:
    prefix = f"{APP}-{synth.stage}-"
    return {
        r["Properties"]["FunctionName"].removeprefix(prefix): r
        for r in synth.all_resources("AWS::Lambda::Function").values()
    }


def _all_resources(synth: Synthesized) -> dict[str, dict[str, Any]]:
    """Every stack's resources by logical id, cross-stack references resolved to what they point at."""
    found: dict[str, dict[str, Any]] = {}
    for template in synth.templates.values():
        found.update(synth.resolve(template["Resources"]))
    return found


def _statements(resources: dict[str, dict[str, Any]], role_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for resource in resources.values():
        if resource["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in resource["Properties"]["Roles"]:
            found += resource["Properties"]["PolicyDocument"]["Statement"]
    return found


def _actions(statement: dict[str, Any]) -> set[str]:
    value = statement["Action"]
    return {value} if isinstance(value, str) else set(value)


# --- the synthesised stages ----------------------------------------------------------------------


@pytest.mark.xdist_group("synth")
def test_every_workflow_is_a_state_machine_of_its_type_logged_and_traced(stage_synth: Synthesized) -> None:
    # GIVEN the workflow specs and the synthesised state machines
    machines = _state_machines(stage_synth)
    log_groups = stage_synth.resources("services", "AWS::Logs::LogGroup")
    # THEN each spec is one state machine with the stage's name, Standard unless marked Express, traced
    assert sorted(machines) == sorted(w.name for w in WORKFLOWS)
    for spec in WORKFLOWS:
        props = machines[spec.name]["Properties"]
        name = physical_name(stage_synth.stage, spec.name)
        assert props["StateMachineName"] == name
        assert props["StateMachineType"] == ("EXPRESS" if spec.express else "STANDARD")
        assert props["TracingConfiguration"] == {"Enabled": True}
        # AND every transition is logged, without the (personal) execution data, to its own log group
        logging = props["LoggingConfiguration"]
        assert logging["Level"] == "ALL"
        assert logging["IncludeExecutionData"] is False
        (destination,) = logging["Destinations"]
        log_group = log_groups[destination["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0]]
        assert log_group["Properties"]["LogGroupName"] == f"/aws/vendedlogs/states/{name}"
        assert log_group["Properties"]["RetentionInDays"] == RETENTION[stage_synth.stage]
        assert log_group["DeletionPolicy"] == ("Retain" if stage_synth.stage == "prod" else "Delete")


@pytest.mark.xdist_group("synth")
def test_definitions_are_the_committed_files(dev: Synthesized) -> None:
    # GIVEN the state machines and their staged definition assets
    for spec in WORKFLOWS:
        props = _state_machines(dev)[spec.name]["Properties"]
        staged = dev.outdir / f"asset.{props['DefinitionS3Location']['Key']}"
        # THEN each deploys its committed file, with exactly the spec's substitutions
        assert staged.read_text() == (STATE_MACHINES_DIR / spec.definition).read_text()
        assert set(props.get("DefinitionSubstitutions", {})) == {p for p, _ in spec.substitutions}


@pytest.mark.xdist_group("synth")
def test_state_machine_roles_are_step_functions_only_and_least_privilege(stage_synth: Synthesized) -> None:
    # GIVEN each state machine's role and policies
    resources = stage_synth.templates["services"]["Resources"]
    for spec in WORKFLOWS:
        role_id = _state_machines(stage_synth)[spec.name]["Properties"]["RoleArn"]["Fn::GetAtt"][0]
        (trust,) = resources[role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        # THEN only Step Functions of this account may assume it
        assert trust["Principal"] == {"Service": "states.amazonaws.com"}
        assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
        # AND without substitutions it may only log and trace (a reference grants what it names)
        actions = set().union(*(_actions(s) for s in _statements(resources, role_id)))
        if not spec.substitutions:
            assert actions == STEP_FUNCTIONS_SERVICE_ACTIONS, spec.name


@pytest.mark.xdist_group("synth")
def test_a_parent_may_start_its_child_workflow_and_follow_only_that_ones_executions(dev: Synthesized) -> None:
    # GIVEN the fulfilment workflow's role, whose Task runs the Express shipment-dispatch child
    resources = dev.templates["services"]["Resources"]
    machines = _state_machines(dev)
    role_id = machines["order-fulfilment"]["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    statements = [
        s for s in _statements(resources, role_id) if any(a.startswith("states:") for a in _actions(s))
    ]
    by_action = {action: json.dumps(s["Resource"]) for s in statements for action in _actions(s)}
    # THEN it may start that child alone, and describe or stop that child's executions alone
    assert by_action["states:StartExecution"] == json.dumps({"Ref": machines["shipment-dispatch"]["id"]})
    for action in ("states:DescribeExecution", "states:StopExecution"):
        assert ":execution:shop-dev-shipment-dispatch:*" in by_action[action]
    assert set(by_action) == {"states:StartExecution", "states:DescribeExecution", "states:StopExecution"}
    # AND the child is Express: a dispatch is billed per request and duration, not per transition
    assert machines["shipment-dispatch"]["Properties"]["StateMachineType"] == "EXPRESS"


ANSWER_ACTIONS = ("states:SendTaskFailure", "states:SendTaskHeartbeat", "states:SendTaskSuccess")
READ_EXECUTION_ACTIONS = {"states:DescribeExecution", "states:GetExecutionHistory"}


@pytest.mark.xdist_group("synth")
def test_only_declared_functions_may_start_a_workflow_and_only_that_one(stage_synth: Synthesized) -> None:
    # GIVEN the state machines and every function with its role's statements
    machines = {name: {"Ref": m["id"]} for name, m in _state_machines(stage_synth).items()}
    resources = _all_resources(stage_synth)
    for spec in FUNCTIONS:
        function = _functions(stage_synth)[spec.name]
        env = stage_synth.resolve(function["Properties"]["Environment"]["Variables"])
        role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
        states = [
            s for s in _statements(resources, role_id) if any(a.startswith("states:") for a in _actions(s))
        ]
        starts = [s for s in states if "states:StartExecution" in _actions(s)]
        reads = [s for s in states if set(_actions(s)) == READ_EXECUTION_ACTIONS]
        answers = [s for s in states if s not in starts and s not in reads]
        # THEN a starter (or a reader) has each workflow's ARN in its variable and may start exactly those
        assert {k: v for k, v in env.items() if k.endswith("_STATE_MACHINE_ARN")} == {
            workflow_env_name(name): machines[name] for name in spec.starts_workflows + spec.reads_workflows
        }, spec.name
        # AND a reader may describe the executions of its workflows alone (named after orders: any of them)
        assert len(reads) == len(spec.reads_workflows), spec.name
        for statement, name in zip(reads, spec.reads_workflows, strict=True):
            assert f":execution:shop-{stage_synth.stage}-{name}:*" in json.dumps(statement["Resource"]), (
                spec.name
            )
        assert sorted((json.dumps(s["Resource"]), s["Action"]) for s in starts) == sorted(
            (json.dumps(machines[name]), "states:StartExecution") for name in spec.starts_workflows
        ), spec.name
        # AND a function that answers a workflow's waiting tasks may send task results to it alone
        assert sorted((json.dumps(s["Resource"]), sorted(_actions(s))) for s in answers) == sorted(
            (json.dumps(machines[name]), sorted(ANSWER_ACTIONS)) for name in spec.answers_workflows
        ), spec.name


@pytest.mark.xdist_group("synth")
def test_checkout_events_alone_may_start_order_fulfilment(dev: Synthesized) -> None:
    # GIVEN the order fulfilment state machine and every function's role statements
    fulfilment = {"Ref": _state_machines(dev)["order-fulfilment"]["id"]}
    resources = _all_resources(dev)
    functions = _functions(dev)
    # WHEN the statements naming Step Functions actions are collected per function
    starters = {
        name: [
            s for s in _statements(resources, f["Properties"]["Role"]["Fn::GetAtt"][0]) if "states:" in str(s)
        ]
        for name, f in functions.items()
    }
    # THEN the stream consumer that turns paid orders into fulfilment gets its ARN and may start it only
    env = dev.resolve(functions["checkout-events"]["Properties"]["Environment"]["Variables"])
    assert env["ORDER_FULFILMENT_STATE_MACHINE_ARN"] == fulfilment
    assert starters.pop("checkout-events") == [
        {"Action": "states:StartExecution", "Effect": "Allow", "Resource": fulfilment}
    ]
    # AND the functions answering its waiting tasks (fulfilment-tasks: Allocate shipments answers its own
    # token) may only send task results to it, and to no other workflow
    for name in (
        "fulfilment-api",
        "fulfilment-carrier-events",
        "fulfilment-cancellations",
        "fulfilment-tasks",
    ):
        (answers,) = starters.pop(name)
        assert (sorted(_actions(answers)), answers["Resource"]) == (sorted(ANSWER_ACTIONS), fulfilment)
    # AND the staff order view may only read its executions
    (reads,) = starters.pop("orders-api")
    assert sorted(_actions(reads)) == sorted(READ_EXECUTION_ACTIONS)
    # AND no other function may touch a workflow or knows its ARN
    assert not [name for name, statements in starters.items() if statements]
    assert not [
        name
        for name, f in functions.items()
        if name not in ("checkout-events", "orders-api")
        and "ORDER_FULFILMENT_STATE_MACHINE_ARN" in f["Properties"]["Environment"]["Variables"]
    ]


@pytest.mark.xdist_group("synth")
def test_every_workflow_alarms_on_failed_executions(stage_synth: Synthesized) -> None:
    # GIVEN the alarms by name
    alarms = {
        a["Properties"]["AlarmName"]: a["Properties"]
        for a in stage_synth.resources("services", "AWS::CloudWatch::Alarm").values()
    }
    for name, machine in _state_machines(stage_synth).items():
        # THEN each workflow has one alarm on its ExecutionsFailed
        alarm = alarms[physical_name(stage_synth.stage, f"{name}-executions-failed")]
        assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/States", "ExecutionsFailed")
        assert alarm["Dimensions"] == [{"Name": "StateMachineArn", "Value": {"Ref": machine["id"]}}]


# --- every kind of substitution, in a small stack ------------------------------------------------


def _small_stack(directory: Path) -> tuple[Stack, dict[str, Any]]:
    """A stack with the inventory table, a bus, the checkout-api function and the all-kinds workflow."""
    stack = Stack(App(), "Small")
    table = dynamodb.Table(
        stack, "Inventory", partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING)
    )
    bus = events.EventBus(stack, "Bus")
    function = lambda_.Function(
        stack,
        "Pricing",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return event\n"),
    )
    Workflows(
        stack,
        "Workflows",
        stage=load_stage("dev", cdk_json_context()["stages"]),
        tables={"inventory": table},
        bus=bus,
        functions={"checkout-api": function},
        specs=(ALL_KINDS_SPEC,),
        directory=directory,
    )
    ids = {
        "table": stack.get_logical_id(table.node.default_child),  # type: ignore[arg-type]
        "bus": stack.get_logical_id(bus.node.default_child),  # type: ignore[arg-type]
        "function": stack.get_logical_id(function.node.default_child),  # type: ignore[arg-type]
    }
    return stack, ids


def test_substitutions_of_every_kind_become_cloudformation_references() -> None:
    # GIVEN a workflow referencing the inventory table, the bus and a function
    stack, ids = _small_stack(SAMPLES)
    template = Template.from_stack(stack).to_json()
    # WHEN its state machine is synthesised
    ((_, machine),) = [
        (k, r) for k, r in template["Resources"].items() if r["Type"] == "AWS::StepFunctions::StateMachine"
    ]
    # THEN CloudFormation fills the table name, the bus name and the function ARN
    assert machine["Properties"]["DefinitionSubstitutions"] == {
        "InventoryTable": {"Ref": ids["table"]},
        "EventBus": {"Ref": ids["bus"]},
        "PricingFunction": {"Fn::GetAtt": [ids["function"], "Arn"]},
    }


def test_a_workflow_role_may_use_exactly_what_it_references() -> None:
    # GIVEN the same workflow
    stack, ids = _small_stack(SAMPLES)
    resources = Template.from_stack(stack).to_json()["Resources"]
    ((machine),) = [r for r in resources.values() if r["Type"] == "AWS::StepFunctions::StateMachine"]
    role_id = machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    # WHEN its role's statements are collected, apart from logging and tracing
    granted = {
        (action, json.dumps(statement["Resource"], sort_keys=True))
        for statement in _statements(resources, role_id)
        for action in _actions(statement) - STEP_FUNCTIONS_SERVICE_ACTIONS
    }
    # THEN it reads and writes items of the table (its gsi1 too), puts events on the bus and invokes the
    # function itself, no version or alias wildcard
    table_arn = {"Fn::GetAtt": [ids["table"], "Arn"]}
    index_arn = {"Fn::Join": ["", [table_arn, "/index/gsi1"]]}
    expected = {(a, json.dumps([table_arn, index_arn], sort_keys=True)) for a in TABLE_READ_ACTIONS}
    expected |= {(a, json.dumps(table_arn, sort_keys=True)) for a in TABLE_WRITE_ACTIONS}
    expected.add(("events:PutEvents", json.dumps({"Fn::GetAtt": [ids["bus"], "Arn"]}, sort_keys=True)))
    function_arn = {"Fn::GetAtt": [ids["function"], "Arn"]}
    expected.add(("lambda:InvokeFunction", json.dumps(function_arn, sort_keys=True)))
    assert granted == expected


def test_a_definition_out_of_step_with_its_spec_fails_the_synth(tmp_path: Path) -> None:
    # GIVEN the all-kinds definition with a placeholder its spec does not declare
    text = (SAMPLES / ALL_KINDS_SPEC.definition).read_text().replace("${EventBus}", "${AuditBus}")
    (tmp_path / ALL_KINDS_SPEC.definition).write_text(text)
    # WHEN / THEN building the workflow fails, naming both sides of the mismatch
    with pytest.raises(
        WorkflowDefinitionError, match=r"without a substitution: AuditBus.*without a placeholder: EventBus"
    ):
        _small_stack(tmp_path)
