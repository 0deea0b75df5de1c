"""How routes document their answers in the OpenAPI document: one problem model, one way to say it.

A route declares its success body and the domain refusals it can give::

    @router.get("/cart", responses=documented(ok(CartView), 404), summary="...")

``finalize()`` then adds what every operation can answer whatever its route says (400 unreadable body,
413, 415, 422 field errors, 429, 503; 401/403 where the operation is secured) and replaces Powertools'
``HTTPValidationError`` 422 with ``application/problem+json``, so no route can forget them and the
document lists every status a client can meet. It also documents what ``shop_kernel.proxy.finish``
adds to every answer: ``X-Request-Id`` everywhere, ``Retry-After`` on 429/503, and on a public read
(a GET whose 200 documents ``Cache-Control``, e.g. ``ok(Model, public_cache=True)``) the
``If-None-Match`` parameter and its 304. ``serve_openapi`` runs it on each function's document and the
gateway on the merged one.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from aws_lambda_powertools.event_handler.openapi.params import Header, Query
from pydantic import BaseModel, Field

from shop_kernel.errors import FieldError
from shop_kernel.locale import SUPPORTED_LOCALES

PROBLEM_JSON = "application/problem+json"
PROBLEM_SCHEMA_NAME = "Problem"
PROBLEM_REF = f"#/components/schemas/{PROBLEM_SCHEMA_NAME}"

# Statuses any operation can answer, with the reason in words (the response's description).
COMMON_PROBLEMS: dict[int, str] = {
    400: "The request could not be read (malformed JSON, a body that is not UTF-8, a bad header value)",
    413: "The body is larger than the API accepts",
    415: "The Content-Type is not application/json",
    422: "One or more fields are not valid, or a query parameter the operation does not list was sent (query "
    "parameters are closed, like bodies); `errors` names each one",
    429: "Too many requests; retry after the `Retry-After` seconds",
    503: "A service we depend on is unavailable; retry after the `Retry-After` seconds",
}
SECURED_PROBLEMS: dict[int, str] = {
    401: "No valid bearer token",
    403: "The caller's group may not use this operation",
}
DOMAIN_PROBLEMS: dict[int, str] = {
    404: "No such resource",
    409: "Conflicts with the current state (the problem's detail says which)",
    412: "The resource changed since the ETag sent in If-Match",
    428: "If-Match is required: send the ETag of the version you read",
}


# A header or query parameter the route itself checks: documented as required, optional for Powertools
# so that a missing value gets the route's own refusal (a 400 naming it) rather than a generic 422.
REQUIRED_BY_ROUTE = "x-required-by-route"
BEARER_SCHEME_NAME = "cognito"
BEARER_SECURITY: list[dict[str, list[str]]] = [{BEARER_SCHEME_NAME: []}]


def bearer_scheme() -> dict[str, Any]:
    """The Cognito bearer scheme, for ``app.configure_openapi(security_schemes=...)``."""
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    scheme = HTTPBearer(bearerFormat="JWT", description="Cognito ID token (Authorization: Bearer <token>)")
    return {BEARER_SCHEME_NAME: scheme}


def route_checked(**schema: Any) -> dict[str, Any]:
    """``json_schema_extra`` for a parameter the route requires and checks itself (see ``finalize``).

    ``schema`` adds documented constraints (``pattern``, ``maxLength``) that Powertools must not
    enforce, because the route's refusal is the one meant (e.g. a malformed cart token is a 400)."""
    return {REQUIRED_BY_ROUTE: True, **schema}


# Python's ``\s`` (the server's) and ECMA's (the document's, JSON Schema) differ: Python also counts
# \x1c-\x1f and \x85, ECMA also \ufeff. A class excluding ``\s`` and those reads the same in both.
NOT_SPACE = r"[^\s\x1c-\x1f\x85\ufeff]"


