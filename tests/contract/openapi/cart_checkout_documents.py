"""Does an answer match what the OpenAPI document says of its operation and status? (cart, checkout)

``DocumentedAnswers(document).check(method, path, reply)`` fails a test when the status is not listed
for the operation, the Content-Type is not the documented one, a documented success header is missing,
or the body does not validate against the documented schema (``$ref``s resolved against the document's
components, JSON Schema 2020-12 as OpenAPI 3.1 uses). The cart and checkout integration fixtures run it
on every answer they get, so each test that drives a route also proves the document tells the truth.

Another context's engineer writes the same for catalog, search and inventory: fold the two into one.
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jsonschema

from tests.support import Reply

PROBLEM_JSON = "application/problem+json"
PROBLEM = "Problem"
METHODS = ("get", "put", "post", "patch", "delete", "head", "options")


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    spec: dict[str, Any]


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    regex = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{regex}$")


@dataclass
class DocumentedAnswers:
    document: dict[str, Any]
    seen: Counter[tuple[str, str, int]] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.operations = [
            Operation(method, template, _pattern(template), spec)
            for template, item in self.document.get("paths", {}).items()
            for method, spec in item.items()
            if method in METHODS
        ]
        # Literal segments beat parameters (/me/orders before /me/orders/{id} cannot clash, but be exact).
        self.operations.sort(key=lambda o: o.template.count("{"))

    def operation(self, method: str, path: str) -> Operation:
        path = path.partition("?")[0]
        for operation in self.operations:
            if operation.method == method.lower() and operation.pattern.match(path):
                return operation
        raise AssertionError(f"{method} {path} is not in the OpenAPI document")

    def schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        """``schema`` with the document's components beside it, so ``#/components/...`` resolves."""
        return {**schema, "components": self.document.get("components", {})}

    def check(self, method: str, path: str, reply: Reply) -> None:
        if not self.documents(method, path):
            # A request for a route the API does not serve gets the problem every 4xx is documented with.
            assert reply.status in (404, 405), (
                f"{method} {path} is not documented but answered {reply.status}"
            )
            assert reply.headers.get("Content-Type") == PROBLEM_JSON
            self._validate(f"{method} {path}", {"$ref": f"#/components/schemas/{PROBLEM}"}, reply.body)
            return
        operation = self.operation(method, path)
        where = f"{method} {operation.template} answered {reply.status}"
        response = operation.spec["responses"].get(str(reply.status)) or operation.spec["responses"].get(
            "default"
        )
        assert response is not None, f"{where}, a status the document does not list: {reply.body}"
        self.seen[(method.upper(), operation.template, reply.status)] += 1
        content = response.get("content") or {}
        if not content:
            assert reply.body in ("", None), f"{where} with a body the document does not describe"
            return
        media_type = reply.headers.get("Content-Type", "").split(";")[0].strip()
        assert media_type in content, f"{where} as {media_type!r}; the document says {sorted(content)}"
        if reply.status < 300:
            missing = [h for h in response.get("headers") or {} if h.lower() not in _lowered(reply.headers)]
            assert not missing, f"{where} without the documented headers {missing}"
        body = reply.body if not isinstance(reply.body, str) else json.loads(reply.body or "null")
        schema = content[media_type].get("schema")
        assert schema, f"{where}: the document gives no schema for {media_type}"
        self._validate(where, schema, body)

    def documents(self, method: str, path: str) -> bool:
        try:
            self.operation(method, path)
        except AssertionError:
            return False
        return True

    def _validate(self, where: str, schema: dict[str, Any], body: Any) -> None:
        validator = jsonschema.Draft202012Validator(self.schema(schema))
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
        assert not errors, f"{where}; the body breaks the documented schema: " + "; ".join(
            f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors[:5]
        )


_ANSWERS: dict[str, DocumentedAnswers] = {}


def answers_for(name: str, load: Callable[[], dict[str, Any]]) -> DocumentedAnswers:
    """The ``DocumentedAnswers`` of the document ``load`` fetches, once per test session and ``name``."""
    if name not in _ANSWERS:
        _ANSWERS[name] = DocumentedAnswers(load())
    return _ANSWERS[name]


def _lowered(headers: dict[str, str]) -> set[str]:
    return {name.lower() for name in headers}


@functools.cache
def served_document(module: str, path: str) -> dict[str, Any]:
    """The OpenAPI document a function serves at ``path`` (GET through its real handler), once a session."""
    import importlib
    from unittest import mock

    from tests.conftest import LambdaContext, build_api_event
    from tests.support import reply_from

    handler = importlib.import_module(module).handler
    event = build_api_event("GET", path, groups=None)
    # Only the document is wanted: no metrics flush (other tests in this process may have left some behind).
    quiet = {"POWERTOOLS_METRICS_NAMESPACE": "shop", "POWERTOOLS_METRICS_DISABLED": "true"}
    with mock.patch.dict("os.environ", quiet):
        reply = reply_from(handler(event, LambdaContext()))
    assert reply.status == 200, reply.body
    assert isinstance(reply.body, dict)
    return reply.body


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path template, operation) for every operation of the document."""
    return [
        (method.upper(), template, spec)
        for template, item in document.get("paths", {}).items()
        for method, spec in item.items()
        if method in METHODS
    ]


def component(document: dict[str, Any], ref: str) -> dict[str, Any]:
    name = ref.removeprefix("#/components/schemas/")
    schema: dict[str, Any] = document["components"]["schemas"][name]
    return schema


def parameters(operation: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """The operation's parameters by (in, lower-case name)."""
    return {(p["in"], p["name"].lower()): p for p in operation.get("parameters") or []}


def success_schema(operation: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The first 2xx status and its application/json schema."""
    for status, response in sorted(operation["responses"].items()):
        if status.startswith("2"):
            schema = (response.get("content") or {}).get("application/json", {}).get("schema")
            assert schema, f"{status} has no application/json schema"
            return status, schema
    raise AssertionError("no 2xx response")


def assert_described(method: str, template: str, operation: dict[str, Any]) -> None:
    """A summary and a description in words (not the method and path), tags and an operation id."""
    summary, description = operation.get("summary", ""), operation.get("description", "")
    assert len(summary.split()) >= 3, f"{method} {template}: summary {summary!r}"
    assert template not in summary, summary
    assert method not in summary.split(), summary
    assert len(description.split()) >= 8, f"{method} {template}: {description!r}"
    assert description != summary
    assert operation.get("tags"), f"{method} {template} has no tag"
    assert operation.get("operationId"), f"{method} {template} has no operationId"


def assert_problems(method: str, template: str, operation: dict[str, Any]) -> None:
    """Every 4xx/5xx answer is problem+json with the one Problem schema; the common ones are there."""
    statuses = set(operation["responses"])
    assert {"400", "413", "415", "422", "429", "503"} <= statuses, f"{method} {template}: {sorted(statuses)}"
    for status, response in operation["responses"].items():
        if status[0] in "45":
            assert list(response["content"]) == [PROBLEM_JSON], f"{method} {template} {status}"
            assert response["content"][PROBLEM_JSON]["schema"] == {"$ref": f"#/components/schemas/{PROBLEM}"}


def assert_examples_fit(document: dict[str, Any], ref: str) -> None:
    """The success model has examples, and each one validates against the model's own schema."""
    schema = component(document, ref)
    examples = schema.get("examples")
    assert examples, f"{ref} has no examples"
    validator = jsonschema.Draft202012Validator({"$ref": ref, "components": document["components"]})
    for example in examples:
        errors = list(validator.iter_errors(example))
        assert not errors, f"{ref}'s example breaks its schema: {errors[0].message}"
