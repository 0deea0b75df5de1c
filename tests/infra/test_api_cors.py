"""CORS per stage in the synthesised API: gateway responses, preflight mocks and the API functions' env.

A storefront on the stage's origin must be able to read every answer, API Gateway's own errors
included, with the same header lists the kernel's answers use (``shop_kernel.cors``).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from infra.constructs.api import (
    ALLOWED_HEADERS,
    EXPOSED_HEADERS,
    GATEWAY_PROBLEMS,
    gateway_cors_headers,
)
from infra.local import provision
from infra.resources import API_ROUTES, FUNCTIONS
from infra.stages import CORS_ENV, StageConfig, cdk_json_context
from shop_kernel import cors
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.xdist_group("synth")
API_FUNCTIONS = {route.function for route in API_ROUTES}


def _origins(stage: str) -> list[str]:
    origins: list[str] = cdk_json_context()["stages"][stage]["corsAllowOrigins"]
    return origins


def _gateway_responses(synth: Synthesized) -> dict[str, dict[str, Any]]:
    return {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in synth.resources("services", "AWS::ApiGateway::GatewayResponse").values()
    }


def test_every_gateway_response_is_readable_by_the_stage_storefront(stage_synth: Synthesized) -> None:
    # GIVEN the stage's single storefront origin and API Gateway's own answers
    (origin,) = _origins(stage_synth.stage)
    responses = _gateway_responses(stage_synth)
    assert {problem.response_type.response_type for problem in GATEWAY_PROBLEMS} == set(responses)
    for response_type, props in responses.items():
        headers = {
            key.removeprefix("gatewayresponse.header."): value
            for key, value in props["ResponseParameters"].items()
        }
        # THEN each lets that origin read it, exposes the headers the functions expose, and is not cached
        assert headers["Access-Control-Allow-Origin"] == f"'{origin}'", response_type
        exposed = {h.strip() for h in headers["Access-Control-Expose-Headers"].strip("'").split(",")}
        assert set(EXPOSED_HEADERS) | {"x-amzn-RequestId"} <= exposed, response_type
        assert headers["Vary"] == "'Origin'"
        assert headers["Cache-Control"] == "'no-store'"
        # AND the problem body names the request as the functions' problems do
        template = props["ResponseTemplates"]["application/json"]
        filled = json.loads(template.replace("$context.error.messageString", '"m"').replace("$context.", ""))
        assert filled["request_id"] == "requestId", response_type
        if int(props["StatusCode"]) in (429, 503):
            assert headers["Retry-After"] == "'1'", response_type


def test_preflights_allow_the_stage_origin_and_the_storefront_headers(stage_synth: Synthesized) -> None:
    # GIVEN the mock OPTIONS methods API Gateway answers preflights with
    (origin,) = _origins(stage_synth.stage)
    methods = [
        m["Properties"]
        for m in stage_synth.resources("services", "AWS::ApiGateway::Method").values()
        if m["Properties"]["HttpMethod"] == "OPTIONS"
    ]
    # THEN there is one per resource, and each allows the origin and every header a storefront sends
    assert len(methods) >= 2 * len(API_ROUTES)
    for props in methods:
        (response,) = props["Integration"]["IntegrationResponses"]
        params = response["ResponseParameters"]
        assert params["method.response.header.Access-Control-Allow-Origin"] == f"'{origin}'"
        allowed = set(params["method.response.header.Access-Control-Allow-Headers"].strip("'").split(","))
        assert set(cors.ALLOWED_HEADERS) <= allowed
        assert "X-Cart-Token" in allowed


def test_api_functions_get_the_stage_origins_and_nothing_else_does(stage_synth: Synthesized) -> None:
    # GIVEN the synthesised functions by spec name
    by_name = {
        fn["Properties"]["FunctionName"].rsplit(f"-{stage_synth.stage}-", 1)[-1]: fn["Properties"]
        for fn in stage_synth.all_resources("AWS::Lambda::Function").values()
        if "FunctionName" in fn["Properties"]
    }
    for spec in FUNCTIONS:
        env = by_name[spec.name]["Environment"]["Variables"]
        # THEN the API's functions read the stage's origins from CORS_ALLOW_ORIGINS; the others have none
        if spec.name in API_FUNCTIONS:
            assert env[CORS_ENV] == ",".join(_origins(stage_synth.stage)), spec.name
            assert cors.CorsPolicy.parse(env[CORS_ENV]).allows(_origins(stage_synth.stage)[0])
        else:
            assert CORS_ENV not in env, spec.name


def test_the_local_stack_allows_any_localhost_port() -> None:
    # GIVEN the local environment of each API function
    for spec in FUNCTIONS:
        env = provision.function_environment("local", spec)
        if spec.name not in API_FUNCTIONS:
            assert CORS_ENV not in env
            continue
        # WHEN the kernel reads it
        policy = cors.cors_policy(env)
        # THEN storefront dev servers on any port are allowed, other hosts are not
        assert policy.allows("http://localhost:5173")
        assert policy.allows("http://127.0.0.1:8080")
        assert not policy.allows("https://shop.example")


def test_the_gateway_and_the_kernel_use_the_same_header_lists() -> None:
    assert tuple(ALLOWED_HEADERS) == cors.ALLOWED_HEADERS
    assert tuple(EXPOSED_HEADERS) == cors.EXPOSED_HEADERS
    assert CORS_ENV == cors.CORS_ENV == provision.CORS_ENV


def test_several_origins_echo_the_request_origin_on_gateway_responses() -> None:
    # GIVEN a stage with two storefronts WHEN its gateway response headers are built
    headers = gateway_cors_headers(("https://shop.example", "https://b2b.shop.example"))
    # THEN the request's Origin is echoed (a static header can hold only one) and caches keep them apart
    assert headers["Access-Control-Allow-Origin"] == "method.request.header.Origin"
    assert headers["Vary"] == "'Origin'"
    assert gateway_cors_headers(()) == {}


@pytest.mark.parametrize(
    "origin", ["http://localhost:*", "https://*.shop.example", "https://shop.example/", "shop.example"]
)
def test_a_cloud_stage_takes_exact_origins_only(origin: str) -> None:
    # GIVEN a stage whose origins API Gateway's preflight could not compare exactly
    raw = {**cdk_json_context()["stages"]["dev"], "corsAllowOrigins": [origin]}
    # WHEN it is loaded THEN synth fails naming the setting
    with pytest.raises(ValueError, match=re.escape("corsAllowOrigins")):
        StageConfig.from_context("dev", raw)
