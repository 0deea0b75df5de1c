"""The local API Gateway: an HTTP server on 127.0.0.1 that proxies ``/<prefix>/...`` to the functions.

Routes come from ``API_ROUTES``. Authorized routes validate the bearer token as the Cognito authorizer
would and put its claims in the event; group checks stay in the handlers, as in the cloud. The
gateway's own answers (400 for a malformed request, 401 without a valid token, 404 for an unknown
resource, 405 for a method no route declares, 413 above 10 MB, 502 when a function fails) are
``application/problem+json``, like the cloud's gateway responses.

Every answer carries ``X-Request-Id``: the id put in the proxy event's ``requestContext.requestId``,
which the functions log as the correlation id. CORS as the local stage configures it: any
``http://localhost:<port>`` or ``http://127.0.0.1:<port>`` origin; the gateway answers preflights for
every resource (before the authorizer, as browsers send no token on a preflight) and adds the CORS
headers to every answer that does not carry them already.

Also serves ``/health``, ``/openapi.json`` (every API function's document, merged) and ``/docs``
(Swagger UI from the assets bundled in Powertools, no CDN, with the bearer scheme to authorize with).

The server takes a load test: a deep listen backlog and one thread per connection, so 64 clients at
once wait for a function rather than get their connection reset (a function still runs one invocation
at a time, like one Lambda execution environment).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import aws_lambda_powertools.event_handler.openapi.swagger_ui as swagger_assets
from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge

from infra.local.apigw import (
    HttpRequest,
    HttpResponse,
    MalformedIntegrationResponse,
    build_proxy_event,
    problem,
    to_http_response,
)
from infra.local.functions import LocalFunction
from infra.local.tokens import InvalidToken, authorizer_claims, verify_token
from infra.resources import API_ROUTES, ApiRoute

log = logging.getLogger("infra.local.api")
access_log = logging.getLogger("infra.local.access")

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's hard limit
# The methods the CDK API's ANY methods take; anything else (TRACE, CONNECT, WebDAV verbs) is a 405.
ROUTED_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
ALLOW = ", ".join(ROUTED_METHODS)
LOCAL_ORIGIN = re.compile(r"^http://(localhost|127\.0\.0\.1)(:\d{1,5})?$")
CORS_ALLOW_HEADERS = (
    "Authorization, Content-Type, X-Cart-Token, Idempotency-Key, If-Match, If-None-Match, Accept-Language"
)
CORS_EXPOSE_HEADERS = "ETag, X-Cart-Token, Location, X-Request-Id, Retry-After"
CORS_MAX_AGE_S = 600
SWAGGER_DIR = Path(swagger_assets.__file__).parent
SWAGGER_FILES = {
    "/docs/swagger-ui.min.css": ("swagger-ui.min.css", "text/css; charset=utf-8"),
    "/docs/swagger-ui-bundle.min.js": ("swagger-ui-bundle.min.js", "application/javascript; charset=utf-8"),
}
DOCS_HTML = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Shop API (local)</title>
<link rel="stylesheet" href="/docs/swagger-ui.min.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.min.js"></script>
<script>
// persistAuthorization keeps the bearer token entered under "Authorize" across reloads.
window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
  persistAuthorization: true});
</script></body></html>
"""


def match_route(path: str, routes: tuple[ApiRoute, ...] = API_ROUTES) -> ApiRoute | None:
    """The ``/<prefix>/{proxy+}`` or ``/<prefix>`` resource serving ``path`` (the CDK API has an ``ANY``
    method on both); the longest prefix wins, as in API Gateway."""
    for route in sorted(routes, key=lambda r: len(r.prefix), reverse=True):
        base = f"/{route.prefix}/"
        if (path.startswith(base) and len(path) > len(base)) or path == base[:-1]:
            return route
    return None


