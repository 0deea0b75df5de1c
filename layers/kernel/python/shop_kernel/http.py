"""HTTP glue for Powertools ``APIGatewayRestResolver``: error mapping, unreadable bodies, ETags.

``api_function()`` builds an API function (its resolver, routers, OpenAPI document and handler) and
``build_resolver()`` a resolver with validation enabled and every error mapped once to
``application/problem+json``. Nothing a client sends can produce a 5xx: a body nothing could read is
a 400 (413 when too large, 415 for a media type the route does not take) before Powertools parses it;
unexpected exceptions are logged and reported as 503 with ``Retry-After`` only when a dependency
failed, otherwise the bug surfaces as a 500 with no internals in the body (and an alarm in the cloud).
Every answer, including those of checks that run before the resolver, is finished by
``shop_kernel.proxy.finish``: request id, CORS, caching headers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from re import Match
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import ResponseBuilder, Route, Router
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.logging import correlation_paths
from botocore.exceptions import BotoCoreError, ClientError

from shop_kernel.auth import Group, require
from shop_kernel.cors import cors_policy
from shop_kernel.errors import (
    PROBLEM_BASE,
    DependencyUnavailable,
    DomainError,
    FieldError,
    MalformedRequest,
    MethodNotAllowed,
    NotFound,
    PreconditionFailed,
    UnsupportedMediaType,
    ValidationFailed,
)
from shop_kernel.observability import logger, metrics
from shop_kernel.openapi import finalize
from shop_kernel.proxy import (
    MAX_BODY_BYTES,
    PROBLEM_JSON,
    PUBLIC_CACHE,
    finish,
    is_preflight,
    preflight_answer,
    problem_answer,
    request_id_of,
    unreadable_body,
    with_whole_numbers,
)

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.models import SecurityScheme, Tag
    from aws_lambda_powertools.utilities.typing import LambdaContext

__all__ = ["MAX_BODY_BYTES", "PROBLEM_JSON", "PUBLIC_CACHE"]

_TRANSIENT = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionInProgressException",
}


def problem_response(error: DomainError, path: str | None = None) -> Response:
    headers: dict[str, str] = {}
    if error.retry_after_s is not None:
        headers["Retry-After"] = str(error.retry_after_s)
    if isinstance(error, MethodNotAllowed):
        headers["Allow"] = ", ".join(error.allowed)
    return Response(
        status_code=error.status,
        content_type=PROBLEM_JSON,
        body=json.dumps(error.problem(path), default=str),
        headers=headers,
    )


def _field_path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


def validation_problem(exc: RequestValidationError) -> DomainError:
    errors = []
    for err in exc.errors():
        kind = err.get("type", "invalid")
        message = err.get("msg", "invalid value")
        if kind == "extra_forbidden":
            message = "unknown field: remove it (prices, totals and ids are computed by the server)"
        if kind == "json_invalid":
            return MalformedRequest("the body is not valid JSON")
        errors.append(FieldError(field=_field_path(tuple(err.get("loc", ()))), message=message, code=kind))
    return ValidationFailed("one or more fields are not valid", errors=errors)


def _is_transient(exc: Exception) -> bool:
    if isinstance(exc, BotoCoreError):
        return True
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code") in _TRANSIENT
    return False


class ShopResolver(APIGatewayRestResolver):
    """Answers preflights and refuses unreadable bodies before anything parses them (validation runs
    before middlewares), then finishes every answer (request id, CORS, caching)."""

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        policy = cors_policy()
        if policy.enabled and is_preflight(event):
            answer = preflight_answer(event, policy)
        elif (refusal := unreadable_body(event)) is not None:
            answer = problem_answer(refusal, event.get("path"))
        else:
            answer = super().resolve(with_whole_numbers(dict(event)), context)
        return finish(answer, event, request_id_of(event, context), policy)

    def _convert_matches_into_route_keys(self, match: Match[str]) -> dict[str, str]:
        """Path parameters as the client meant them: API Gateway REST passes the path still
        percent-encoded (``pathParameters`` would be decoded), and routes match on the path."""
        return {name: unquote(value) for name, value in match.groupdict().items()}

    def _call_route(self, route: Route, route_arguments: dict[str, str]) -> ResponseBuilder:
        unknown = undeclared_query_parameters(route, self.current_event.raw_event)
        if not unknown:
            return super()._call_route(route, route_arguments)
        errors = [
            FieldError(
                field=f"query.{name}",
                message="unknown query parameter: the operation's documented parameters are the only ones read",
                code="unknown_parameter",
            )
            for name in unknown
        ]
        refusal = ValidationFailed("one or more fields are not valid", errors=errors)
        return self._response_builder_class(
            response=problem_response(refusal, self.current_event.path),
            serializer=self._serializer,
            route=route,
        )

    def allowed_methods(self, path: str) -> list[str]:
        """The methods some route serves ``path`` with (API Gateway's ``ANY`` sends every method here)."""
        routes = [*getattr(self, "_static_routes", []), *getattr(self, "_dynamic_routes", [])]
        return sorted({route.method for route in routes if route.rule.match(path)})


def undeclared_query_parameters(route: Route, event: Mapping[str, Any]) -> list[str]:
    """Query parameters of ``event`` that ``route`` does not declare (none for a route outside the document).

    Query parameters are closed like request bodies (which refuse unknown fields): a misspelt ``limt``
    is refused rather than silently ignored, and the OpenAPI document's list is the whole truth.
    """
    if not route.include_in_schema:
        return []
    sent = {
        *(event.get("queryStringParameters") or {}),
        *(event.get("multiValueQueryStringParameters") or {}),
    }
    declared = {field.alias for field in route.dependant.query_params}
    return sorted(str(name) for name in sent if name not in declared)


def build_resolver(**kwargs: Any) -> ShopResolver:
    """A REST resolver with validation, problem+json errors, body checks and finished answers."""
    app = ShopResolver(enable_validation=True, **kwargs)

    @app.exception_handler(DomainError)
    def _domain(exc: DomainError) -> Response:
        return problem_response(exc, app.current_event.path)

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError) -> Response:
        return problem_response(validation_problem(exc), app.current_event.path)

    # Powertools raises it when a route with a body model gets a media type it cannot parse.
    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported(_: RequestUnsupportedContentType) -> Response:
        refusal = UnsupportedMediaType("send the body as application/json")
        return problem_response(refusal, app.current_event.path)

    @app.not_found
    def _not_found(_: NotFoundError) -> Response:
        path = app.current_event.path
        allowed = app.allowed_methods(path)
        if allowed:
            method = app.current_event.http_method.upper()
            refusal = MethodNotAllowed(f"{path} does not take {method}", allowed=allowed)
            return problem_response(refusal, path)
        return problem_response(NotFound("no such route"), path)

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        if _is_transient(exc):
            logger.warning("dependency unavailable", exc_info=exc)
            return problem_response(DependencyUnavailable("please retry shortly"), app.current_event.path)
        logger.exception("unhandled error")
        body = {"type": PROBLEM_BASE + "internal", "title": "Internal error", "status": 500}
        return Response(status_code=500, content_type=PROBLEM_JSON, body=json.dumps(body))

    return app


