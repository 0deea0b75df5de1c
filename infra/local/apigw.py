"""API Gateway REST (v1) proxy integration, both directions: HTTP request -> event, result -> response.

The event has the shape API Gateway sends for a ``/<prefix>/{proxy+}`` resource with Lambda proxy
integration (single- and multi-value headers and query parameters, ``pathParameters.proxy``, base64
bodies for binary payloads, ``requestContext`` with the authorizer's claims), so handlers see locally
exactly what they see in the cloud.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from infra.local import ACCOUNT_ID

API_ID = "localapi01"
TEXT_TYPES = ("text/", "application/json", "application/problem+json", "application/xml", "+json", "+xml")
TEXT_TYPES_FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str  # as sent, still percent-encoded, without the query string
    query: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    host: str = "127.0.0.1"
    port: int = 3000

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((value for key, value in self.headers if key.lower() == lowered), None)


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    function: str | None = None  # the function the request went to; None for the gateway's own resources
    from_gateway: bool = False  # a problem the gateway made itself (not the function's answer)

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((value for key, value in self.headers if key.lower() == lowered), None)

    def set_default(self, name: str, value: str) -> None:
        """Adds ``name`` unless the response already has it (never a duplicate header)."""
        if self.header(name) is None:
            self.headers.append((name, value))


def _multi(pairs: list[tuple[str, str]]) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    if not pairs:
        return None, None
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for key, value in pairs:
        single[key] = value  # API Gateway keeps the last value in the single-value map
        multi.setdefault(key, []).append(value)
    return single, multi


def _is_text(content_type: str | None) -> bool:
    if not content_type:
        return True
    lowered = content_type.lower()
    return lowered.startswith(TEXT_TYPES_FORM) or any(t in lowered for t in TEXT_TYPES)


def _encode_body(body: bytes, content_type: str | None) -> tuple[str | None, bool]:
    if not body:
        return None, False
    if _is_text(content_type):
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode("ascii"), True


def _gateway_headers(request: HttpRequest) -> list[tuple[str, str]]:
    """The client's headers plus the ones API Gateway adds on its way to the integration."""
    trace = f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)}"
    added = [
        ("X-Forwarded-For", request.source_ip),
        ("X-Forwarded-Port", str(request.port)),
        ("X-Forwarded-Proto", "http"),
        ("X-Amzn-Trace-Id", trace),
    ]
    present = {key.lower() for key, _ in request.headers}
    return list(request.headers) + [(k, v) for k, v in added if k.lower() not in present]


def build_proxy_event(
    request: HttpRequest,
    *,
    prefix: str,
    stage: str,
    claims: dict[str, str] | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """The Lambda proxy event API Gateway sends for ``request`` on the ``/<prefix>/{proxy+}`` resource
    (or on ``/<prefix>`` itself, which the CDK API also routes: e.g. ``GET /search``)."""
    bare = request.path == f"/{prefix}"
    resource = f"/{prefix}" if bare else f"/{prefix}/{{proxy+}}"
    proxy = unquote(request.path[len(prefix) + 2 :])
    headers, multi_headers = _multi(_gateway_headers(request))
    query, multi_query = _multi(parse_qsl(request.query, keep_blank_values=True))
    body, is_base64 = _encode_body(request.body, request.header("content-type"))
    now = time.time()
    request_context: dict[str, Any] = {
        "resourceId": "local0",
        "resourcePath": resource,
        "httpMethod": request.method,
        "extendedRequestId": secrets.token_urlsafe(12),
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "path": f"/{stage}{request.path}",
        "accountId": ACCOUNT_ID,
        "protocol": "HTTP/1.1",
        "stage": stage,
        "domainPrefix": request.host.split(".")[0],
        "requestTimeEpoch": int(now * 1000),
        "requestId": request_id or str(uuid.uuid4()),
        "identity": {
            "cognitoIdentityPoolId": None,
            "accountId": None,
            "cognitoIdentityId": None,
            "caller": None,
            "sourceIp": request.source_ip,
            "principalOrgId": None,
            "accessKey": None,
            "cognitoAuthenticationType": None,
            "cognitoAuthenticationProvider": None,
            "userArn": None,
            "userAgent": request.header("user-agent"),
            "user": None,
        },
        "domainName": f"{request.host}:{request.port}",
        "apiId": API_ID,
    }
    if claims is not None:
        request_context["authorizer"] = {"claims": claims}
    return {
        "resource": resource,
        "path": request.path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": None if bare else {"proxy": proxy},
        "stageVariables": None,
        "requestContext": request_context,
        "body": body,
        "isBase64Encoded": is_base64,
    }


class MalformedIntegrationResponse(ValueError):
    """The function returned something API Gateway cannot turn into a response (a 502 in the cloud)."""


def _response_headers(result: dict[str, Any]) -> list[tuple[str, str]]:
    # Both maps are merged; for a name in both, API Gateway keeps only the multi-value one.
    multi = result.get("multiValueHeaders") or {}
    pairs = [(name, str(value)) for name, values in multi.items() for value in (values or [])]
    lowered = {name.lower() for name in multi}
    single = result.get("headers") or {}
    pairs += [(name, str(value)) for name, value in single.items() if name.lower() not in lowered]
    return pairs


def to_http_response(result: Any) -> HttpResponse:
    """The HTTP response API Gateway makes from a proxy integration result."""
    if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
        raise MalformedIntegrationResponse("the function's result has no integer statusCode")
    raw = result.get("body")
    if raw is None:
        body = b""
    elif not isinstance(raw, str):
        raise MalformedIntegrationResponse("the function's body must be a string")
    elif result.get("isBase64Encoded"):
        body = base64.b64decode(raw)
    else:
        body = raw.encode("utf-8")
    return HttpResponse(status=result["statusCode"], headers=_response_headers(result), body=body)


def problem(
    status: int,
    slug: str,
    title: str,
    detail: str,
    instance: str | None = None,
    *,
    request_id: str | None = None,
    headers: list[tuple[str, str]] | None = None,
) -> HttpResponse:
    """A gateway-made ``application/problem+json`` response (the cloud configures the same ones), with the
    request id in the body as the functions' problems carry it."""
    payload: dict[str, Any] = {
        "type": f"https://problems.shop.example/{slug}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        payload["instance"] = instance
    if request_id:
        payload["request_id"] = request_id
    return HttpResponse(
        status=status,
        headers=[("Content-Type", "application/problem+json"), *(headers or [])],
        body=json.dumps(payload).encode(),
        from_gateway=True,
    )