def _bearer(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    # The Cognito authorizer takes the raw token; clients usually send "Bearer <token>". Accept both.
    return token.strip() if scheme.lower() == "bearer" else value.strip()


def _json_response(status: int, payload: Any) -> HttpResponse:
    return HttpResponse(
        status=status, headers=[("Content-Type", "application/json")], body=json.dumps(payload).encode()
    )


GATEWAY_PATHS = frozenset({"/health", "/openapi.json", "/docs", "/docs/", *SWAGGER_FILES})


def allowed_origin(origin: str | None) -> str | None:
    """``origin`` if the local stage's CORS allows it (any localhost port), else None."""
    return origin if origin and LOCAL_ORIGIN.match(origin) else None


def is_preflight(request: HttpRequest) -> bool:
    return bool(request.header("origin") and request.header("access-control-request-method"))


def preflight(request: HttpRequest) -> HttpResponse:
    """The answer to a CORS preflight: which methods and headers a page on an allowed origin may send.
    A disallowed origin gets no ``Access-Control-Allow-Origin``, so the browser refuses, as in the cloud."""
    headers = [("Allow", ALLOW)]
    if allowed_origin(request.header("origin")):
        headers += [
            ("Access-Control-Allow-Methods", ALLOW),
            ("Access-Control-Allow-Headers", CORS_ALLOW_HEADERS),
            ("Access-Control-Max-Age", str(CORS_MAX_AGE_S)),
        ]
    return HttpResponse(204, headers)


def finish(response: HttpResponse, request_id: str, origin: str | None) -> HttpResponse:
    """What every answer gets on its way out: the request id (header, and body of the gateway's own
    problems) and the CORS headers a function did not set itself."""
    if response.from_gateway:
        body = json.loads(response.body)
        body.setdefault("request_id", request_id)
        response.body = json.dumps(body).encode()
    response.set_default("X-Request-Id", request_id)
    allowed = allowed_origin(origin)
    if allowed:
        response.set_default("Access-Control-Allow-Origin", allowed)
        response.set_default("Access-Control-Expose-Headers", CORS_EXPOSE_HEADERS)
    _vary_on_origin(response)
    return response


def _vary_on_origin(response: HttpResponse) -> None:
    """The answer depends on Origin even when none was sent: caches must not mix them up. An existing
    ``Vary`` is extended, never repeated."""
    for index, (name, value) in enumerate(response.headers):
        if name.lower() == "vary":
            fields = [part.strip().lower() for part in value.split(",")]
            if "origin" not in fields and "*" not in fields:
                response.headers[index] = (name, f"{value}, Origin")
            return
    response.headers.append(("Vary", "Origin"))


class LocalGateway:
    """Dispatches HTTP requests to functions; transport-free so tests call ``handle`` directly."""

    def __init__(
        self,
        stage: str,
        functions: dict[str, LocalFunction],
        routes: tuple[ApiRoute, ...] = API_ROUTES,
        health: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self.stage = stage
        self.functions = functions
        self.routes = routes
        self._health = health or (lambda: {})
        self._openapi: dict[str, Any] | None = None

    def handle(self, request: HttpRequest) -> HttpResponse:
        """The answer to ``request``, with its request id and CORS headers."""
        request_id = str(uuid.uuid4())
        try:
            response = self._route(request, request_id)
        except Exception:
            # A bug in the local gateway itself: answer instead of dropping the connection.
            log.exception("the local gateway failed on %s %s", request.method, request.path)
            response = problem(
                500, "internal", "Internal server error", "the local gateway failed; see its log"
            )
        return finish(response, request_id, request.header("origin"))

    def _route(self, request: HttpRequest, request_id: str) -> HttpResponse:
        if request.method not in ROUTED_METHODS:
            return problem(
                405,
                "method-not-allowed",
                "Method not allowed",
                f"no resource takes {request.method}",
                request.path,
                headers=[("Allow", ALLOW)],
            )
        route = match_route(request.path, self.routes)
        if request.method == "OPTIONS" and is_preflight(request):
            if route is None and request.path not in GATEWAY_PATHS:
                return problem(
                    404, "not-found", "Not found", f"no resource serves {request.path}", request.path
                )
            return preflight(request)
        own = self._own(request)
        if own is not None:
            return own
        if route is None:
            return problem(404, "not-found", "Not found", f"no resource serves {request.path}", request.path)
        return self._proxy(request, route, request_id)

    def _own(self, request: HttpRequest) -> HttpResponse | None:
        """The gateway's own resources: health, the merged OpenAPI document and Swagger UI."""
        if request.path not in GATEWAY_PATHS:
            return None
        if request.method not in ("GET", "HEAD"):
            return problem(
                405,
                "method-not-allowed",
                "Method not allowed",
                f"{request.path} takes GET and HEAD",
                request.path,
                headers=[("Allow", "GET, HEAD, OPTIONS")],
            )
        if request.path == "/health":
            return _json_response(200, {"status": "ok", "stage": self.stage, **self._health()})
        if request.path == "/openapi.json":
            return _json_response(200, self.openapi())
        if request.path in ("/docs", "/docs/"):
            return HttpResponse(200, [("Content-Type", "text/html; charset=utf-8")], DOCS_HTML.encode())
        name, content_type = SWAGGER_FILES[request.path]
        return HttpResponse(200, [("Content-Type", content_type)], (SWAGGER_DIR / name).read_bytes())

    def _proxy(self, request: HttpRequest, route: ApiRoute, request_id: str) -> HttpResponse:
        claims: dict[str, str] | None = None
        if route.authorized:
            token = _bearer(request.header("authorization"))
            if token is None:
                return problem(
                    401, "unauthorized", "Authentication required", "send Authorization: Bearer <token>"
                )
            try:
                claims = authorizer_claims(verify_token(token))
            except InvalidToken as exc:
                return problem(401, "unauthorized", "Authentication required", str(exc))
        function = self.functions.get(route.function)
        if function is None:
            return problem(
                502, "internal", "Internal server error", f"{route.function} is not loaded; see /health"
            )
        event = build_proxy_event(
            request, prefix=route.prefix, stage=self.stage, claims=claims, request_id=request_id
        )
        try:
            response = to_http_response(function.invoke(event))
            response.function = route.function
            return response
        except MalformedIntegrationResponse as exc:
            log.error("%s returned a malformed response: %s", route.function, exc)
        except Exception:
            log.exception("%s failed on %s %s", route.function, request.method, request.path)
        failed = problem(
            502, "internal", "Internal server error", "the function failed; see the runner's log"
        )
        failed.function = route.function
        return failed

    def openapi(self) -> dict[str, Any]:
        """Every API function's OpenAPI document merged into one, with the bearer scheme on admin routes."""
        if self._openapi is None:
            merger = OpenAPIMerge(title="Shop API", version="1.0.0", description=f"Local stage {self.stage}")
            for name in dict.fromkeys(
                route.function for route in self.routes if route.function in self.functions
            ):
                schema = self._function_openapi(name)
                if schema:
                    merger.add_schema(schema)
            merged = merger.get_openapi_schema()
            self._mark_secured(merged)
            if merged.get("paths"):
                self._openapi = merged  # only cache a complete answer; a failed fetch is retried
            return merged
        return self._openapi

    def _function_openapi(self, name: str) -> dict[str, Any] | None:
        """Asks the function itself (GET ``/<context>/openapi.json``); falls back to its module's ``app``."""
        function = self.functions[name]
        candidates = [r for r in self.routes if r.function == name]
        # Prefer the public resource named after the context: /catalog/openapi.json.
        route = next((r for r in candidates if r.prefix == function.spec.context), candidates[0])
        prefix = route.prefix
        request = HttpRequest(
            method="GET", path=f"/{prefix}/openapi.json", headers=(("Accept", "application/json"),)
        )
        try:
            response = to_http_response(
                function.invoke(build_proxy_event(request, prefix=prefix, stage=self.stage))
            )
            if response.status == 200:
                document = json.loads(response.body)
                if isinstance(document, dict) and "paths" in document:
                    return document
        except Exception:
            log.debug("%s does not serve its OpenAPI document", name, exc_info=True)
        return self._module_openapi(function)

    @staticmethod
    def _module_openapi(function: LocalFunction) -> dict[str, Any] | None:
        try:
            document = function.openapi()
        except Exception:
            log.exception(
                "%s cannot generate its OpenAPI document; /openapi.json leaves it out", function.spec.name
            )
            return None
        if document is None:
            log.warning("%s exposes no OpenAPI document", function.spec.name)
        return document

    def _mark_secured(self, document: dict[str, Any]) -> None:
        secured = [f"/{r.prefix}/" for r in self.routes if r.authorized]
        schemes = document.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes["cognito"] = {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "Cognito ID token; locally: make token ROLE=merchandisers",
        }
        for path, item in (document.get("paths") or {}).items():
            if any(path.startswith(prefix) for prefix in secured):
                for operation in item.values():
                    if isinstance(operation, dict):
                        operation.setdefault("security", [{"cognito": []}])


class MalformedRequest(ValueError):
    """A request API Gateway would refuse before any integration: a 400."""


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _GatewayServer

    def _serve(self) -> None:
        started = time.monotonic()
        path, _, query = self.path.partition("?")
        try:
            body = self._read_body()
        except PayloadTooLarge:
            # Do not read 10 MB+ into memory: answer and drop the connection, as the gateway does.
            self.close_connection = True
            response = problem(
                413, "payload-too-large", "Request Entity Too Large", "the limit is 10 MB", path
            )
            response = finish(response, str(uuid.uuid4()), self.headers.get("Origin"))
        except MalformedRequest as exc:
            # The rest of the stream cannot be trusted to start a new request.
            self.close_connection = True
            response = problem(400, "bad-request", "Bad request", str(exc), path)
            response = finish(response, str(uuid.uuid4()), self.headers.get("Origin"))
        else:
            host, port = self.server.server_address[:2]
            request = HttpRequest(
                method=self.command,
                path=path,
                query=query,
                headers=tuple(self.headers.items()),
                body=body,
                source_ip=self.client_address[0],
                host=str(host),
                port=int(port),
            )
            response = self.server.gateway.handle(request)
        try:
            self._write(response)
            gone = ""
        except (ConnectionError, TimeoutError):
            # The client stopped waiting (a webhook sender's timeout): the answer was made, nobody reads it.
            self.close_connection = True
            gone = " (the client had gone)"
        elapsed_ms = (time.monotonic() - started) * 1000
        function = response.function or "gateway"
        access_log.info(
            "%s %s %s %.0fms %s%s",
            self.command,
            self.path,
            response.status,
            elapsed_ms,
            function,
            gone,
            extra={
                "method": self.command,
                "path": self.path,
                "status": response.status,
                "ms": round(elapsed_ms, 1),
                "function": function,
                "request_id": response.header("x-request-id"),
                **({"client_gone": True} if gone else {}),
            },
        )

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        raw = self.headers.get_all("Content-Length") or []
        if len(set(raw)) > 1:
            raise MalformedRequest("conflicting Content-Length headers")
        if not raw:
            return b""
        try:
            length = int(raw[0].strip())
        except ValueError:
            raise MalformedRequest(f"Content-Length is not a number: {raw[0][:40]!r}") from None
        if length < 0:
            raise MalformedRequest("Content-Length is negative")
        if length > MAX_PAYLOAD_BYTES:
            raise PayloadTooLarge
        body = self.rfile.read(length) if length else b""
        if len(body) != length:
            raise MalformedRequest(f"the body ended after {len(body)} of {length} bytes")
        return body

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            size_line = self.rfile.readline(1024).split(b";")[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                raise MalformedRequest("a chunk size is not hexadecimal") from None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            total += size
            if total > MAX_PAYLOAD_BYTES:
                raise PayloadTooLarge
            chunk = self.rfile.read(size)
            if len(chunk) != size or self.rfile.readline(1024).strip():
                raise MalformedRequest("a chunk is shorter than its size")
            chunks.append(chunk)

    def _write(self, response: HttpResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def __getattr__(self, name: str) -> Any:
        # BaseHTTPRequestHandler dispatches to do_<METHOD> and answers 501 HTML when there is none.
        # Every method reaches the gateway instead, which answers 405 for the ones no route takes.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """What the HTTP parser refuses (bad request line, oversized headers, bad version) answered as
        problem+json like every other answer, instead of the standard library's HTML page."""
        self.close_connection = True
        slug = {400: "bad-request", 414: "uri-too-long", 431: "headers-too-large"}.get(code, "bad-request")
        title = {414: "URI too long", 431: "Request header fields too large"}.get(code, "Bad request")
        response = finish(
            problem(code if code < 500 else 400, slug, title, message or explain or "malformed request"),
            str(uuid.uuid4()),
            None,
        )
        try:
            # The parser may have failed before the version was read: answer in HTTP/1.1 anyway.
            self.request_version = "HTTP/1.1"
            self.command = getattr(self, "command", None) or "GET"  # not HEAD: the body is sent
            self._write(response)
        except OSError:
            pass  # the client is gone
        access_log.info(
            "%s %s %s 0ms gateway",
            getattr(self, "command", "-"),
            getattr(self, "path", "-"),
            response.status,
            extra={"status": response.status, "function": "gateway"},
        )

    def log_message(self, format: str, *args: Any) -> None:
        # Access lines go through logging in _serve; silence the stderr default.
        pass


class PayloadTooLarge(Exception):
    """The announced body is above API Gateway's 10 MB limit."""


class _GatewayServer(ThreadingHTTPServer):
    allow_reuse_address = True  # a restarted runner binds again at once
    daemon_threads = True
    # The listen backlog (socketserver's default is 5): a burst of new connections waits in the kernel
    # instead of being reset while the accept loop starts threads.
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], gateway: LocalGateway) -> None:
        self.gateway = gateway
        super().__init__(address, _RequestHandler)


class LocalApi:
    """The gateway on an HTTP port, served from a background thread."""

    def __init__(self, gateway: LocalGateway, port: int, host: str = "127.0.0.1") -> None:
        self._server = _GatewayServer((host, port), gateway)
        self._host = host
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-api", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._server.server_address[1]}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
