"""Synthesises each stage once per test session (synth takes ~15 s) and shares the result.

Tests that use ``synthesized`` are grouped with ``@pytest.mark.xdist_group("synth")`` so one xdist
worker synthesises and serves them all. The kernel layer is not bundled (``bundling=False``): these
tests read templates, they do not build wheels.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from infra.resources import APP

STAGES = ("dev", "prod")
TEST_ALARM_EMAIL = "alarms@shop.example"  # production refuses to synthesise without an alarm address
# What CDK grants a state machine's role for logging (CloudWatch log deliveries) and X-Ray tracing; none
# of these actions supports resource-level permissions.
STEP_FUNCTIONS_SERVICE_ACTIONS = frozenset(
    {
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
    }
)


@dataclass
class Synthesized:
    """One stage's cloud assembly: templates by stack kind (``stateful``, ``services`` and each context's name,
    from ``shop-<stage>-<kind>``) and the outdir."""

    stage: str
    outdir: Path
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)

    def stack_name(self, kind: str) -> str:
        return f"{APP}-{self.stage}-{kind}"

    def resolve(self, value: Any) -> Any:
        """``value`` with every weak cross-stack reference (``Fn::GetStackOutput``) replaced by the value the
        producing stack outputs, so a test compares references as if both resources were in one template."""
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Fn::GetStackOutput"}:
            reference = value["Fn::GetStackOutput"]
            kind = reference["StackName"].removeprefix(f"{APP}-{self.stage}-")
            return self.resolve(self.templates[kind]["Outputs"][reference["OutputName"]]["Value"])
        return {key: self.resolve(item) for key, item in value.items()}

    def template(self, kind: str) -> Template:
        return Template.from_json(self.templates[kind])

    def resources(self, kind: str, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource
            for logical_id, resource in self.templates[kind]["Resources"].items()
            if resource["Type"] == resource_type
        }

    def all_resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for kind in self.templates:
            found.update(self.resources(kind, resource_type))
        return found

    @property
    def validation_report(self) -> dict[str, Any]:
        path = self.outdir / "validation-report.json"
        return json.loads(path.read_text()) if path.exists() else {"pluginReports": []}


def _synthesize(stage: str, outdir: Path) -> Synthesized:
    from infra.app import build_app, stacks

    app = build_app(stage, bundling=False, outdir=str(outdir), alarm_email=TEST_ALARM_EMAIL)
    assembly = app.synth()
    result = Synthesized(stage=stage, outdir=outdir)
    for stack in stacks(app):
        kind = stack.stack_name.removeprefix(f"{APP}-{stage}-")
        result.templates[kind] = assembly.get_stack_by_name(stack.stack_name).template
    return result


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Synthesized]:
    cache: dict[str, Synthesized] = {}

    def get(stage: str) -> Synthesized:
        if stage not in cache:
            cache[stage] = _synthesize(stage, tmp_path_factory.mktemp(f"cdk-{stage}"))
        return cache[stage]

    return get


@pytest.fixture(params=STAGES)
def stage_synth(request: pytest.FixtureRequest, synthesized: Callable[[str], Synthesized]) -> Synthesized:
    """Runs a test once per stage."""
    return synthesized(request.param)


@pytest.fixture
def dev(synthesized: Callable[[str], Synthesized]) -> Synthesized:
    return synthesized("dev")


@pytest.fixture
def prod(synthesized: Callable[[str], Synthesized]) -> Synthesized:
    return synthesized("prod")
