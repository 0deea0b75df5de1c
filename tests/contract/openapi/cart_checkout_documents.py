"""What the cart and checkout contract tests read in a served OpenAPI document: operations, parameters,
success schemas, and the rules every operation's documentation follows (described, problems, examples).

Answers are checked against the document by ``tests.conformance``, the checker every context shares.
"""

from __future__ import annotations

from typing import Any

import jsonschema

PROBLEM_JSON = "application/problem+json"
PROBLEM = "Problem"
METHODS = ("get", "put", "post", "patch", "delete", "head", "options")


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
