"""What the search and inventory contract tests read in a served OpenAPI document: its operations, the
documentation a client or a fuzzer needs of each, parameters, and model examples that fit their schema.

Answers are checked against the document by ``tests.conformance``, the checker every context shares.
"""

from __future__ import annotations

from typing import Any

from tests import conformance

API_CONTEXTS = ("catalog", "search", "cart", "checkout", "inventory")
METHODS = ("get", "put", "post", "patch", "delete")
PROBLEM_REF = "#/components/schemas/Problem"
KERNEL_COMPONENTS = {"Problem", "FieldError", "ResponseValidationError"}


def served_document(context: str) -> dict[str, Any]:
    """The OpenAPI document ``<context>``'s API function serves at ``/<context>/openapi.json``."""
    return conformance.served_document(f"{context}.handlers.api", f"/{context}/openapi.json")


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def component(document: dict[str, Any], ref: str) -> dict[str, Any]:
    schema: dict[str, Any] = document["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return schema


def documentation_gaps(
    document: dict[str, Any], method: str, path: str, operation: dict[str, Any]
) -> list[str]:
    """What a client or a fuzzer would miss in this operation's documentation."""
    where = f"{method.upper()} {path}"
    gaps: list[str] = []
    summary = (operation.get("summary") or "").strip()
    description = (operation.get("description") or "").strip()
    if not summary or path in summary or summary.lower().startswith(method):
        gaps.append(f"{where}: the summary must say in words what the operation does ({summary!r})")
    if len(description) < 60 or description == summary:
        gaps.append(f"{where}: the description must say what it does for whom")
    if not operation.get("tags"):
        gaps.append(f"{where}: no tags")
    responses = operation.get("responses") or {}
    successes = [status for status in responses if status.startswith("2")]
    if not successes:
        gaps.append(f"{where}: no success answer")
    for status in successes:
        schema = ((responses[status].get("content") or {}).get("application/json") or {}).get("schema") or {}
        ref = schema.get("$ref")
        if not ref:
            gaps.append(f"{where} {status}: the JSON body is not a named model")
        elif not component(document, ref).get("examples"):
            gaps.append(f"{where} {status}: {ref} has no examples")
    for status, response in responses.items():
        if status[0] in "45":
            content = response.get("content") or {}
            if list(content) != ["application/problem+json"] or content["application/problem+json"].get(
                "schema"
            ) != {"$ref": PROBLEM_REF}:
                gaps.append(f"{where} {status}: not documented as application/problem+json Problem")
    for parameter in operation.get("parameters") or []:
        name, schema = parameter["name"], parameter.get("schema") or {}
        if not parameter.get("description"):
            gaps.append(f"{where}: parameter {name} has no description")
        if name == "locale" and _enum(schema) != ["en", "uk"]:
            gaps.append(f"{where}: locale must list en and uk")
        if name == "limit" and ("minimum" not in _branch(schema) or "maximum" not in _branch(schema)):
            gaps.append(f"{where}: limit must have bounds")
    return gaps


def _branch(schema: dict[str, Any]) -> dict[str, Any]:
    """The non-null branch of an optional parameter's schema."""
    for option in schema.get("anyOf") or []:
        if option.get("type") != "null":
            return {**schema, **option}
    return schema


def _enum(schema: dict[str, Any]) -> list[Any] | None:
    branch = _branch(schema)
    return branch.get("enum") or schema.get("enum")


def parameter(operation: dict[str, Any], name: str) -> dict[str, Any]:
    found = [p for p in operation.get("parameters") or [] if p["name"].lower() == name.lower()]
    assert found, f"no parameter {name}"
    return _branch(found[0]["schema"])


def invalid_examples(document: dict[str, Any], prefix: str) -> list[str]:
    """Model examples (components named ``prefix...``) that their own schema would refuse."""
    answers = conformance.DocumentedAnswers(document)
    found: list[str] = []
    for name, schema in document["components"]["schemas"].items():
        if not name.startswith(prefix):
            continue
        validator = answers.validator(f"/components/schemas/{name}")
        for index, example in enumerate(schema.get("examples") or []):
            found += [f"{name} example {index}: {error.message}" for error in validator.iter_errors(example)]
    return found
