"""Is an answer one the served OpenAPI document promises? The one checker every context's handler tests use.

``DocumentedAnswers(document).check(method, path, reply)`` finds the operation whose path template matches
``path`` (a literal segment wins over a parameter) and fails the test unless:

- the status is listed for the operation (or a ``default`` answer is);
- every response header the document lists for that status was sent (``X-Request-Id`` on every answer,
  ``ETag``/``Location``/``Cache-Control`` where promised), unless it says ``required: false`` (a next-page
  cursor absent on the last page): a stricter reading than OpenAPI's default, so a promise cannot be dropped;
- an answer documented without content has no body; otherwise the Content-Type is a documented one, a JSON
  media type has a schema, and the body validates against it (JSON Schema 2020-12, as OpenAPI 3.1 uses it;
  ``$ref``s resolve against the document itself); a non-JSON body (a CSV export) against its schema if any;
- a request the document does not list (an unknown route, a method the route does not take) got a 4xx
  ``application/problem+json`` with the Problem schema; only the document itself and its Swagger UI may
  answer otherwise.

Each context's ``call`` fixture wraps its handler with ``checked``, so every integration test that drives a
route also proves the published contract describes what the server really sends. ``checked_statuses``
counts what was seen per operation, for tests that want every operation's success covered.
"""

from __future__ import annotations

import copy
import functools
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from tests.support import Reply

DOCUMENT_URI = "urn:shop:openapi"
METHODS = ("get", "put", "post", "patch", "delete", "head", "options")
PROBLEM_JSON = "application/problem+json"
PROBLEM_REF = "#/components/schemas/Problem"
# Routes a function serves outside its document: the document itself and Swagger UI (with its assets).
DOCUMENTATION_ROUTE = re.compile(r"/(openapi\.json|docs)(/|$)|/docs\.")
_PARAMETER = re.compile(r"\{[^/{}]+\}")


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    spec: dict[str, Any]
    pattern: re.Pattern[str]

    @property
    def name(self) -> str:
        return f"{self.method.upper()} {self.template}"


def _pattern(template: str) -> re.Pattern[str]:
    """``/search/products/{product_id}/similar`` -> a regex matching request paths of that template."""
    return re.compile("^" + "[^/]+".join(re.escape(part) for part in _PARAMETER.split(template)) + "$")


def _pointer(*parts: str) -> str:
    """A JSON pointer (RFC 6901) to ``parts``: ``~`` and ``/`` inside a part are escaped."""
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


