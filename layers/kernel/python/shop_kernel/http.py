"""HTTP glue for Powertools ``APIGatewayRestResolver``: error mapping, body size guard, ETags.

``build_resolver()`` returns a resolver with validation enabled and every error mapped once to
``application/problem+json``. Nothing a client sends can produce a 5xx: unexpected exceptions are
logged and reported as 503 only when a dependency failed, otherwise the bug surfaces as a 500 with no
internals in the body (and an alarm in the cloud).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from botocore.exceptions import BotoCoreError, ClientError

from shop_kernel.auth import Group, require
from shop_kernel.errors import (
    PROBLEM_BASE,
    DependencyUnavailable,
    DomainError,
    FieldError,
    MalformedRequest,
    NotFound,
    PayloadTooLarge,
    ValidationFailed,
)
from shop_kernel.observability import logger
from shop_kernel.openapi import finalize

PROBLEM_JSON = "application/problem+json"
MAX_BODY_BYTES = 1_000_000
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
    if error.status == 503:
        headers["Retry-After"] = "1"
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
    """Rejects oversized bodies before anything parses them (validation runs before middlewares)."""

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        body = event.get("body") or ""
        if len(body) > MAX_BODY_BYTES:
            too_large = PayloadTooLarge(f"the body must be at most {MAX_BODY_BYTES} bytes")
            return proxy_problem(too_large, event.get("path"))
        return super().resolve(event, context)


def build_resolver(**kwargs: Any) -> ShopResolver:
    """A REST resolver with validation, problem+json errors and a body size guard."""
    app = ShopResolver(enable_validation=True, **kwargs)

    @app.exception_handler(DomainError)
    def _domain(exc: DomainError) -> Response:
        return problem_response(exc, app.current_event.path)

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError) -> Response:
        return problem_response(validation_problem(exc), app.current_event.path)

    @app.not_found
    def _not_found(_: NotFoundError) -> Response:
        return problem_response(NotFound("no such route"), app.current_event.path)

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        if _is_transient(exc):
            logger.warning("dependency unavailable", exc_info=exc)
            return problem_response(DependencyUnavailable("please retry shortly"), app.current_event.path)
        logger.exception("unhandled error")
        body = {"type": PROBLEM_BASE + "internal", "title": "Internal error", "status": 500}
        return Response(status_code=500, content_type=PROBLEM_JSON, body=json.dumps(body))

    return app


def proxy_problem(error: DomainError, path: str | None) -> dict[str, Any]:
    """A problem+json answer in API Gateway proxy shape, for checks that run before the resolver."""
    return {
        "statusCode": error.status,
        "headers": {"Content-Type": PROBLEM_JSON},
        "multiValueHeaders": {"Content-Type": [PROBLEM_JSON]},
        "body": json.dumps(error.problem(path)),
        "isBase64Encoded": False,
    }


def refuse_unauthorised(event: Mapping[str, Any], path_prefix: str, *groups: Group) -> dict[str, Any] | None:
    """401/403 for a request under ``path_prefix`` whose caller is not in ``groups``; None otherwise.

    Runs before the resolver because Powertools validates the body before any middleware: without it
    an anonymous caller would learn from a 422 what a valid admin request looks like.
    """
    if not str(event.get("path") or "").startswith(path_prefix):
        return None
    try:
        require(dict(event), *groups)
    except DomainError as exc:
        return proxy_problem(exc, event.get("path"))
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


def parse_if_match(value: str | None) -> int | None:
    """``If-Match: "7"`` -> 7. ``None`` when absent; a malformed value is a 400."""
    if value is None:
        return None
    raw = value.strip()
    if raw.startswith("W/"):
        raw = raw[2:]
    raw = raw.strip('"')
    if not raw.isdigit():
        raise MalformedRequest('If-Match must be the ETag of the version you read, e.g. "3"')
    return int(raw)
