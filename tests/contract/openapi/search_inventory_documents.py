"""Answers checked against the OpenAPI document their function serves (search and inventory suites).

``conformance_checked(call, document)`` wraps a suite's ``call`` fixture: every answer to a documented
operation must carry a documented status, a documented content type, every documented response header,
and a body valid against the schema the document gives for that status (``$ref``s resolved against the
document's own components, JSON Schema 2020-12 as OpenAPI 3.1 says). So every integration test that
already drives the handler also proves the published contract describes what the server really sends.
Requests to paths or methods the document does not list (the "no such route" tests) are not checked.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jsonschema import Draft202012Validator

from tests.support import Reply

_PARAM = re.compile(r"\{[^/{}]+\}")


def _pattern(template: str) -> re.Pattern[str]:
    """``/search/products/{product_id}/similar`` -> a regex matching request paths of that template."""
    return re.compile("^" + "[^/]+".join(re.escape(part) for part in _PARAM.split(template)) + "$")


class OpenApiDocument:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self._templates = [(template, _pattern(template)) for template in document.get("paths") or {}]

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        """The documented operation answering ``method path`` (a literal segment wins over a parameter)."""
        candidates = [
            template
            for template, pattern in self._templates
            if pattern.match(path) and method.lower() in self.document["paths"][template]
        ]
        if not candidates:
            return None
        template = min(candidates, key=lambda t: len(_PARAM.findall(t)))
        return template, self.document["paths"][template][method.lower()]

    def schema_validator(self, schema: dict[str, Any]) -> Draft202012Validator:
        # Local ``#/components/...`` refs resolve against the root: give the root the document's components.
        root = {**schema, "components": self.document.get("components") or {}}
        return Draft202012Validator(root)

    def violations(self, method: str, path: str, reply: Reply) -> list[str]:
        """What in ``reply`` the document does not allow (empty when it conforms or is undocumented)."""
        found = self.operation(method, path)
        if found is None:
            return []
        template, operation = found
        where = f"{method.upper()} {template} -> {reply.status}"
        response = (operation.get("responses") or {}).get(str(reply.status))
        if response is None:
            return [f"{where}: status not documented (documented: {sorted(operation['responses'])})"]
        problems: list[str] = []
        sent = {name.lower() for name in reply.headers}
        problems += [
            f"{where}: documented header {name} missing"
            for name in response.get("headers") or {}
            if name.lower() not in sent
        ]
        content = response.get("content") or {}
        if not content:
            if reply.body not in ("", None):
                problems.append(f"{where}: a body where the document says none")
            return problems
        media = reply.headers.get("Content-Type", "").split(";")[0].strip()
        if media not in content:
            return [*problems, f"{where}: content type {media!r} not documented ({sorted(content)})"]
        schema = content[media].get("schema")
        if not schema:
            return [*problems, f"{where}: {media} has no schema"]
        for error in self.schema_validator(schema).iter_errors(reply.body):
            location = "/".join(str(p) for p in error.absolute_path) or "(body)"
            problems.append(f"{where}: {location}: {error.message}")
        return problems


def conformance_checked(call: Callable[..., Reply], document: dict[str, Any]) -> Callable[..., Reply]:
    """``call`` that fails the test when an answer does not match ``document``."""
    assert isinstance(document, dict), f"not an OpenAPI document: {document!r:.200}"
    assert document.get("paths"), f"not an OpenAPI document: {document!r:.200}"
    checker = OpenApiDocument(document)

    def checked(method: str, path: str, body: Any = None, **kwargs: Any) -> Reply:
        reply = call(method, path, body, **kwargs)
        violations = checker.violations(method, path, reply)
        assert not violations, "the answer does not match the OpenAPI document:\n" + "\n".join(violations)
        return reply

    return checked


# --- what the contract tests read in a served document ----------------------------------------------

API_CONTEXTS = ("catalog", "search", "cart", "checkout", "inventory")
METHODS = ("get", "put", "post", "patch", "delete")
PROBLEM_REF = "#/components/schemas/Problem"
KERNEL_COMPONENTS = {"Problem", "FieldError", "ResponseValidationError"}


def served_document(context: str) -> dict[str, Any]:
    """The OpenAPI document ``<context>``'s API function serves at ``/<context>/openapi.json``."""
    import importlib

    from tests.conftest import LambdaContext, build_api_event
    from tests.support import reply_from

    # The function's resolver itself: the handler's metrics wrapper would flush whatever metrics earlier
    # tests left in the shared registry, and needs a namespace only the function's environment gives.
    app = importlib.import_module(f"{context}.handlers.api").app
    event = build_api_event("GET", f"/{context}/openapi.json", groups=None)
    reply = reply_from(app.resolve(event, LambdaContext()))
    assert reply.status == 200, reply.body
    document: dict[str, Any] = reply.body
    return document


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
    checker = OpenApiDocument(document)
    found: list[str] = []
    for name, schema in document["components"]["schemas"].items():
        if not name.startswith(prefix):
            continue
        validator = checker.schema_validator({"$ref": f"#/components/schemas/{name}"})
        for index, example in enumerate(schema.get("examples") or []):
            found += [f"{name} example {index}: {error.message}" for error in validator.iter_errors(example)]
    return found
