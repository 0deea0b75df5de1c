"""The local API Gateway: routing, the Cognito-like authorizer, gateway errors, OpenAPI and docs."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

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
from tests.support import wait_until

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
    return LocalGateway(
        "local", {"fake-api": LocalFunction("local", FAKE, handler=fake_functions.echo)}, routes=ROUTES
    )


def _get(path: str, token: str | None = None, query: str = "") -> HttpRequest:
    headers = (("Authorization", f"Bearer {token}"),) if token else ()
    return HttpRequest(method="GET", path=path, query=query, headers=headers)


def _problem(response) -> dict:
    assert dict(response.headers)["Content-Type"] == "application/problem+json"
    return json.loads(response.body)


def test_a_public_route_reaches_the_function_named_by_its_spec(gateway: LocalGateway) -> None:
    # GIVEN a gateway whose function is the spec's handler (in the test's process, to see its events)
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


def _names(response) -> list[str]:
    return [name.lower() for name, _ in response.headers]


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND", "BREW"])
def test_a_method_no_route_declares_is_a_405_problem_with_allow(gateway: LocalGateway, method: str) -> None:
    # GIVEN / WHEN a method the API's resources do not take
    response = gateway.handle(HttpRequest(method=method, path="/fake/things"))

    # THEN 405 with the methods that are taken, like API Gateway, and the function never sees it
    assert response.status == 405
    assert dict(response.headers)["Allow"] == "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"
    assert _problem(response)["type"] == "https://problems.shop.example/method-not-allowed"
    assert fake_functions.LAST_EVENTS == []


def test_a_write_to_a_gateway_resource_is_a_405(gateway: LocalGateway) -> None:
    # GIVEN / WHEN
    response = gateway.handle(HttpRequest(method="POST", path="/openapi.json"))

    # THEN
    assert response.status == 405
    assert dict(response.headers)["Allow"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize(
    ("request_", "status"),
    [
        (_get("/admin/fake/things"), 401),
        (_get("/nowhere"), 404),
        (HttpRequest(method="TRACE", path="/fake/things"), 405),
        (_get("/fake/boom"), 502),
        (_get("/docs"), 200),
        (_get("/openapi.json"), 200),
        (_get("/health"), 200),
        (_get("/fake/things"), 200),
    ],
    ids=["401", "404", "405", "502", "docs", "openapi", "health", "proxied"],
)
def test_every_answer_carries_a_request_id(gateway: LocalGateway, request_: HttpRequest, status: int) -> None:
    # GIVEN / WHEN
    response = gateway.handle(request_)

    # THEN one X-Request-Id, also in the body of the gateway's own problems
    assert response.status == status
    assert _names(response).count("x-request-id") == 1
    request_id = response.header("X-Request-Id")
    assert request_id
    if status >= 400:
        assert _problem(response)["request_id"] == request_id


def test_the_request_id_is_the_one_the_function_gets_as_its_correlation_id(gateway: LocalGateway) -> None:
    # GIVEN / WHEN two requests
    first = gateway.handle(_get("/fake/things"))
    second = gateway.handle(_get("/fake/things"))

    # THEN each answer names the requestId of its own event
    events = fake_functions.LAST_EVENTS
    assert first.header("X-Request-Id") == events[0]["requestContext"]["requestId"]
    assert second.header("X-Request-Id") == events[1]["requestContext"]["requestId"]
    assert first.header("X-Request-Id") != second.header("X-Request-Id")


def _preflight(path: str, origin: str) -> HttpRequest:
    return HttpRequest(
        method="OPTIONS",
        path=path,
        headers=(
            ("Origin", origin),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "authorization, content-type, idempotency-key"),
        ),
    )


@pytest.mark.parametrize("origin", ["http://localhost:5173", "http://127.0.0.1:8080", "http://localhost"])
def test_a_preflight_from_a_local_origin_is_answered_for_an_authorized_route_without_a_token(
    gateway: LocalGateway, origin: str
) -> None:
    # GIVEN a storefront on a local dev server about to POST with a bearer token
    # WHEN the browser sends its preflight (browsers send no token on it)
    response = gateway.handle(_preflight("/admin/fake/things", origin))

    # THEN the gateway answers it, before the authorizer and without invoking the function
    assert response.status == 204
    headers = dict(response.headers)
    assert headers["Access-Control-Allow-Origin"] == origin
    assert "POST" in headers["Access-Control-Allow-Methods"]
    allowed = {h.strip() for h in headers["Access-Control-Allow-Headers"].split(",")}
    assert {
        "Authorization",
        "Content-Type",
        "X-Cart-Token",
        "Idempotency-Key",
        "If-Match",
        "If-None-Match",
        "Accept-Language",
    } <= allowed
    assert int(headers["Access-Control-Max-Age"]) > 0
    assert headers["Vary"] == "Origin"
    assert fake_functions.LAST_EVENTS == []


@pytest.mark.parametrize("origin", ["https://evil.example", "http://localhost.evil.example", "null"])
def test_a_preflight_from_another_origin_gets_no_cors_grant(gateway: LocalGateway, origin: str) -> None:
    # GIVEN / WHEN
    response = gateway.handle(_preflight("/fake/things", origin))

    # THEN the browser will refuse: no Access-Control-Allow-Origin
    assert "access-control-allow-origin" not in _names(response)
    assert "access-control-allow-origin" not in _names(gateway.handle(_get("/fake/things")))


def test_a_preflight_for_an_unknown_resource_is_a_404(gateway: LocalGateway) -> None:
    assert gateway.handle(_preflight("/nowhere", "http://localhost:3001")).status == 404


def test_a_real_answer_and_a_gateway_error_expose_headers_to_a_local_origin(gateway: LocalGateway) -> None:
    # GIVEN a page on http://localhost:5173
    origin = (("Origin", "http://localhost:5173"),)

    # WHEN it reads a function's answer and gets a gateway 401
    answered = gateway.handle(HttpRequest(method="GET", path="/fake/things", headers=origin))
    refused = gateway.handle(HttpRequest(method="GET", path="/admin/fake/things", headers=origin))

    # THEN both can be read by the page, ETag, cart token and request id included
    for response in (answered, refused):
        headers = dict(response.headers)
        assert headers["Access-Control-Allow-Origin"] == "http://localhost:5173"
        exposed = {h.strip() for h in headers["Access-Control-Expose-Headers"].split(",")}
        assert {"ETag", "X-Cart-Token", "Location", "X-Request-Id", "Retry-After"} <= exposed
        assert headers["Vary"] == "Origin"
    assert refused.status == 401


def test_headers_a_function_set_itself_are_never_repeated(gateway: LocalGateway) -> None:
    # GIVEN a function that answers with its own CORS headers, Vary and request id
    request = HttpRequest(method="GET", path="/fake/own-cors", headers=(("Origin", "http://localhost:5173"),))

    # WHEN
    response = gateway.handle(request)

    # THEN each header appears once, the function's value kept; Vary is extended, not repeated
    names = _names(response)
    for name in ("access-control-allow-origin", "access-control-expose-headers", "x-request-id", "vary"):
        assert names.count(name) == 1, name
    assert response.header("Access-Control-Expose-Headers") == "ETag"
    assert response.header("Vary") == "Accept-Language, Origin"
    assert response.header("X-Request-Id") == fake_functions.LAST_EVENTS[-1]["requestContext"]["requestId"]


def test_swagger_ui_offers_bearer_auth_for_the_secured_operations(gateway: LocalGateway) -> None:
    # GIVEN the docs page and the merged document it loads
    html = gateway.handle(_get("/docs")).body.decode()
    document = json.loads(gateway.handle(_get("/openapi.json")).body)

    # THEN Swagger UI gets an http bearer scheme (its "Authorize" button) that the admin operations require,
    # and keeps the token across reloads
    assert 'url: "/openapi.json"' in html
    assert "persistAuthorization: true" in html
    scheme = document["components"]["securitySchemes"]["cognito"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    secured = document["paths"]["/admin/fake/things"]["post"]["security"]
    assert all(name in document["components"]["securitySchemes"] for entry in secured for name in entry)


def _raw(served: str, payload: bytes) -> str:
    host, port = served.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(payload)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode()


def _raw_problem(reply: str) -> dict:
    head, _, body = reply.partition("\r\n\r\n")
    assert "content-type: application/problem+json" in head.lower(), head
    assert "x-request-id:" in head.lower(), head
    return json.loads(body)


@pytest.mark.parametrize(
    "payload",
    [
        b"POST /fake/things HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n",
        b"POST /fake/things HTTP/1.1\r\nHost: x\r\nContent-Length: -4\r\n\r\n",
        b"POST /fake/things HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde",
        b"POST /fake/things HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n",
        b"GET /fake/things HTTP/9.9\r\nHost: x\r\n\r\n",
        b"GET\r\n\r\n",
    ],
    ids=[
        "length-not-a-number",
        "negative-length",
        "two-lengths",
        "bad-chunk",
        "tls-hello",
        "version",
        "no-path",
    ],
)
def test_over_http_a_malformed_request_is_a_400_problem(served: str, payload: bytes) -> None:
    # GIVEN / WHEN a request API Gateway could not parse
    reply = _raw(served, payload)

    # THEN a 400 problem+json (no HTML page, no dropped connection) and the function never ran
    assert reply.startswith("HTTP/1.1 400"), reply[:200]
    assert _raw_problem(reply)["status"] == 400
    assert fake_functions.LAST_EVENTS == []


def test_over_http_trace_is_a_405_problem_not_a_501_page(served: str) -> None:
    # GIVEN / WHEN
    reply = _raw(served, b"TRACE /fake/things HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")

    # THEN
    assert reply.startswith("HTTP/1.1 405"), reply[:200]
    assert "allow: delete, get, head, options, patch, post, put" in reply.lower()
    assert _raw_problem(reply)["status"] == 405


def test_over_http_a_chunked_body_reaches_the_function(served: str) -> None:
    # GIVEN a client streaming its body in chunks (no Content-Length)
    def body():
        yield b'{"name":'
        yield b' "chunked"}'

    # WHEN
    response = requests.post(f"{served}/fake/things", data=body(), timeout=5)

    # THEN the function gets the whole body
    assert response.status_code == 200
    assert fake_functions.LAST_EVENTS[-1]["body"] == '{"name": "chunked"}'


def test_over_http_64_clients_at_once_are_all_answered(served: str) -> None:
    # GIVEN a function that takes a while, and 64 clients opening connections at the same moment
    start = threading.Barrier(64)
    outcomes: list[object] = []
    lock = threading.Lock()

    def client() -> None:
        start.wait()
        try:
            outcome: object = requests.get(f"{served}/fake/things", timeout=60).status_code
        except requests.RequestException as exc:
            outcome = exc
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=client) for _ in range(64)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # THEN every one waited its turn and got its answer: no reset connection
    assert outcomes == [200] * 64


def test_a_client_that_stopped_waiting_is_logged_not_a_traceback(
    served: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    from infra.local import api

    # GIVEN a client that goes away before its answer is written (a webhook sender's timeout)
    def gone(self: Any, response: Any) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(api._RequestHandler, "_write", gone)
    # WHEN it calls
    with caplog.at_level(logging.INFO, logger="infra.local.access"), pytest.raises(requests.ConnectionError):
        requests.get(f"{served}/fake/things", timeout=5)
    # THEN the access log has its line, saying so, and nothing reached the console as a traceback
    record = wait_until(
        lambda: next((r for r in caplog.records if r.name == "infra.local.access"), None),
        "the access line",
        10,
    )
    assert record.client_gone is True
    assert "(the client had gone)" in record.getMessage()
    assert "Traceback" not in capfd.readouterr().err
