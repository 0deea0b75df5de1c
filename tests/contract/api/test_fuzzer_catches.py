"""The fuzzer fails on what it is meant to catch, shown on a tiny API that misbehaves on purpose.

A suite that passes whatever the server answers proves nothing. This one serves a four-route document
over HTTP and answers each route wrongly in one way: a status the document does not list (418), a
server error, a 400 for a request the document allows, and an error that is not problem+json. It also
checks the access rule with a protected route that lets a customer in. A well-behaved route shows the
same harness stays quiet when the answers are right.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from schemathesis import GenerationMode

from tests.contract.api import fuzzing
from tests.contract.api.known_values import KnownValues

PROBLEM = {"$ref": "#/components/schemas/Problem"}
ITEM = {
    "type": "object",
    "properties": {"id": {"type": "string"}, "quantity": {"type": "integer"}},
    "required": ["id", "quantity"],
}


def _operation(ok_schema: dict[str, Any], *, secured: bool = False) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "parameters": [
            {"name": "quantity", "in": "query", "required": True, "schema": {"type": "integer", "minimum": 1}}
        ],
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": ok_schema}}},
            "422": {"description": "Invalid", "content": {"application/problem+json": {"schema": PROBLEM}}},
        },
    }
    if secured:
        operation["security"] = [{"bearer": []}]
        operation["responses"]["401"] = {
            "description": "No token",
            "content": {"application/problem+json": {"schema": PROBLEM}},
        }
        operation["responses"]["403"] = {
            "description": "Wrong group",
            "content": {"application/problem+json": {"schema": PROBLEM}},
        }
    return operation


DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "misbehaving", "version": "1"},
    "paths": {
        "/items/teapot": {"get": _operation(ITEM)},
        "/items/crash": {"get": _operation(ITEM)},
        "/items/picky": {"get": _operation(ITEM)},
        "/items/plain-error": {"get": _operation(ITEM)},
        "/items/fine": {"get": _operation(ITEM)},
        "/me/items": {"get": _operation(ITEM, secured=True)},
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Problem": {
                "type": "object",
                "properties": {
                    "type": {"type": "string"},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                },
                "required": ["type", "title", "status"],
            }
        },
    },
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        if path == "/openapi.json":
            return self._send(200, "application/json", DOCUMENT)
        quantity = query.removeprefix("quantity=")
        if not quantity.lstrip("-").isdigit() or int(quantity) < 1:
            return self._problem(422)
        answers = {
            "/items/teapot": lambda: self._problem(418),
            "/items/crash": lambda: self._problem(500),
            "/items/picky": lambda: self._problem(400),
            "/items/plain-error": lambda: self._send(422, "text/plain", "no"),
            "/items/fine": lambda: self._send(
                200, "application/json", {"id": "a", "quantity": int(quantity)}
            ),
            # Protected, but it never looks at the token: everyone gets in.
            "/me/items": lambda: self._send(200, "application/json", {"id": "a", "quantity": int(quantity)}),
        }
        answers.get(path, lambda: self._problem(404))()

    def _problem(self, status: int) -> None:
        self._send(
            status, "application/problem+json", {"type": "about:blank", "title": "x", "status": status}
        )

    def _send(self, status: int, content_type: str, body: Any) -> None:
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def misbehaving_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _fuzz(api: str, path: str, roles: dict[str, dict[str, str]]) -> dict[str, fuzzing.OperationReport]:
    schema = fuzzing.load_schema(api)
    (operation,) = [r.ok() for r in schema.get_all_operations() if r.ok().path == path]
    return fuzzing.fuzz_operation(
        operation,
        roles,
        api=api,
        known=KnownValues(),
        examples={GenerationMode.POSITIVE: 5, GenerationMode.NEGATIVE: 5},
        derandomize=True,
    )


ANONYMOUS: dict[str, dict[str, str]] = {"anonymous": {}}


def _failures(report: fuzzing.OperationReport) -> str:
    return "\n".join(report.failures)


def test_an_undocumented_418_fails_the_operation(misbehaving_api: str) -> None:
    # GIVEN a route whose document lists 200 and 422 but which answers 418 to valid requests
    # WHEN it is fuzzed
    report = _fuzz(misbehaving_api, "/items/teapot", ANONYMOUS)["anonymous"]

    # THEN the report names the undocumented status
    assert "Undocumented status code: Received: 418" in _failures(report)
    assert report.statuses[418] >= 1


def test_a_server_error_fails_the_operation(misbehaving_api: str) -> None:
    # GIVEN / WHEN
    report = _fuzz(misbehaving_api, "/items/crash", ANONYMOUS)["anonymous"]

    # THEN
    assert "Server error" in _failures(report)


def test_a_400_for_a_request_the_document_allows_fails_the_operation(misbehaving_api: str) -> None:
    # GIVEN a route that refuses schema-valid requests with 400
    # WHEN / THEN the refusal rule names it
    report = _fuzz(misbehaving_api, "/items/picky", ANONYMOUS)["anonymous"]
    assert "a schema-valid request from anonymous got 400" in _failures(report)


def test_an_error_that_is_not_problem_json_fails_the_operation(misbehaving_api: str) -> None:
    # GIVEN a route whose validation errors are text/plain
    # WHEN / THEN
    report = _fuzz(misbehaving_api, "/items/plain-error", ANONYMOUS)["anonymous"]
    assert "answered as text/plain, not application/problem+json" in _failures(report)


def test_a_protected_route_that_lets_a_customer_in_fails_for_that_role(misbehaving_api: str) -> None:
    # GIVEN a route under /me/ (customers only) that never checks the caller
    roles = {"anonymous": {}, "merchandisers": {"Authorization": "Bearer not-a-customer"}}

    # WHEN it is fuzzed anonymously and as a merchandiser
    reports = _fuzz(misbehaving_api, "/me/items", roles)

    # THEN both are told they should have been refused
    assert "anonymous may not call this operation: expected 401, got 200" in _failures(reports["anonymous"])
    assert "merchandisers may not call this operation: expected 403, got 200" in _failures(
        reports["merchandisers"]
    )


def test_a_route_that_answers_as_documented_passes(misbehaving_api: str) -> None:
    # GIVEN / WHEN
    report = _fuzz(misbehaving_api, "/items/fine", ANONYMOUS)["anonymous"]

    # THEN nothing failed, and both kinds of cases were sent with every check
    assert report.failures == {}
    assert report.cases["positive"] == 5
    assert report.cases["negative"] >= 1
    assert {"not_a_server_error", "status_code_conformance", "response_schema_conformance"} <= set(
        report.checks
    )


def test_a_narrower_prefix_in_the_access_table_decides_before_its_wider_one() -> None:
    # GIVEN the review route (agents only) inside the staff's orders prefix (agents and ops)
    # WHEN the fuzzer asks who may call each
    review = fuzzing.allowed_roles("/admin/orders/{order_id}/review")
    cancellation = fuzzing.allowed_roles("/admin/orders/{order_id}/cancellation")
    # THEN ops are expected to be refused the review, not the cancellation
    assert review == frozenset({"agents"})
    assert cancellation == frozenset({"agents", "ops"})
