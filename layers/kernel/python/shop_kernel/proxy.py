"""API Gateway proxy events in, proxy answers out: what every answer of every API function gets.

``unreadable_body`` refuses a body nothing could read (not base64 when it says so, not UTF-8, not JSON
when it says JSON, a form) before Powertools touches it, so a client's mistake is a 4xx and never
reaches the catch-all. ``finish`` is the last step of every answer, whatever produced it (a route, an
error handler, a check that ran before the resolver): it adds ``X-Request-Id`` (API Gateway's request
id, the correlation id of the function's logs) and ``request_id`` in problem bodies, the stage's CORS
headers, ``Retry-After`` on 429/503, and the caching headers: a public read (a route that said
``Cache-Control: public``) gets an ``ETag`` hashed from its body and a 304 when ``If-None-Match``
already names it; anything else is ``private, no-store``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import uuid
from collections.abc import Mapping
from typing import Any

from shop_kernel.cors import REQUEST_ID_HEADER, CorsPolicy, cors_policy
from shop_kernel.errors import DomainError, MalformedRequest, PayloadTooLarge, UnsupportedMediaType

PROBLEM_JSON = "application/problem+json"
MAX_BODY_BYTES = 1_000_000
PRIVATE_CACHE = "private, no-store"
# Public catalog and search reads: short enough that a price or stock change shows within a minute.
PUBLIC_CACHE = "public, max-age=30"
DEFAULT_RETRY_AFTER_S = 1
# The API takes JSON; forms would be parsed by Powertools into lists no route model accepts.
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def request_header(event: Mapping[str, Any], name: str) -> str | None:
    """Case-insensitive header lookup on a raw proxy event (``headers`` may be null)."""
    lowered = name.lower()
    for key, value in (event.get("headers") or {}).items():
        if str(key).lower() == lowered:
            return str(value) if value is not None else None
    return None


def request_id_of(event: Mapping[str, Any], context: Any = None) -> str:
    """API Gateway's ``requestContext.requestId`` (the logs' correlation id), else Lambda's, else new."""
    request_id = (event.get("requestContext") or {}).get("requestId")
    if isinstance(request_id, str) and request_id:
        return request_id
    return str(getattr(context, "aws_request_id", "") or uuid.uuid4())


def media_type(event: Mapping[str, Any]) -> str:
    """``application/json; charset=utf-8`` -> ``application/json``; empty when absent."""
    return (request_header(event, "content-type") or "").split(";", 1)[0].strip().lower()


def _body_text(body: str, base64_encoded: bool) -> str | DomainError:
    if base64_encoded:
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return MalformedRequest("the body is marked base64 but is not valid base64")
    else:
        try:
            raw = body.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: not text any UTF-8 client could have sent
            return MalformedRequest("the body is not UTF-8 text")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return MalformedRequest("the body is not UTF-8 text")


def unreadable_body(event: Mapping[str, Any]) -> DomainError | None:
    """Why the request's body cannot be read (413, 400 or 415), or None when it can (or there is none)."""
    body = event.get("body")
    if body is None or body == "":
        return None
    if not isinstance(body, str):
        return MalformedRequest("the body is not text")
    if len(body) > MAX_BODY_BYTES:
        return PayloadTooLarge(f"the body must be at most {MAX_BODY_BYTES} bytes")
    text = _body_text(body, bool(event.get("isBase64Encoded")))
    if isinstance(text, DomainError):
        return text
    kind = media_type(event)
    if kind in FORM_TYPES:
        return UnsupportedMediaType(f"{kind} is not accepted: send application/json")
    if kind in ("", "application/json") and text.strip():
        try:
            json.loads(text)
        except (ValueError, RecursionError):  # also integers too long to convert, nesting too deep
            return MalformedRequest("the body is not valid JSON")
    return None


_DECIMAL_NUMBER = re.compile(r"\d[.eE]")
_EXACT_INT = 2**53  # beyond it a JSON number with a fraction part may not be the integer it looks like


def with_whole_numbers(event: dict[str, Any]) -> dict[str, Any]:
    """The event with every JSON number that has no fractional value (``3.0``, ``1e3``) read as an integer.

    JSON and JSON Schema make no difference between 3 and 3.0 (both are "integer"), so a client may send
    either; our models validate integers strictly, so they would refuse what the document allows. Run after
    ``unreadable_body`` said the body is readable JSON; any other body is returned untouched.
    """
    body = event.get("body")
    if not body or media_type(event) not in ("", "application/json"):
        return event
    text = _body_text(body, bool(event.get("isBase64Encoded")))
    if isinstance(text, DomainError) or not _DECIMAL_NUMBER.search(text):
        return event
    changed = False

    def number(literal: str) -> float | int:
        nonlocal changed
        value = float(literal)
        if value.is_integer() and abs(value) <= _EXACT_INT:
            changed = True
            return int(value)
        return value

    parsed = json.loads(text, parse_float=number)
    if not changed:
        return event
    return {**event, "body": json.dumps(parsed, ensure_ascii=False), "isBase64Encoded": False}


