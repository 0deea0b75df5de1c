"""Checks that a real answer is one the OpenAPI document promises: status, content type and body schema.

``DocumentedAnswers(document).check(method, path, reply)`` finds the operation whose path template
matches ``path``, then requires the reply's status to be documented for it, its Content-Type to be one
of the documented media types, and a JSON body to validate against the documented schema (JSON Schema
2020-12, as OpenAPI 3.1 uses it; ``$ref``s resolve against the document's components). Handler tests
call it on every answer they get, so a response model that drifts from what the route returns fails
the context's ordinary tests.

Written for the catalog first and free of anything catalog-specific, so it can serve every context.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from tests.support import Reply

DOCUMENT_URI = "urn:shop:openapi"
METHODS = ("get", "put", "post", "patch", "delete", "head", "options")


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    spec: dict[str, Any]

    @property
    def name(self) -> str:
        return f"{self.method.upper()} {self.template}"


class DocumentedAnswers:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        # Schemas are validated by reference into the document, so their "#/components/..." refs
        # resolve against the document itself.
        self._registry: Registry = Registry().with_resource(
            DOCUMENT_URI, DRAFT202012.create_resource(document)
        )
        self._routes: list[tuple[re.Pattern[str], Operation]] = []
        for template, item in (document.get("paths") or {}).items():
            pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")
            for method in METHODS:
                if isinstance(item.get(method), dict):
                    self._routes.append((pattern, Operation(method, template, item[method])))
        # Literal segments win over parameters (/products/by-slug/x is not /products/{product_id}).
        self._routes.sort(key=lambda route: route[1].template.count("{"))
        self._validators: dict[str, Draft202012Validator] = {}
        self.checked: set[tuple[str, int]] = set()

    def operations(self) -> list[Operation]:
        return [operation for _, operation in self._routes]

    def operation(self, method: str, path: str) -> Operation | None:
        for pattern, operation in self._routes:
            if operation.method == method.lower() and pattern.match(path):
                return operation
        return None

    def problems(self, method: str, path: str, reply: Reply) -> list[str]:
        """What in ``reply`` the document does not promise (empty when the answer conforms)."""
        operation = self.operation(method, path)
        if operation is None:
            return []  # not an API operation (the document itself, Swagger UI, an unknown route)
        self.checked.add((operation.name, reply.status))
        responses = operation.spec.get("responses") or {}
        response = responses.get(str(reply.status)) or responses.get("default")
        if response is None:
            return [f"{operation.name} answered {reply.status}, documented: {sorted(responses)}"]
        content = response.get("content") or {}
        media = reply.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if not content:
            return (
                []
                if reply.body in ("", None)
                else [f"{operation.name} {reply.status} has an undocumented body"]
            )
        if media not in content:
            return [f"{operation.name} {reply.status} is {media or 'untyped'}, documented: {sorted(content)}"]
        if content[media].get("schema") is None or not media.endswith(("/json", "+json")):
            return []
        pointer = _pointer("paths", operation.template, operation.method, "responses")
        status = str(reply.status) if str(reply.status) in responses else "default"
        pointer += _pointer(status, "content", media, "schema")
        validator = self._validators.get(pointer)
        if validator is None:
            validator = Draft202012Validator({"$ref": f"{DOCUMENT_URI}#{pointer}"}, registry=self._registry)
            self._validators[pointer] = validator
        return [
            f"{operation.name} {reply.status} body at {'/'.join(map(str, error.absolute_path)) or '(root)'}: "
            f"{error.message}"
            for error in validator.iter_errors(reply.body)
        ]

    def check(self, method: str, path: str, reply: Reply) -> Reply:
        """``reply``, after asserting that the document promises it."""
        problems = self.problems(method, path, reply)
        assert not problems, "the answer breaks the OpenAPI document:\n" + "\n".join(problems)
        return reply


def _pointer(*parts: str) -> str:
    """A JSON pointer (RFC 6901) to ``parts``: ``~`` and ``/`` inside a part are escaped."""
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)
