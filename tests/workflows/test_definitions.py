"""``infra.workflows``: definitions and specs agree, and placeholders are filled the same on both sides.

The CDK app checks a definition with ``check_definition`` at synth; the local stack fills it with
``filled_definition`` at provision. Both go through ``check_placeholders``, tested here once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.local import provision as provision_module
from infra.resources import WORKFLOWS, StateMachineSpec
from infra.workflows import (
    STATE_MACHINES_DIR,
    Reference,
    Resolver,
    WorkflowDefinitionError,
    check_definition,
    fill_placeholders,
    parse_reference,
    state_names,
    substitution_values,
)
from tests.workflows.conftest import ALL_KINDS_SPEC, SAMPLES

REGION = "eu-west-1"
FAKE = Resolver(
    table_name=lambda name: f"table-{name}",
    bus_name="the-bus",
    function_arn=lambda name: f"arn:function:{name}",
)


def _all_kinds() -> dict[str, Any]:
    return dict(json.loads((SAMPLES / ALL_KINDS_SPEC.definition).read_text()))


def _write(directory: Path, definition: dict[str, Any]) -> None:
    (directory / ALL_KINDS_SPEC.definition).write_text(json.dumps(definition))


# --- placeholders --------------------------------------------------------------------------------


def test_every_placeholder_is_filled_with_its_value() -> None:
    # GIVEN a text with two placeholders, one used twice
    text = '{"a": "${First}", "b": "${Second}", "c": "${First}"}'
    # WHEN they are filled
    filled = fill_placeholders(text, {"First": "1", "Second": "2"})
    # THEN every occurrence has its value
    assert json.loads(filled) == {"a": "1", "b": "2", "c": "1"}


def test_a_placeholder_without_a_value_is_refused() -> None:
    # GIVEN / WHEN a text using ${OrdersTable} filled without it / THEN the error names it
    with pytest.raises(WorkflowDefinitionError, match=r"placeholders without a substitution: OrdersTable"):
        fill_placeholders('{"t": "${OrdersTable}", "b": "${Bus}"}', {"Bus": "x"}, where="w")


def test_a_value_without_a_placeholder_is_refused() -> None:
    # GIVEN / WHEN a value the text never uses / THEN the error names it
    with pytest.raises(WorkflowDefinitionError, match=r"substitutions without a placeholder: Leftover"):
        fill_placeholders('{"b": "${Bus}"}', {"Bus": "x", "Leftover": "y"})


def test_a_malformed_placeholder_is_reported_not_skipped() -> None:
    # GIVEN / WHEN a placeholder with a space in its name / THEN it is reported as unfilled
    with pytest.raises(WorkflowDefinitionError, match=r"Orders Table"):
        fill_placeholders('{"t": "${Orders Table}"}', {})


# --- references ----------------------------------------------------------------------------------


def test_references_of_every_kind_resolve_through_the_side_resolver() -> None:
    # GIVEN a spec with a table, the bus and a function
    # WHEN its values are resolved
    values = substitution_values(ALL_KINDS_SPEC, FAKE)
    # THEN each placeholder gets what its reference names
    assert values == {
        "InventoryTable": "table-inventory",
        "EventBus": "the-bus",
        "PricingFunction": "arn:function:checkout-api",
    }


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("queue:orders", "unknown reference"),
        ("table:", "unknown reference"),
        ("bus:shop", "unknown reference"),
        ("table:no-such-table", "names no table spec"),
        ("function:no-such-function", "names no function spec"),
    ],
)
def test_a_reference_to_nothing_declared_is_refused(reference: str, message: str) -> None:
    # GIVEN / WHEN / THEN a reference of an unknown kind or to an undeclared spec
    with pytest.raises(WorkflowDefinitionError, match=message):
        parse_reference(reference)


def test_references_parse_to_their_kind_and_spec() -> None:
    # GIVEN / WHEN / THEN
    assert parse_reference("table:orders") == Reference("table", "orders")
    assert parse_reference("bus") == Reference("bus")
    assert parse_reference("function:checkout-events") == Reference("function", "checkout-events")


def test_a_placeholder_declared_twice_is_refused() -> None:
    # GIVEN a spec naming one placeholder twice
    spec = StateMachineSpec(
        name="twice", definition="x.asl.json", description="d", substitutions=(("T", "bus"), ("T", "bus"))
    )
    # WHEN / THEN
    with pytest.raises(WorkflowDefinitionError, match="declared twice"):
        substitution_values(spec, FAKE)


# --- definition files ----------------------------------------------------------------------------


@pytest.mark.parametrize("spec", WORKFLOWS, ids=lambda s: s.name)
def test_every_workflow_file_is_asl_and_agrees_with_its_spec(spec: StateMachineSpec) -> None:
    # GIVEN / WHEN the committed definition is checked as the synth checks it
    definition = check_definition(spec)
    # THEN it has a comment, states, and state names that read as the business (not "State1")
    assert definition["Comment"]
    assert definition["StartAt"] in definition["States"]
    assert all(name[0].isupper() and " " in name for name in state_names(definition))


def test_a_definition_out_of_step_with_its_spec_fails_the_synth_check(tmp_path: Path) -> None:
    # GIVEN the all-kinds definition with the bus placeholder misspelt
    broken = json.loads(json.dumps(_all_kinds()).replace("${EventBus}", "${EventsBus}"))
    _write(tmp_path, broken)
    # WHEN / THEN the synth-time check names both sides of the mismatch
    with pytest.raises(WorkflowDefinitionError, match=r"EventsBus.*EventBus"):
        check_definition(ALL_KINDS_SPEC, tmp_path)


def test_a_file_that_is_not_asl_is_refused(tmp_path: Path) -> None:
    # GIVEN a file that is JSON but no state machine, and one that is no JSON at all
    spec = StateMachineSpec(name="broken", definition="broken.asl.json", description="d")
    (tmp_path / "broken.asl.json").write_text('{"Comment": "no states"}')
    with pytest.raises(WorkflowDefinitionError, match="StartAt"):
        check_definition(spec, tmp_path)
    (tmp_path / "broken.asl.json").write_text('{"StartAt": ')
    # WHEN / THEN both are refused with the file named
    with pytest.raises(WorkflowDefinitionError, match=r"broken\.asl\.json.*not valid JSON"):
        check_definition(spec, tmp_path)


def test_the_local_stack_fills_local_names_and_arns() -> None:
    # GIVEN the all-kinds definition
    # WHEN the local stack fills it for stage "test"
    filled = json.loads(provision_module.workflow_definition("test", ALL_KINDS_SPEC, SAMPLES))
    # THEN the table, bus and function are the local physical names and ARNs
    states = filled["States"]
    assert states["Reserve stock"]["Parameters"]["TableName"] == "shop-test-inventory"
    assert states["Announce order"]["Parameters"]["Entries"][0]["EventBusName"] == "shop-test"
    assert (
        states["Price order"]["Parameters"]["FunctionName"]
        == "arn:aws:lambda:eu-west-1:123456789012:function:shop-test-checkout-api"
    )


def test_the_local_stack_refuses_a_definition_out_of_step_with_its_spec(tmp_path: Path) -> None:
    # GIVEN the all-kinds definition without its function placeholder
    broken = _all_kinds()
    broken["States"]["Price order"]["Parameters"]["FunctionName"] = "hard-coded"
    _write(tmp_path, broken)
    # WHEN / THEN provisioning it fails on the substitution nobody uses
    with pytest.raises(WorkflowDefinitionError, match="substitutions without a placeholder: PricingFunction"):
        provision_module.workflow_definition("test", ALL_KINDS_SPEC, tmp_path)


def test_state_names_include_parallel_branches_and_map_processors() -> None:
    # GIVEN a definition with a Parallel and a Map state
    definition = {
        "StartAt": "Split",
        "States": {
            "Split": {
                "Type": "Parallel",
                "Branches": [{"StartAt": "Left", "States": {"Left": {"Type": "Succeed"}}}],
                "Next": "Each line",
            },
            "Each line": {
                "Type": "Map",
                "ItemProcessor": {"StartAt": "Pick line", "States": {"Pick line": {"Type": "Succeed"}}},
                "End": True,
            },
        },
    }
    # WHEN / THEN every nested state is named
    assert state_names(definition) == {"Split", "Left", "Each line", "Pick line"}


# --- provisioning --------------------------------------------------------------------------------


@pytest.mark.usefixtures("aws_credentials")
def test_provisioning_again_updates_the_definition_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the stage provisioned once, then the fulfilment file changed (a state renamed)
    changed = (STATE_MACHINES_DIR / "order_fulfilment.asl.json").read_text()
    (tmp_path / "order_fulfilment.asl.json").write_text(
        changed.replace("Allocate shipments", "Allocate the shipments")
    )
    unchanged = "shipment_dispatch.asl.json"  # its Express child
    (tmp_path / unchanged).write_text((STATE_MACHINES_DIR / unchanged).read_text())
    original = provision_module.workflow_definition
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        first = provision_module.provision("test")["workflows"]["order-fulfilment"]
        monkeypatch.setattr(
            provision_module, "workflow_definition", lambda stage, spec: original(stage, spec, tmp_path)
        )
        # WHEN it is provisioned again on the same endpoint
        second = provision_module.provision("test")["workflows"]["order-fulfilment"]
        described = boto3.client("stepfunctions", region_name=REGION).describe_state_machine(
            stateMachineArn=second["arn"]
        )
    # THEN the same state machine, Standard, now has the new definition
    assert second == first
    assert described["type"] == "STANDARD"
    assert "Allocate the shipments" in state_names(json.loads(described["definition"]))
