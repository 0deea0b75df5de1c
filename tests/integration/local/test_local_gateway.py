"""The local API Gateway: routing, the Cognito-like authorizer, gateway errors, OpenAPI and docs."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from infra.local import tokens
from infra.local.api import LocalApi, LocalGateway
from infra.local.apigw import HttpRequest
from infra.local.functions import LocalFunction
from infra.local.moto_server import free_port
from infra.resources import ApiRoute, FunctionSpec
from tests.integration.local import fake_functions

FAKE = FunctionSpec(
    name="fake-api",
    context="fake",
    handler="tests.integration.local.fake_functions.echo",
    description="echoes its event",
    timeout_s=5,
)
ROUTES = (
    ApiRoute(prefix="fake", function="fake-api", authorized=False),
    ApiRoute(prefix="admin/fake", function="fake-api", authorized=True, groups=("merchandisers",)),
)


@pytest.fixture
def gateway() -> LocalGateway:
    fake_functions.LAST_EVENTS.clear()
    return LocalGateway("local", {"fake-api": LocalFunction("local", FAKE)}, routes=ROUTES)


def _get(path: str, token: str | None = None, query: str = "") -> HttpRequest:
    headers = (("Authorization", f"Bearer {token}"),) if token else ()
    return HttpRequest(method="GET", path=path, query=query, headers=headers)


def _problem(response) -> dict:
    assert dict(response.headers)["Content-Type"] == "application/problem+json"
    return json.loads(response.body)


def test_a_public_route_reaches_the_function_named_by_its_spec(gateway: LocalGateway) -> None:
    # GIVEN a gateway whose function is imported from FunctionSpec.handler
    # WHEN a public resource is requested
    response = gateway.handle(_get("/fake/things", query="page=2"))

    # THEN the function's answer comes back with its headers
    assert response.status == 200
    body = json.loads(response.body)
    assert body["function"] == "shop-local-fake-api"
    assert 0 < body["remainingMs"] <= 5000
    assert ("Set-Cookie", "a=1") in response.headers
    event = fake_functions.LAST_EVENTS[-1]
    assert event["queryStringParameters"] == {"page": "2"}
    assert "authorizer" not in event["requestContext"]


def test_a_valid_token_puts_cognito_claims_in_the_event(gateway: LocalGateway) -> None:
    # GIVEN a merchandiser's token
    token = tokens.issue_token("merchandisers", email="mia@shop.local")

    # WHEN an authorized resource is requested
    response = gateway.handle(_get("/admin/fake/things", token))

    # THEN the claims arrive as the Cognito authorizer passes them
    assert response.status == 200
    claims = fake_functions.LAST_EVENTS[-1]["requestContext"]["authorizer"]["claims"]
    assert claims["cognito:groups"] == "merchandisers"
    assert claims["email"] == "mia@shop.local"
    assert claims["token_use"] == "id"
    assert claims["cognito:username"] == claims["sub"]
    assert claims["iss"] == tokens.ISSUER
    assert claims["aud"] == tokens.AUDIENCE
    assert claims["exp"].endswith(time.strftime("%Y", time.gmtime(time.time() + 12 * 3600)))
    assert all(isinstance(v, str) for v in claims.values())


def test_the_kernel_reads_the_caller_from_the_local_event(gateway: LocalGateway) -> None:
    # GIVEN an agent's token
    from shop_kernel.auth import Group, caller_from_event

    gateway.handle(_get("/admin/fake/things", tokens.issue_token("agents")))

    # WHEN the kernel reads the event the handler got
    caller = caller_from_event(fake_functions.LAST_EVENTS[-1])

    # THEN
    assert caller is not None
    assert caller.in_any(Group.AGENTS)
    assert not caller.in_any(Group.MERCHANDISERS)


def _forged() -> str:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    claims = {
        "sub": "x",
        "iss": tokens.ISSUER,
        "aud": tokens.AUDIENCE,
        "token_use": "id",
        "iat": now,
        "exp": now + 60,
        "cognito:groups": ["merchandisers"],
    }
    return jwt.encode(claims, other, algorithm="RS256")


def _signed(**overrides: object) -> str:
    now = int(time.time())
    claims = {
        "sub": "x",
        "iss": tokens.ISSUER,
        "aud": tokens.AUDIENCE,
        "token_use": "id",
        "iat": now,
        "exp": now + 60,
    }
    claims.update(overrides)
    return jwt.encode(claims, tokens.signing_key(), algorithm="RS256")


@pytest.mark.parametrize(
    ("make_token", "detail"),
    [
        (lambda: None, "Bearer"),
        (lambda: "not-a-jwt", "not valid"),
        (lambda: tokens.issue_token("merchandisers", now=time.time() - 13 * 3600), "expired"),
        (_forged, "not valid"),
        (lambda: _signed(iss="https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_other"), "not valid"),
        (lambda: _signed(aud="another-client"), "not valid"),
        (lambda: _signed(token_use="access"), "ID token"),
        (
            lambda: jwt.encode({"sub": "x"}, "a-shared-secret-that-is-long-enough!", algorithm="HS256"),
            "not valid",
        ),
    ],
    ids=[
        "missing",
        "garbage",
        "expired",
        "forged",
        "wrong-issuer",
        "wrong-audience",
        "access-token",
        "hs256",
    ],
)
def test_an_authorized_route_without_a_valid_token_is_401_and_never_reaches_the_function(
    gateway: LocalGateway, make_token, detail: str
) -> None:
    # GIVEN a missing or invalid token
    token = make_token()

    # WHEN
    response = gateway.handle(_get("/admin/fake/things", token))

    # THEN the gateway answers like the cloud's UNAUTHORIZED response
    assert response.status == 401
    problem = _problem(response)
    assert problem["type"] == "https://problems.shop.example/unauthorized"
    assert problem["title"] == "Authentication required"
    assert problem["status"] == 401
    assert detail in problem["detail"]
    assert fake_functions.LAST_EVENTS == []


def test_an_unknown_path_is_a_404_problem(gateway: LocalGateway) -> None:
    # GIVEN / WHEN
    response = gateway.handle(_get("/nowhere/at/all"))

    # THEN
    assert response.status == 404
    assert _problem(response)["type"] == "https://problems.shop.example/not-found"


def test_a_crashing_function_is_a_502_problem_without_internals(gateway: LocalGateway) -> None:
    # GIVEN / WHEN
    response = gateway.handle(_get("/fake/boom"))

    # THEN
    assert response.status == 502
    assert "crashed" not in response.body.decode()


def test_openapi_merges_every_function_and_secures_authorized_resources(gateway: LocalGateway) -> None:
    # GIVEN / WHEN
    response = gateway.handle(_get("/openapi.json"))

    # THEN
    document = json.loads(response.body)
    assert set(document["paths"]) == {"/fake/things", "/admin/fake/things"}
    assert "Thing" in document["components"]["schemas"]
    assert document["paths"]["/admin/fake/things"]["post"]["security"] == [{"cognito": []}]
    assert "security" not in document["paths"]["/fake/things"]["get"]
    assert document["components"]["securitySchemes"]["cognito"]["scheme"] == "bearer"


def test_docs_serve_swagger_ui_from_local_assets(gateway: LocalGateway) -> None:
    # GIVEN / WHEN
    html = gateway.handle(_get("/docs")).body.decode()
    script = gateway.handle(_get("/docs/swagger-ui-bundle.min.js"))
    css = gateway.handle(_get("/docs/swagger-ui.min.css"))

    # THEN nothing is fetched from a CDN
    assert "/openapi.json" in html
    assert "https://" not in html
    assert script.status == 200
    assert b"SwaggerUIBundle" in script.body
    assert css.status == 200
    assert len(css.body) > 1000


@pytest.fixture
def served(gateway: LocalGateway) -> Iterator[str]:
    api = LocalApi(gateway, port=free_port())
    api.start()
    yield api.url
    api.stop()


def test_over_http_a_request_round_trips_with_multi_value_query_and_binary_body(served: str) -> None:
    # GIVEN a running local API
    # WHEN a client calls it
    response = requests.get(f"{served}/fake/things?tag=a&tag=b", timeout=5)
    binary = requests.get(f"{served}/fake/binary", timeout=5)

    # THEN
    assert response.status_code == 200
    assert fake_functions.LAST_EVENTS[0]["multiValueQueryStringParameters"] == {"tag": ["a", "b"]}
    assert fake_functions.LAST_EVENTS[0]["requestContext"]["identity"]["sourceIp"] == "127.0.0.1"
    assert binary.content == b"\x00\xff\x10"
    assert requests.get(f"{served}/health", timeout=5).json()["status"] == "ok"


def test_over_http_a_payload_over_10_mb_is_413_without_reading_it(served: str) -> None:
    # GIVEN a client announcing an 11 MB body
    host, port = served.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(
            b"POST /admin/fake/things HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 11534336\r\n\r\n"
        )
        # WHEN the gateway reads the headers (it answers and closes the connection)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
        reply = b"".join(chunks).decode()

    # THEN it refuses before the body or the authorizer
    assert reply.startswith("HTTP/1.1 413")
    assert "payload-too-large" in reply
    assert fake_functions.LAST_EVENTS == []


def test_the_api_port_is_free_again_right_after_stop(gateway: LocalGateway) -> None:
    # GIVEN a served and stopped API
    port = free_port()
    first = LocalApi(gateway, port=port)
    first.start()
    requests.get(f"{first.url}/health", timeout=5)
    first.stop()

    # WHEN another binds the same port at once
    second = LocalApi(gateway, port=port)
    second.start()

    # THEN it serves
    try:
        assert requests.get(f"{second.url}/health", timeout=5).status_code == 200
    finally:
        second.stop()


def test_a_function_serves_one_invocation_at_a_time_like_one_execution_environment() -> None:
    # GIVEN a handler that notices overlapping invocations
    active, overlaps = [0], []

    def slow(event: dict, context: object) -> dict:
        active[0] += 1
        overlaps.append(active[0])
        time.sleep(0.05)
        active[0] -= 1
        return {"statusCode": 200, "body": ""}

    function = LocalFunction("local", FAKE, handler=slow)

    # WHEN four requests arrive at once
    threads = [threading.Thread(target=function.invoke, args=({},)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # THEN none overlapped
    assert overlaps == [1, 1, 1, 1]
