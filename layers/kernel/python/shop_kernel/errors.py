"""One error hierarchy for every context; each error knows its HTTP status and problem type.

Domain code raises these; ``shop_kernel.http`` maps them once to ``application/problem+json``
(RFC 9457: type, title, status, detail, plus ``errors`` with one entry per offending field).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

PROBLEM_BASE = "https://problems.shop.example/"


class FieldError(BaseModel):
    field: str = Field(description="Dotted path of the offending field, e.g. 'body.prices.0.amount'")
    message: str
    code: str = "invalid"


class DomainError(Exception):
    status: int = 400
    type_slug: str = "bad-request"
    title: str = "Bad request"
    # Seconds a client should wait before retrying (the answer's ``Retry-After``); None: do not retry as is.
    retry_after_s: int | None = None

    def __init__(self, detail: str, *, errors: list[FieldError] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.extra = extra

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.type_slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = [e.model_dump() for e in self.errors]
        body.update(self.extra)
        return body


class ValidationFailed(DomainError):
    status = 422
    type_slug = "validation-failed"
    title = "The request is not valid"

    @classmethod
    def on(cls, field: str, message: str, code: str = "invalid") -> ValidationFailed:
        return cls(message, errors=[FieldError(field=field, message=message, code=code)])


class MalformedRequest(DomainError):
    status = 400
    type_slug = "malformed-request"
    title = "The request could not be read"


class Unauthorized(DomainError):
    status = 401
    type_slug = "unauthorized"
    title = "Authentication required"


class Forbidden(DomainError):
    status = 403
    type_slug = "forbidden"
    title = "Not allowed"


class NotFound(DomainError):
    status = 404
    type_slug = "not-found"
    title = "Not found"


class MethodNotAllowed(DomainError):
    """The path exists but not with this method; the answer's ``Allow`` lists the ones it has."""

    status = 405
    type_slug = "method-not-allowed"
    title = "Method not allowed"

    def __init__(self, detail: str, *, allowed: list[str]) -> None:
        super().__init__(detail, allowed=allowed)
        self.allowed = allowed


class Conflict(DomainError):
    status = 409
    type_slug = "conflict"
    title = "Conflict with the current state"


class PreconditionFailed(DomainError):
    status = 412
    type_slug = "precondition-failed"
    title = "The resource has changed"


class PreconditionRequired(DomainError):
    status = 428
    type_slug = "precondition-required"
    title = "If-Match header required"


class PayloadTooLarge(DomainError):
    status = 413
    type_slug = "payload-too-large"
    title = "The request body is too large"


class UnsupportedMediaType(DomainError):
    status = 415
    type_slug = "unsupported-media-type"
    title = "Unsupported media type"


class TooManyRequests(DomainError):
    """The caller (or everyone) is over a rate limit; the same request succeeds after ``Retry-After``."""

    status = 429
    type_slug = "too-many-requests"
    title = "Too many requests"
    retry_after_s = 1


class DependencyUnavailable(DomainError):
    """A real outage of a dependency (DynamoDB, EventBridge, Stripe...). The only source of 5xx."""

    status = 503
    type_slug = "dependency-unavailable"
    title = "A service we depend on is unavailable"
    retry_after_s = 1
