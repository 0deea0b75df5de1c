"""How a stage is split into stacks: one per bounded context, references one way, each within CloudFormation's limits.

CloudFormation refuses a template over 500 resources, 200 outputs or 1 MB (the template CDK uploads to S3), so
the limits are checked on every stack of both stages, and a stack past ``HEADROOM`` of any of them fails
here first, while there is still room to split it (docs/decisions.md, "One stack per bounded context").
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.resources import API_ROUTES, APP, CONTEXTS, FUNCTIONS, physical_name
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.xdist_group("synth")

MAX_RESOURCES = 500
MAX_OUTPUTS = 200
MAX_TEMPLATE_BYTES = 1_000_000
HEADROOM = 0.8  # past 80 % of a limit, the stack is split again
SHARED = ("stateful", "services")  # deployed in this order, before every context's stack


def _kinds(synth: Synthesized) -> list[str]:
    return list(synth.templates)


def _stack_outputs_read(template: dict[str, Any]) -> Iterator[str]:
    """The stacks whose outputs ``template`` reads (weak cross-stack references)."""

    def walk(value: Any) -> Iterator[str]:
        if isinstance(value, dict):
            if "Fn::GetStackOutput" in value:
                yield value["Fn::GetStackOutput"]["StackName"]
            for item in value.values():
                yield from walk(item)
        elif isinstance(value, list):
            for item in value:
                yield from walk(item)

    yield from walk(template)


def test_each_context_has_a_stack_of_its_own_with_all_its_functions(stage_synth: Synthesized) -> None:
    # GIVEN the synthesised stacks of the stage
    # THEN there is the stateful stack, the services stack and one stack per bounded context
    assert sorted(_kinds(stage_synth)) == sorted([*SHARED, *CONTEXTS])
    prefix = f"{APP}-{stage_synth.stage}-"
    for kind in _kinds(stage_synth):
        functions = stage_synth.resources(kind, "AWS::Lambda::Function").values()
        names = sorted(f["Properties"]["FunctionName"].removeprefix(prefix) for f in functions)
        # AND a context's stack holds exactly its functions, the shared stacks none
        assert names == sorted(spec.name for spec in FUNCTIONS if spec.context == kind), kind
        # AND everything that runs or watches a function is in the function's stack
        for resource_type in (
            "AWS::Lambda::EventSourceMapping",
            "AWS::Lambda::EventInvokeConfig",
            "AWS::Lambda::Permission",
            "AWS::CloudWatch::Dashboard",
        ):
            if kind in SHARED:
                assert not stage_synth.resources(kind, resource_type), (kind, resource_type)


def test_stacks_read_only_stacks_deployed_before_them(stage_synth: Synthesized) -> None:
    # GIVEN the deployment order: stateful, services, then the contexts in any order
    order = {stage_synth.stack_name(kind): rank for rank, kind in enumerate(SHARED)}
    for kind, template in stage_synth.templates.items():
        name = stage_synth.stack_name(kind)
        rank = order.get(name, len(SHARED))
        # WHEN the stacks whose outputs it reads are collected
        producers = set(_stack_outputs_read(template))
        # THEN each is deployed before it (no cycle, and no context waits for another) and none is exported
        assert all(order.get(producer, len(SHARED)) < rank for producer in producers), (kind, producers)
        assert "Fn::ImportValue" not in json.dumps(template), kind


def test_the_api_names_each_function_and_the_function_lets_only_its_routes_invoke_it(
    stage_synth: Synthesized,
) -> None:
    # GIVEN the API's methods and every function's permissions
    (api_id,) = stage_synth.resources("services", "AWS::ApiGateway::RestApi")
    uris = {
        json.dumps(method["Properties"]["Integration"]["Uri"])
        for method in stage_synth.resources("services", "AWS::ApiGateway::Method").values()
        if method["Properties"]["Integration"].get("Type") == "AWS_PROXY"
    }
    functions = {
        function["Properties"]["FunctionName"]: logical_id
        for logical_id, function in stage_synth.all_resources("AWS::Lambda::Function").items()
    }
    invoked_from: dict[str, set[str]] = {name: set() for name in functions}
    for permission in stage_synth.all_resources("AWS::Lambda::Permission").values():
        props = stage_synth.resolve(permission["Properties"])
        if props["Principal"] != "apigateway.amazonaws.com":
            continue
        (name,) = [
            n
            for n, logical_id in functions.items()
            if props["FunctionName"] == {"Fn::GetAtt": [logical_id, "Arn"]}
        ]
        parts = props["SourceArn"]["Fn::Join"][1]
        # THEN each permission names this API's stage, any method, one route path
        assert parts[2:4] == [":", {"Ref": api_id}], parts
        assert parts[4].startswith(f"/{stage_synth.stage}/*/"), parts
        invoked_from[name].add(parts[4].removeprefix(f"/{stage_synth.stage}/*"))
    expected: dict[str, set[str]] = {name: set() for name in functions}
    for route in API_ROUTES:
        function_name = physical_name(stage_synth.stage, route.function)
        expected[function_name] |= {f"/{route.prefix}", f"/{route.prefix}/*"}
        # AND the API integrates the route's function by the ARN of its name
        assert any(f":function:{function_name}/invocations" in uri for uri in uris), route.prefix
    # AND a function may be invoked from its own routes' paths only; functions without a route from none
    assert invoked_from == expected


def _limits(synth: Synthesized, kind: str) -> dict[str, tuple[int, int]]:
    template = synth.templates[kind]
    size = (Path(synth.outdir) / f"{synth.stack_name(kind)}.template.json").stat().st_size
    return {
        "resources": (len(template["Resources"]), MAX_RESOURCES),
        "outputs": (len(template.get("Outputs", {})), MAX_OUTPUTS),
        "bytes": (size, MAX_TEMPLATE_BYTES),
    }


def test_every_stack_keeps_headroom_below_cloudformation_limits(stage_synth: Synthesized) -> None:
    # GIVEN every stack of the stage, measured against CloudFormation's limits
    report = []
    over = []
    for kind in _kinds(stage_synth):
        limits = _limits(stage_synth, kind)
        report.append(
            f"{stage_synth.stack_name(kind):<22}"
            + "".join(
                f"  {what} {used:>7} / {limit} ({used / limit:4.0%})"
                for what, (used, limit) in limits.items()
            )
        )
        over += [
            f"{kind}: {what} {used} > {HEADROOM:.0%} of {limit}"
            for what, (used, limit) in limits.items()
            if used > HEADROOM * limit
        ]
    # WHEN the headroom is printed (pytest -rP shows it)
    print("\n".join(report))
    # THEN no stack is past the split threshold, let alone the limit
    assert over == [], "split these stacks (docs/decisions.md, one stack per bounded context)"
