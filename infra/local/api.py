"""The local API Gateway: an HTTP server on 127.0.0.1 that proxies ``/<prefix>/...`` to the functions.

Routes come from ``API_ROUTES``. Authorized routes validate the bearer token as the Cognito authorizer
would and put its claims in the event; group checks stay in the handlers, as in the cloud. The
gateway's own answers (401 without a valid token, 404 for an unknown resource, 413 above 10 MB, 502
when a function fails) are ``application/problem+json``, like the cloud's gateway responses.

Also serves ``/health``, ``/openapi.json`` (every API function's document, merged) and ``/docs``
(Swagger UI from the assets bundled in Powertools, no CDN).
"""

from __future__ import annotations

import importlib
import json
import logging
import threading
import time
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

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's hard limit
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
        if request.method == "GET" and request.path == "/health":
            return _json_response(200, {"status": "ok", "stage": self.stage, **self._health()})
        if request.method == "GET" and request.path == "/openapi.json":
            return _json_response(200, self.openapi())
        if request.method == "GET" and request.path in ("/docs", "/docs/"):
            return HttpResponse(200, [("Content-Type", "text/html; charset=utf-8")], DOCS_HTML.encode())
        if request.method == "GET" and request.path in SWAGGER_FILES:
            name, content_type = SWAGGER_FILES[request.path]
            return HttpResponse(200, [("Content-Type", content_type)], (SWAGGER_DIR / name).read_bytes())
        route = match_route(request.path, self.routes)
        if route is None:
            return problem(404, "not-found", "Not found", f"no resource serves {request.path}", request.path)
        return self._proxy(request, route)

    def _proxy(self, request: HttpRequest, route: ApiRoute) -> HttpResponse:
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
        event = build_proxy_event(request, prefix=route.prefix, stage=self.stage, claims=claims)
        try:
            return to_http_response(function.invoke(event))
        except MalformedIntegrationResponse as exc:
            log.error("%s returned a malformed response: %s", route.function, exc)
        except Exception:
            log.exception("%s failed on %s %s", route.function, request.method, request.path)
        return problem(502, "internal", "Internal server error", "the function failed; see the runner's log")

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
        module = importlib.import_module(function.spec.handler.rpartition(".")[0])
        app = getattr(module, "app", None)
        if app is None or not hasattr(app, "get_openapi_json_schema"):
            log.warning("%s exposes no OpenAPI document", function.spec.name)
            return None
        try:
            document: dict[str, Any] = json.loads(app.get_openapi_json_schema())
        except Exception:
            log.exception(
                "%s cannot generate its OpenAPI document; /openapi.json leaves it out", function.spec.name
            )
            return None
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


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _GatewayServer

    def _serve(self) -> None:
        started = time.monotonic()
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_PAYLOAD_BYTES:
            # Do not read 10 MB+ into memory: answer and drop the connection, as the gateway does.
            self.close_connection = True
            response = problem(
                413, "payload-too-large", "Request Entity Too Large", "the limit is 10 MB", path
            )
        else:
            host, port = self.server.server_address[:2]
            request = HttpRequest(
                method=self.command,
                path=path,
                query=query,
                headers=tuple(self.headers.items()),
                body=self.rfile.read(length) if length else b"",
                source_ip=self.client_address[0],
                host=str(host),
                port=int(port),
            )
            try:
                response = self.server.gateway.handle(request)
            except Exception:
                # A bug in the local gateway itself: answer instead of dropping the connection.
                log.exception("the local gateway failed on %s %s", self.command, path)
                response = problem(
                    500, "internal", "Internal server error", "the local gateway failed; see its log"
                )
        self._write(response)
        log.info(
            "%s %s %s %.0fms", self.command, self.path, response.status, (time.monotonic() - started) * 1000
        )

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

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_OPTIONS(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        # Access lines go through logging in _serve; silence the stderr default.
        pass


class _GatewayServer(ThreadingHTTPServer):
    allow_reuse_address = True  # a restarted runner binds again at once
    daemon_threads = True

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