class DocumentedAnswers:
    """What one OpenAPI document says of each operation's answers; ``check`` holds a reply to it."""

    def __init__(self, document: dict[str, Any]) -> None:
        assert isinstance(document, dict), f"not an OpenAPI document: {document!r:.200}"
        assert document.get("paths"), f"an OpenAPI document without paths: {document!r:.200}"
        self.document = document
        self._registry: Registry = Registry().with_resource(
            DOCUMENT_URI, DRAFT202012.create_resource(document)
        )
        self._operations = sorted(
            (
                Operation(method, template, spec, _pattern(template))
                for template, item in document["paths"].items()
                for method, spec in item.items()
                if method in METHODS and isinstance(spec, dict)
            ),
            key=lambda operation: len(_PARAMETER.findall(operation.template)),
        )
        self._validators: dict[str, Draft202012Validator] = {}
        # (operation name, status) -> how many answers were checked.
        self.checked_statuses: Counter[tuple[str, int]] = Counter()

    def operations(self) -> list[Operation]:
        return list(self._operations)

    def operation(self, method: str, path: str) -> Operation | None:
        path = path.partition("?")[0]
        for operation in self._operations:
            if operation.method == method.lower() and operation.pattern.match(path):
                return operation
        return None

    def validator(self, pointer: str) -> Draft202012Validator:
        """A validator for the schema at ``pointer`` in the document (``/components/schemas/Problem``)."""
        if pointer not in self._validators:
            self._validators[pointer] = Draft202012Validator(
                {"$ref": f"{DOCUMENT_URI}#{pointer}"}, registry=self._registry
            )
        return self._validators[pointer]

    def problems(self, method: str, path: str, reply: Reply) -> list[str]:
        """What in ``reply`` the document does not promise (empty when the answer conforms)."""
        operation = self.operation(method, path)
        if operation is None:
            return self._unlisted(method, path, reply)
        where = f"{operation.name} answered {reply.status}"
        responses = operation.spec.get("responses") or {}
        status = str(reply.status) if str(reply.status) in responses else "default"
        response = responses.get(status)
        if response is None:
            return [f"{where}, a status the document does not list (documented: {sorted(responses)})"]
        self.checked_statuses[(operation.name, reply.status)] += 1
        sent = {name.lower() for name in reply.headers}
        promised = (response.get("headers") or {}).items()
        missing = [
            name for name, doc in promised if doc.get("required") is not False and name.lower() not in sent
        ]
        found = [f"{where} without the documented headers {missing}"] if missing else []
        content = response.get("content") or {}
        if not content:
            if reply.body not in ("", None):
                found.append(f"{where} with a body the document does not describe")
            return found
        media = reply.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if media not in content:
            return [*found, f"{where} as {media or 'untyped'!r}; the document says {sorted(content)}"]
        if content[media].get("schema") is None:
            json_media = media.endswith(("/json", "+json"))
            return [*found, f"{where}: the document gives no schema for {media}"] if json_media else found
        pointer = _pointer("paths", operation.template, operation.method, "responses", status)
        pointer += _pointer("content", media, "schema")
        return found + [
            f"{where}; the body breaks the documented schema at "
            f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
            for error in self.validator(pointer).iter_errors(reply.body)
        ]

    def _unlisted(self, method: str, path: str, reply: Reply) -> list[str]:
        where = f"{method.upper()} {path} (not in the document) answered {reply.status}"
        if reply.status < 400 and DOCUMENTATION_ROUTE.search(path.partition("?")[0]):
            return []
        if not 400 <= reply.status < 500:
            return [f"{where}: only an error problem may answer a request the document does not list"]
        media = reply.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if media != PROBLEM_JSON:
            return [f"{where} as {media or 'untyped'!r}; the document says {PROBLEM_JSON}"]
        problem = self.validator(PROBLEM_REF.removeprefix("#"))
        return [
            f"{where}; the body breaks the documented schema: {error.message}"
            for error in problem.iter_errors(reply.body)
        ]

    def check(self, method: str, path: str, reply: Reply) -> Reply:
        """``reply``, after asserting that the document promises it."""
        found = self.problems(method, path, reply)
        assert not found, "the answer breaks the OpenAPI document:\n" + "\n".join(found)
        return reply


def checked(call: Callable[..., Reply], answers: DocumentedAnswers) -> Callable[..., Reply]:
    """``call`` (``call(method, path, body=None, **kwargs)``) failing the test on an undocumented answer."""

    def _checked(method: str, path: str, body: Any = None, **kwargs: Any) -> Reply:
        return answers.check(method, path, call(method, path, body, **kwargs))

    return _checked


_ANSWERS: dict[str, DocumentedAnswers] = {}


def answers_for(name: str, load: Callable[[], dict[str, Any]]) -> DocumentedAnswers:
    """The ``DocumentedAnswers`` of the document ``load`` fetches, once per test session and ``name``."""
    if name not in _ANSWERS:
        _ANSWERS[name] = DocumentedAnswers(load())
    return _ANSWERS[name]


def served_document(module: str, path: str) -> dict[str, Any]:
    """The OpenAPI document the function ``module`` serves at ``path`` (its real handler), a fresh copy."""
    return copy.deepcopy(_served_document(module, path))


@functools.cache
def _served_document(module: str, path: str) -> dict[str, Any]:
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