def proxy_problem(
    error: DomainError, path: str | None, event: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A problem+json answer in API Gateway proxy shape, for checks that run before the resolver.

    With the request's ``event`` the answer is finished like the resolver's (request id, CORS).
    """
    answer = problem_answer(error, path)
    return answer if event is None else finish(answer, event, request_id_of(event))


def under_prefix(path: str, path_prefix: str) -> bool:
    """Whether ``path`` starts with ``path_prefix``, where a ``*`` segment stands for any one path segment
    (``/admin/orders/*/review`` guards one route whose id is in the middle of its path)."""
    if "*" not in path_prefix:
        return path.startswith(path_prefix)
    pattern = "[^/]+".join(re.escape(part) for part in path_prefix.split("*"))
    return re.match(pattern, path) is not None


def refuse_unauthorised(event: Mapping[str, Any], path_prefix: str, *groups: Group) -> dict[str, Any] | None:
    """401/403 for a request under ``path_prefix`` (``under_prefix``) whose caller is not in ``groups``;
    None otherwise.

    Runs before the resolver because Powertools validates the body before any middleware: without it
    an anonymous caller would learn from a 422 what a valid admin request looks like. A preflight
    passes: browsers send it without credentials, and the resolver answers it.
    """
    if not under_prefix(str(event.get("path") or ""), path_prefix) or is_preflight(event):
        return None
    try:
        require(dict(event), *groups)
    except DomainError as exc:
        return proxy_problem(exc, event.get("path"), event)
    return None


def serve_openapi(app: APIGatewayRestResolver, path: str, *, title: str, version: str) -> None:
    """Serve the resolver's OpenAPI document at ``path`` and Swagger UI (bundled assets) beside it."""
    app.enable_swagger(path=path.rsplit("/", 1)[0] + "/docs", title=title, version=version)

    # No return annotation: Powertools would try to build a response model from ``Response``.
    @app.get(path, include_in_schema=False)
    def _openapi_document():  # type: ignore[no-untyped-def]
        return Response(
            status_code=200,
            content_type="application/json",
            body=json.dumps(finalize(json.loads(app.get_openapi_json_schema(title=title, version=version)))),
        )


ApiHandler = Callable[[dict[str, Any], "LambdaContext"], dict[str, Any]]


def api_function(
    routers: Sequence[Router],
    *,
    openapi_path: str,
    title: str,
    version: str = "1.0.0",
    guards: Mapping[str, Sequence[Group]] | None = None,
    description: str | None = None,
    tags: Sequence[Tag | str] | None = None,
    security_schemes: dict[str, SecurityScheme] | None = None,
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> tuple[ShopResolver, ApiHandler]:
    """A context's API function: one resolver with its ``routers``, one OpenAPI document served at
    ``openapi_path`` (Swagger UI beside it), and the Lambda handler.

    ``guards`` maps a path prefix to the groups that may call it (``{"/admin/": [Group.OPS]}``): such a
    request is refused (401/403) before anything reads its body (``refuse_unauthorised``); every prefix
    that matches must admit the caller, checked in the order given. A ``*`` segment in a prefix matches
    any one segment, so one route can be narrower than its prefix (``/admin/orders/*/review``). The document itself is never
    guarded, even under a guarded prefix (``/admin/promotions/openapi.json``): it describes the API and
    reveals no data, and the gateway reads it without a token to merge it. ``prepare`` rewrites an event
    that passed the guards before the resolver sees it (customers' one-click unsubscribe drops a form body
    its route does not read). The handler carries the logger (correlation id: the request id every
    answer repeats) and the metrics; no X-Ray tracer (see ``shop_kernel.observability``: it dominates an
    API's cold start, and Lambda's active tracing covers the invocation).
    """
    app = build_resolver()
    for router in routers:
        app.include_router(router)
    if description is not None or tags is not None or security_schemes is not None:
        app.configure_openapi(
            title=title,
            version=version,
            description=description,
            tags=list(tags) if tags is not None else None,
            security_schemes=security_schemes,
        )
    serve_openapi(app, openapi_path, title=title, version=version)
    guarded = [(prefix, tuple(groups)) for prefix, groups in (guards or {}).items()]

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        if event.get("path") != openapi_path:
            for prefix, groups in guarded:
                refusal = refuse_unauthorised(event, prefix, *groups)
                if refusal is not None:
                    return refusal
        return app.resolve(prepare(event) if prepare is not None else event, context)

    return app, handler


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response[str]:
    """A compact UTF-8 JSON answer (non-ASCII kept as is: names are localised)."""
    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        headers=headers or {},
    )


def header(app: APIGatewayRestResolver | Router, name: str) -> str | None:
    """Case-insensitive request header lookup, on the resolver or on a route module's ``Router``."""
    headers = app.current_event.headers or {}
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def etag(version: int) -> str:
    return f'"{version}"'


ANY_VERSION = "*"
_VERSION_TAG = re.compile(r'(?:W/)?"?([0-9]{1,18})"?')


def parse_if_match(value: str | None) -> int | None:
    """``If-Match: "7"`` -> 7. ``None`` when absent or ``*``; a malformed value is a 400.

    ``*`` means "any current version" (RFC 9110 13.1.1), which is what a route whose writes without
    If-Match are unconditional (or read the current version themselves) already does: for those,
    ``*`` and no header are the same. A route where an absent If-Match means something else (required:
    428; create-only) uses :func:`version_to_match` instead.
    """
    parsed = _parse(value)
    return parsed if isinstance(parsed, int) else None


def version_to_match(value: str | None, current_version: Callable[[], int | None]) -> int | None:
    """The version a conditional write must find, from ``If-Match``; None when the header is absent.

    ``If-Match: *`` resolves to the current version read through ``current_version`` (it may raise
    NotFound; None means the resource does not exist, a 412): "must exist, any version". The write
    stays conditional on that version, so a concurrent change between the read and the write is a
    412, never a lost update.
    """
    parsed = _parse(value)
    if parsed != ANY_VERSION:
        return parsed if isinstance(parsed, int) else None
    current = current_version()
    if current is None:
        raise PreconditionFailed("If-Match: * needs the resource to exist, and it does not")
    return current


def _parse(value: str | None) -> int | str | None:
    """``"7"``/``W/"7"`` -> 7, ``*`` -> ANY_VERSION, absent -> None; anything else is a 400.

    Only ASCII digits count (``str.isdigit`` accepts superscripts ``int()`` refuses), and at most 18
    of them, so no header value can turn into a 500.
    """
    if value is None:
        return None
    raw = value.strip()
    if raw == ANY_VERSION:
        return ANY_VERSION
    match = _VERSION_TAG.fullmatch(raw)
    if match is None:
        raise MalformedRequest('If-Match must be the ETag of the version you read, e.g. "3", or *')
    return int(match.group(1))