class Problem(BaseModel):
    """An error answer (RFC 9457 problem details), the same shape for every error of every operation."""

    type: str = Field(
        description="A URI naming the kind of problem", examples=["https://problems.shop.example/not-found"]
    )
    title: str = Field(description="The kind of problem in words", examples=["Not found"])
    status: int = Field(description="The HTTP status, repeated", examples=[404])
    detail: str | None = Field(default=None, description="What went wrong with this request")
    instance: str | None = Field(default=None, description="The request path")
    errors: list[FieldError] = Field(default_factory=list, description="One entry per offending field")
    request_id: str | None = Field(
        default=None, description="Quote it to support: the request's id in our logs"
    )

    model_config = {"extra": "allow"}


# Headers ``shop_kernel.proxy.finish`` adds; documented by ``finalize``.
REQUEST_ID_HEADER_DOC = {
    "description": "The request's id in our logs: quote it to support",
    "schema": {"type": "string"},
}
RETRY_AFTER_HEADER_DOC = {
    "description": "Seconds to wait before retrying",
    "schema": {"type": "integer", "minimum": 0},
}
PUBLIC_CACHE_HEADERS = {
    "Cache-Control": "public, max-age=30: shared caches may keep this answer for 30 seconds",
    "ETag": "Send it back in If-None-Match to get a 304 while the answer is unchanged",
}
NOT_MODIFIED = "Not modified: the ETag in If-None-Match is still current (no body)"
IF_NONE_MATCH_PARAMETER = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "The ETag of the answer you hold; a 304 without body when it is still current",
    "schema": {"type": "string"},
}


def ok(
    model: Any,
    description: str = "OK",
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    public_cache: bool = False,
) -> dict[int, Any]:
    """A success answer with a JSON body of ``model`` (a pydantic model, or ``list[Model]``).

    ``headers`` documents response headers by name and description (``{"ETag": "the version"}``).
    ``public_cache`` documents a public read: ``Cache-Control``, ``ETag`` (and, by ``finalize``, 304).
    """
    response: dict[str, Any] = {"description": description, "content": {"application/json": {"model": model}}}
    if public_cache:
        headers = {**PUBLIC_CACHE_HEADERS, **(headers or {})}
    if headers:
        response["headers"] = {
            name: {"description": text, "schema": {"type": "string"}} for name, text in headers.items()
        }
    return {status: response}


def no_content(
    description: str = "Done; no body", *, status: int = 204, headers: dict[str, str] | None = None
) -> dict[int, Any]:
    response: dict[str, Any] = {"description": description}
    if headers:
        response["headers"] = {
            name: {"description": text, "schema": {"type": "string"}} for name, text in headers.items()
        }
    return {status: response}


def problem(status: int, description: str | None = None) -> dict[int, Any]:
    """A documented refusal answered as ``application/problem+json``."""
    text = (
        description
        or DOMAIN_PROBLEMS.get(status)
        or SECURED_PROBLEMS.get(status)
        or COMMON_PROBLEMS.get(status)
        or "Refused"
    )
    return {status: {"description": text, "content": {PROBLEM_JSON: {"model": Problem}}}}


def documented(*parts: dict[int, Any] | int) -> dict[int, Any]:
    """Joins ``ok(...)``/``problem(...)`` parts; a bare status is ``problem(status)``."""
    merged: dict[int, Any] = {}
    for part in parts:
        merged.update(problem(part) if isinstance(part, int) else part)
    return merged


# Request parameters more than one context reads, typed once so the document says what the server accepts.
LocaleCode = Literal["en", "uk"]
assert get_args(LocaleCode) == SUPPORTED_LOCALES, "LocaleCode must list exactly the supported locales"
# What ``shop_kernel.http.parse_if_match`` reads: an entity tag of digits, quoted or weak; versions fit 15 digits.
IF_MATCH_PATTERN = r'^\s*(\*|(W/)?"?[0-9]{1,15}"?)\s*$'

LocaleOverride = Annotated[
    LocaleCode | None,
    Query(
        description="The language of the answer; wins over Accept-Language. Absent: Accept-Language decides"
    ),
]
AcceptLanguage = Annotated[
    str | None,
    Header(
        alias="Accept-Language",
        description="Preferred languages (RFC 9110, q-values honoured); en or uk is chosen, en when neither fits",
        examples=["uk-UA,uk;q=0.9,en;q=0.8"],
    ),
]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        pattern=IF_MATCH_PATTERN,
        description="The ETag of the version you read, so that a change made meanwhile is refused (412); "
        "* for whatever version is current (the resource must exist)",
        examples=['"3"'],
    ),
]