def is_preflight(event: Mapping[str, Any]) -> bool:
    return str(event.get("httpMethod") or "").upper() == "OPTIONS" and bool(
        request_header(event, "access-control-request-method")
    )


def preflight_answer(event: Mapping[str, Any], policy: CorsPolicy) -> dict[str, Any]:
    """204 with the stage's CORS permissions for the request's origin (none for a foreign one)."""
    headers = policy.preflight_headers(request_header(event, "origin"))
    return {
        "statusCode": 204,
        "body": "",
        "isBase64Encoded": False,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
    }


def problem_answer(error: DomainError, path: str | None) -> dict[str, Any]:
    """A problem+json answer in API Gateway proxy shape, for checks that run before the resolver."""
    headers = {"Content-Type": PROBLEM_JSON}
    if error.retry_after_s is not None:
        headers["Retry-After"] = str(error.retry_after_s)
    return {
        "statusCode": error.status,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "body": json.dumps(error.problem(path), default=str),
        "isBase64Encoded": False,
    }


class _AnswerHeaders:
    """The headers of a proxy answer, case-insensitive, written back to both of its header maps."""

    def __init__(self, answer: dict[str, Any]) -> None:
        self._answer = answer
        self._values: dict[str, tuple[str, list[str]]] = {}
        for name, value in (answer.get("headers") or {}).items():
            self._values[name.lower()] = (name, [str(value)])
        for name, values in (answer.get("multiValueHeaders") or {}).items():
            listed = [str(v) for v in (values if isinstance(values, list) else [values])]
            self._values[name.lower()] = (name, listed)

    def get(self, name: str) -> str | None:
        found = self._values.get(name.lower())
        return ", ".join(found[1]) if found else None

    def set(self, name: str, value: str) -> None:
        self._values[name.lower()] = (self._values.get(name.lower(), (name, []))[0], [value])

    def setdefault(self, name: str, value: str) -> None:
        if name.lower() not in self._values:
            self.set(name, value)

    def remove(self, name: str) -> None:
        self._values.pop(name.lower(), None)

    def add_vary(self, field: str) -> None:
        current = [v.strip() for v in (self.get("Vary") or "").split(",") if v.strip()]
        if field.lower() not in {v.lower() for v in current}:
            self.set("Vary", ", ".join([*current, field]))

    def write(self) -> None:
        self._answer["multiValueHeaders"] = {name: values for name, values in self._values.values()}
        if "headers" in self._answer:
            self._answer["headers"] = {name: values[-1] for name, values in self._values.values()}


def _with_request_id(answer: dict[str, Any], headers: _AnswerHeaders, request_id: str) -> None:
    headers.set(REQUEST_ID_HEADER, request_id)
    if not (headers.get("Content-Type") or "").startswith(PROBLEM_JSON) or answer.get("isBase64Encoded"):
        return
    try:
        problem = json.loads(answer.get("body") or "")
    except ValueError:
        return
    if isinstance(problem, dict) and not problem.get("request_id"):
        problem["request_id"] = request_id
        answer["body"] = json.dumps(problem)


def body_etag(body: str) -> str:
    """A strong validator for a representation: its bytes' digest (same bytes, same ETag)."""
    return '"' + hashlib.blake2b(body.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest() + '"'


def if_none_match_hits(header_value: str | None, current: str) -> bool:
    """RFC 9110 weak comparison of ``If-None-Match`` (a list, or ``*``) against the current ETag."""
    if not header_value:
        return False
    wanted = current.removeprefix("W/")
    for candidate in header_value.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == wanted:
            return True
    return False


def _with_caching(answer: dict[str, Any], headers: _AnswerHeaders, event: Mapping[str, Any]) -> None:
    cache_control = headers.get("Cache-Control")
    if cache_control is None:
        headers.set("Cache-Control", PRIVATE_CACHE)
        return
    method = str(event.get("httpMethod") or "").upper()
    if "public" not in cache_control.lower() or method not in ("GET", "HEAD") or answer["statusCode"] != 200:
        return
    if headers.get("ETag") is None and not answer.get("isBase64Encoded"):
        headers.set("ETag", body_etag(str(answer.get("body") or "")))
    current = headers.get("ETag")
    if current and if_none_match_hits(request_header(event, "if-none-match"), current):
        answer["statusCode"] = 304
        answer["body"] = ""
        answer["isBase64Encoded"] = False
        headers.remove("Content-Type")


def finish(
    answer: dict[str, Any], event: Mapping[str, Any], request_id: str, policy: CorsPolicy | None = None
) -> dict[str, Any]:
    """Adds what every answer carries (see the module docstring) to a proxy answer, in place."""
    headers = _AnswerHeaders(answer)
    _with_request_id(answer, headers, request_id)
    for name, value in (policy or cors_policy()).response_headers(request_header(event, "origin")).items():
        if name == "Vary":
            headers.add_vary(value)
        else:
            headers.set(name, value)
    if answer.get("statusCode") in (429, 503):
        headers.setdefault("Retry-After", str(DEFAULT_RETRY_AFTER_S))
    _with_caching(answer, headers, event)
    headers.write()
    return answer