def _problem_content() -> dict[str, Any]:
    return {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}}


def _problem_schemas() -> dict[str, Any]:
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    definitions = schema.pop("$defs", {})
    return {PROBLEM_SCHEMA_NAME: schema, **definitions}


def finalize(document: dict[str, Any], *, secured: bool | None = None) -> dict[str, Any]:
    """Adds the common problem answers to every operation and drops Powertools' validation models.

    ``secured``: ``None`` adds 401/403 to operations that carry a ``security`` requirement; ``True``
    adds them everywhere (a function whose every route is authorised).
    """
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(name, None)
    # Powertools adds it for routes with a custom response-validation status; its $ref to the dropped
    # ValidationError would dangle, and no route here uses it.
    if "#/components/schemas/ResponseValidationError" not in str(document.get("paths")):
        schemas.pop("ResponseValidationError", None)
    schemas.update(_problem_schemas())
    _close_pattern_properties(schemas)
    for item in (document.get("paths") or {}).values():
        for method, operation in item.items():
            if method not in {"get", "put", "post", "patch", "delete", "head", "options"} or not isinstance(
                operation, dict
            ):
                continue
            _promote_route_checked(operation)
            responses = operation.setdefault("responses", {})
            wanted = dict(COMMON_PROBLEMS)
            if secured or (secured is None and operation.get("security")):
                wanted.update(SECURED_PROBLEMS)
            for status, text in wanted.items():
                current = responses.get(str(status))
                if current is None or "HTTPValidationError" in str(current):
                    responses[str(status)] = {"description": text, "content": _problem_content()}
            for status, response in responses.items():
                if status.startswith(("4", "5")) and isinstance(response, dict):
                    response["content"] = _problem_content()
            if method == "get":
                _document_not_modified(operation, responses)
            _document_answer_headers(responses)
    return document


def _document_not_modified(operation: dict[str, Any], responses: dict[str, Any]) -> None:
    """A public read (its 200 documents Cache-Control) can answer 304 to If-None-Match."""
    success = responses.get("200")
    if not isinstance(success, dict) or "Cache-Control" not in (success.get("headers") or {}):
        return
    responses.setdefault("304", {"description": NOT_MODIFIED})
    parameters = operation.setdefault("parameters", [])
    if not any(p.get("name", "").lower() == "if-none-match" for p in parameters if isinstance(p, dict)):
        parameters.append(dict(IF_NONE_MATCH_PARAMETER))


def _document_answer_headers(responses: dict[str, Any]) -> None:
    for status, response in responses.items():
        if not isinstance(response, dict):
            continue
        headers = response.setdefault("headers", {})
        headers.setdefault("X-Request-Id", dict(REQUEST_ID_HEADER_DOC))
        if status in ("429", "503"):
            headers.setdefault("Retry-After", dict(RETRY_AFTER_HEADER_DOC))


def _promote_route_checked(operation: dict[str, Any]) -> None:
    """Parameters marked ``route_checked()`` become required; every parameter loses the ``null`` branch an
    optional Python value gives it (a header or query value is a string or absent, never null)."""
    for parameter in operation.get("parameters") or []:
        schema = parameter.get("schema") or {}
        if schema.pop(REQUIRED_BY_ROUTE, False):
            parameter["required"] = True
        branches = [b for b in schema.get("anyOf", []) if b.get("type") != "null"]
        if "anyOf" in schema and len(branches) == 1:
            rest = {k: v for k, v in schema.items() if k != "anyOf"}
            parameter["schema"] = {**branches[0], **rest}


def _close_pattern_properties(node: Any) -> None:
    """A ``dict`` with constrained keys refuses other keys: say so (pydantic leaves other keys open)."""
    if isinstance(node, dict):
        if "patternProperties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            _close_pattern_properties(value)
    elif isinstance(node, list):
        for value in node:
            _close_pattern_properties(value)
