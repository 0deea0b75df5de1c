"""A local stand-in for the Stripe API subset the shop uses, so the real ``stripe`` SDK runs offline.

Point the SDK at it and nothing else changes: ``stripe.StripeClient(key, base_addresses={"api": url})``
or ``stripe.api_base = url``. It speaks Stripe's wire format (form bodies in bracket notation, Bearer
``sk_test_...`` keys, JSON objects and error shapes, ``Idempotency-Key`` replay for 24 h) and keeps state:

* ``GET|POST /v1/payment_intents`` (the list filtered by ``created[gte|gt|lte|lt]``),
  ``GET|POST /v1/payment_intents/{id}``,
  ``POST /v1/payment_intents/{id}/confirm|capture|cancel`` (capture: ``amount_to_capture``, and
  ``final_capture=false`` when multicapture is available; cancel after partial captures releases the rest)
* ``POST /v1/refunds``, ``GET /v1/refunds``, ``GET /v1/refunds/{id}``, ``GET /v1/charges/{id}``,
  ``GET /v1/payment_methods/{id}``, ``GET /v1/events``, ``GET /v1/events/{id}``

Every state change records an event and posts it, signed, to the webhook endpoint (see
``stripe_standin_webhooks``). Helpers for tests and the local stack live under ``/_standin/``: the
shopper confirming in the browser, resending an event (old timestamp, tampered body, replay), the
delivery log, a PaymentIntent's ledger (``GET .../settlement``: authorised, captured, voided,
capturable), a declined capture (``POST .../decline_next_capture``), a lapsed authorisation (``POST
.../expire_authorisation``) and outages (``POST /_standin/faults`` ``{"status": 500|429, "count": n}``). With ``STRIPE_API_KEY=sk_test_...`` the local stack uses Stripe test mode instead
(``use_real_stripe``). Run alone: ``python -m infra.local.stripe_standin --port 12111``.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import json
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from infra.local.stripe_standin_ledger import Caller, StripeLedger
from infra.local.stripe_standin_webhooks import RetryPolicy, WebhookDispatcher, WebhookEndpoint
from infra.local.stripe_standin_wire import Params, StripeError, new_id, parse_form

log = logging.getLogger("infra.local.stripe")

DEFAULT_STRIPE_PORT = 12111  # stripe-mock's port, so tools that know it find us
DEFAULT_API_KEY = "sk_test_local_standin"
IDEMPOTENCY_TTL_S = 24 * 3600
MAX_BODY_BYTES = 1024 * 1024


def _sdk_api_version() -> str:
    """The API version of the installed SDK: the one its requests and webhook parsing expect."""
    import stripe

    return str(stripe.api_version)


@dataclass(frozen=True)
class StandinConfig:
    # Only this key is accepted when set; otherwise any ``sk_test_``/``rk_test_`` key (test mode only).
    api_key: str | None = None
    webhook_url: str | None = None
    webhook_secret: str = field(default_factory=lambda: "whsec_" + secrets.token_hex(24))
    enabled_events: tuple[str, ...] = ("*",)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    api_version: str = field(default_factory=_sdk_api_version)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> StandinConfig:
        """``STRIPE_API_KEY``, ``STRIPE_WEBHOOK_SECRET`` (generated if absent), ``STRIPE_WEBHOOK_URL``."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        if env.get("STRIPE_API_KEY", "").startswith(("sk_test_", "rk_test_")):
            values["api_key"] = env["STRIPE_API_KEY"]
        if env.get("STRIPE_WEBHOOK_SECRET"):
            values["webhook_secret"] = env["STRIPE_WEBHOOK_SECRET"]
        if env.get("STRIPE_WEBHOOK_URL"):
            values["webhook_url"] = env["STRIPE_WEBHOOK_URL"]
        return cls(**values)


def use_real_stripe(environ: Mapping[str, str] | None = None) -> bool:
    """True when the developer gave a Stripe test-mode key (``STRIPE_API_KEY=sk_test_...``): the local
    stack then talks to Stripe's test mode instead of the stand-in. ``STRIPE_STANDIN=1`` keeps the
    stand-in (which then accepts only that key). A live key never counts: no real money moves locally.
    """
    env = os.environ if environ is None else environ
    wants_standin = env.get("STRIPE_STANDIN") == "1"
    return not wants_standin and env.get("STRIPE_API_KEY", "").startswith("sk_test_")


@dataclass(frozen=True)
class Response:
    status: int
    body: dict[str, Any]
    headers: tuple[tuple[str, str], ...] = ()


@dataclass
class _Saved:
    method: str
    path: str
    params: str
    created: float
    response: Response | None = None  # None while the first request is still running
    request_id: str = ""


class IdempotencyStore:
    """Stripe's idempotency: per API key, 24 h; same key + same request replays, otherwise 400."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._saved: dict[tuple[str, str], _Saved] = {}

    def begin(
        self, scope: tuple[str, str], method: str, path: str, params: dict[str, Any]
    ) -> Response | None:
        """A replayed or rejected answer, or None when the request should run (and ``finish`` after)."""
        fingerprint = json.dumps(params, sort_keys=True)
        key = scope[1]
        with self._lock:
            saved = self._saved.get(scope)
            if saved is not None and self._clock() - saved.created > IDEMPOTENCY_TTL_S:
                saved = None
            if saved is None:
                self._saved[scope] = _Saved(method, path, fingerprint, self._clock())
                return None
        if saved.response is None:
            return _error(
                StripeError(
                    409,
                    f"There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): {key}. Please try again later.",
                    type="idempotency_error",
                )
            )
        if (saved.method, saved.path) != (method, path):
            return _error(
                StripeError(
                    400,
                    f"Keys for idempotent requests can only be used for the same endpoint they were first used for ('{saved.method} {saved.path}' vs '{method} {path}'). Try using a key other than '{key}' if you meant to execute a different request.",
                    type="idempotency_error",
                )
            )
        if saved.params != fingerprint:
            return _error(
                StripeError(
                    400,
                    f"Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{key}' if you meant to execute a different request.",
                    type="idempotency_error",
                )
            )
        replay = (("Idempotent-Replayed", "true"), ("Original-Request", saved.request_id))
        return Response(saved.response.status, saved.response.body, saved.response.headers + replay)

    def finish(self, scope: tuple[str, str], response: Response, request_id: str, keep: bool) -> None:
        with self._lock:
            if keep:
                saved = self._saved[scope]
                saved.response, saved.request_id = response, request_id
            else:
                self._saved.pop(scope, None)


def _error(exc: StripeError) -> Response:
    return Response(exc.status, exc.body())


def _api_key(headers: Mapping[str, str]) -> str | None:
    value = headers.get("authorization", "").strip()
    scheme, _, credential = value.partition(" ")
    if scheme.lower() == "bearer":
        return credential.strip() or None
    if scheme.lower() == "basic":  # curl -u sk_test_...:
        try:
            return base64.b64decode(credential).decode().partition(":")[0] or None
        except ValueError:
            return None
    return None


Handler = Callable[["StripeApi", re.Match[str], dict[str, Any], Caller], dict[str, Any]]


class StripeApi:
    """Routes Stripe API and ``/_standin`` requests; transport-free, so it is served by any HTTP server."""

    def __init__(self, config: StandinConfig, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        endpoint = (
            WebhookEndpoint(config.webhook_url, config.webhook_secret, config.enabled_events)
            if config.webhook_url
            else None
        )
        self.webhooks = WebhookDispatcher(config.retry, endpoint)
        self.ledger = StripeLedger(clock, config.api_version, self.webhooks.enqueue)
        self.idempotency = IdempotencyStore(clock)
        # Test helper (``POST /_standin/faults``): the next API requests answer this status (500, 429).
        self._faults: list[int] = []
        self._faults_lock = threading.Lock()

    def set_webhook_endpoint(
        self, url: str, secret: str | None = None, enabled_events: tuple[str, ...] | None = None
    ) -> None:
        self.webhooks.endpoint = WebhookEndpoint(
            url, secret or self.config.webhook_secret, enabled_events or self.config.enabled_events
        )

    @property
    def webhook_secret(self) -> str:
        return self.webhooks.endpoint.secret if self.webhooks.endpoint else self.config.webhook_secret

    def handle(self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> Response:
        lowered = {k.lower(): v for k, v in headers.items()}
        if path.startswith("/_standin/"):
            return self._standin(method, path, query, lowered, body)
        request_id = new_id("req", 14)
        response = self._v1(method, path, query, lowered, body, request_id)
        version = lowered.get("stripe-version") or self.config.api_version
        extra: tuple[tuple[str, str], ...] = (("Request-Id", request_id), ("Stripe-Version", version))
        if "idempotency-key" in lowered and method == "POST":
            extra += (("Idempotency-Key", lowered["idempotency-key"]),)
        return Response(response.status, response.body, response.headers + extra)

    def _authenticate(self, headers: Mapping[str, str]) -> tuple[str | None, Response | None]:
        key = _api_key(headers)
        if key is None:
            return None, _error(
                StripeError(
                    401,
                    "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
                )
            )
        accepted = (
            key == self.config.api_key if self.config.api_key else key.startswith(("sk_test_", "rk_test_"))
        )
        if not accepted:
            return None, _error(StripeError(401, f"Invalid API Key provided: {key[:8]}{'*' * 12}{key[-4:]}"))
        return key, None

    def _v1(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes, request_id: str
    ) -> Response:
        key, refused = self._authenticate(headers)
        if refused is not None or key is None:
            return refused or _error(StripeError(401, "Unauthorized"))
        route = _match(method, path)
        if route is None:
            return _error(
                StripeError(
                    404,
                    f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.",
                )
            )
        handler, match = route
        with self._faults_lock:
            fault = self._faults.pop(0) if self._faults else None
        if fault is not None:
            kind = "rate_limit_error" if fault == 429 else "api_error"
            return _error(StripeError(fault, "An injected fault of the Stripe stand-in.", type=kind))
        try:
            params = parse_form(query if method == "GET" else body.decode())
        except StripeError as exc:
            return _error(exc)
        except UnicodeDecodeError:
            return _error(StripeError(400, "The request body is not valid UTF-8."))
        idempotency_key = headers.get("idempotency-key") if method == "POST" else None
        caller = Caller(request_id, idempotency_key)
        if idempotency_key is None:
            return self._run(handler, match, params, caller)[0]
        scope = (key, idempotency_key)
        answered = self.idempotency.begin(scope, method, path, params)
        if answered is not None:
            return answered
        response, keep = self._run(handler, match, params, caller)
        self.idempotency.finish(scope, response, request_id, keep)
        return response

    def _run(
        self, handler: Handler, match: re.Match[str], params: dict[str, Any], caller: Caller
    ) -> tuple[Response, bool]:
        fields = params.pop("expand", None)
        try:
            result = handler(self, match, params, caller)
            if fields is not None:
                result = self.ledger.expand(result, Params({"expand": fields}, ()).expand())
        except StripeError as exc:
            return _error(exc), exc.saved
        except Exception:
            log.exception("the Stripe stand-in failed on %s", match.string)
            return _error(
                StripeError(
                    500, "An unknown error occurred in the Stripe stand-in; see its log.", type="api_error"
                )
            ), False
        return Response(200, result), True

    # ---- /_standin helpers ------------------------------------------------------------------------------

    def _standin(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> Response:
        try:
            text = body.decode() if body else ""
            # A JSON object is read as JSON whatever the Content-Type: `curl -d '{...}'` says form.
            is_json = "json" in headers.get("content-type", "") or text.lstrip().startswith("{")
            params = json.loads(text) if text and is_json else parse_form(text or query)
        except (ValueError, StripeError) as exc:
            return Response(
                400, {"error": {"type": "invalid_request_error", "message": f"unreadable body: {exc}"}}
            )
        for (verb, pattern), helper in _STANDIN_ROUTES.items():
            match = re.fullmatch(pattern, path)
            if verb == method and match:
                try:
                    return helper(self, match, params)
                except StripeError as exc:
                    return _error(exc)
        return Response(
            404,
            {"error": {"type": "invalid_request_error", "message": f"no stand-in helper at {method} {path}"}},
        )

    def _simulate(self, match: re.Match[str], params: dict[str, Any]) -> Response:
        """The shopper's browser confirming with Stripe.js: a test card (with the ``billing_details`` the
        payment form collected, as Stripe Elements sends them), then the 3-D Secure challenge."""
        intent_id = match.group(1)
        intent = self.ledger.retrieve_payment_intent(intent_id)
        secret = params.get("client_secret")
        if secret is not None and secret != intent["client_secret"]:
            raise StripeError(
                400,
                "The client_secret provided does not match the client_secret associated with the PaymentIntent.",
                param="client_secret",
            )
        caller = Caller(new_id("req", 14), None)
        if intent["status"] == "requires_action":
            outcome = params.get("three_d_secure", "complete")
            if outcome not in ("complete", "fail"):
                raise StripeError(400, "three_d_secure must be complete or fail", param="three_d_secure")
            return Response(200, self.ledger.authenticate(intent_id, outcome == "complete", caller))
        confirm = {"payment_method": str(params.get("payment_method") or "pm_card_visa")}
        confirmed = self.ledger.confirm_payment_intent(
            intent_id, confirm, caller, from_browser=True, billing_details=params.get("billing_details")
        )
        return Response(200, confirmed)

    def _resend(self, match: re.Match[str], params: dict[str, Any]) -> Response:
        event = self.ledger.retrieve_event(match.group(1))
        timestamp = params.get("timestamp")
        if params.get("age_seconds") is not None:
            timestamp = int(time.time()) - int(params["age_seconds"])
        try:
            record = self.webhooks.deliver_now(
                event,
                timestamp=int(timestamp) if timestamp is not None else None,
                tampered=_truthy(params.get("tampered")),
                secret=params.get("secret"),
                replay_last=_truthy(params.get("replay_last")),
                url=params.get("url"),
            )
        except LookupError as exc:
            return Response(409, {"error": {"type": "invalid_request_error", "message": str(exc)}})
        return Response(200, record)

    def _set_endpoint(self, match: re.Match[str], params: dict[str, Any]) -> Response:
        if not params.get("url"):
            raise StripeError(400, "Missing required param: url.", code="parameter_missing", param="url")
        events = params.get("enabled_events")
        self.set_webhook_endpoint(str(params["url"]), params.get("secret"), tuple(events) if events else None)
        return self._config(match, params)

    def _config(self, match: re.Match[str], params: dict[str, Any]) -> Response:
        endpoint = self.webhooks.endpoint
        return Response(
            200,
            {
                "api_version": self.config.api_version,
                "webhook_url": endpoint.url if endpoint else None,
                "webhook_secret": self.webhook_secret,
                "enabled_events": list(endpoint.enabled_events if endpoint else self.config.enabled_events),
            },
        )

    def _inject_faults(self, match: re.Match[str], params: dict[str, Any]) -> Response:
        """The next ``count`` API requests answer ``status`` (a 5xx outage or a 429 throttle)."""
        status, count = int(params.get("status", 500)), int(params.get("count", 1))
        if status not in (429, 500, 502, 503):
            raise StripeError(400, "status must be 429, 500, 502 or 503", param="status")
        with self._faults_lock:
            self._faults = [status] * count
        return Response(200, {"status": status, "count": count})

    def _deliveries(self, match: re.Match[str], params: dict[str, Any]) -> Response:
        if _truthy(params.get("wait")):
            self.webhooks.wait_idle(float(params.get("timeout", 5)))
        return Response(200, {"object": "list", "data": self.webhooks.deliveries(params.get("event_id"))})

    def _clear_deliveries(self, match: re.Match[str], params: dict[str, Any]) -> Response:
        self.webhooks.clear_log()
        return Response(200, {"object": "list", "data": []})


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1", "yes")


def _create_intent(api: StripeApi, m: re.Match[str], raw: dict[str, Any], c: Caller) -> dict[str, Any]:
    return api.ledger.create_payment_intent(raw, c)


def _list_intents(api: StripeApi, m: re.Match[str], raw: dict[str, Any], c: Caller) -> dict[str, Any]:
    return api.ledger.list_payment_intents(Params(raw, ("created", "customer", *_PAGING)))


def _get_intent(api: StripeApi, m: re.Match[str], raw: dict[str, Any], c: Caller) -> dict[str, Any]:
    Params(raw, ())
    return api.ledger.retrieve_payment_intent(m.group(1))


def _update_intent(api: StripeApi, m: re.Match[str], raw: dict[str, Any], c: Caller) -> dict[str, Any]:
    return api.ledger.update_payment_intent(m.group(1), raw, c)


def _confirm_intent(api: StripeApi, m: re.Match[str], raw: dict[str, Any], c: Caller) -> dict[str, Any]:
    return api.ledger.confirm_payment_intent(m.group(1), raw, c)


def _capture_intent(api: StripeApi, m: re.Match[str], raw: dict[str, Any], c: Caller) -> dict[str, Any]:
    return api.ledger.capture_payment_intent(m.group(1), raw, c)


def _cancel_intent(api: StripeApi, m: re.Match[str], raw: dict[str, Any], c: Caller) -> dict[str, Any]:
    return api.ledger.cancel_payment_intent(m.group(1), raw, c)


def _create_refund(api: StripeApi, m: re.Match[str], raw: dict[str, Any], c: Caller) -> dict[str, Any]:
    return api.ledger.create_refund(raw, c)


def _list_refunds(api: StripeApi, m: re.Match[str], raw: dict[str, Any], c: Caller) -> dict[str, Any]:
    return api.ledger.list_refunds(Params(raw, ("payment_intent", "charge", *_PAGING)))


def _getter(collection: str, kind: str) -> Handler:
    def get(api: StripeApi, m: re.Match[str], raw: dict[str, Any], c: Caller) -> dict[str, Any]:
        Params(raw, ())
        return api.ledger.retrieve(collection, m.group(1), kind)

    return get


def _get_event(api: StripeApi, m: re.Match[str], raw: dict[str, Any], c: Caller) -> dict[str, Any]:
    Params(raw, ())
    return api.ledger.retrieve_event(m.group(1))


def _list_events(api: StripeApi, m: re.Match[str], raw: dict[str, Any], c: Caller) -> dict[str, Any]:
    return api.ledger.list_events(Params(raw, ("type", "types", "delivery_success", *_PAGING)))


_PAGING = ("limit", "starting_after", "ending_before")
_ID = r"([A-Za-z0-9_]+)"
_PI = r"/v1/payment_intents/" + _ID
_ROUTES: dict[tuple[str, str], Handler] = {
    ("POST", r"/v1/payment_intents"): _create_intent,
    ("GET", r"/v1/payment_intents"): _list_intents,
    ("GET", _PI): _get_intent,
    ("POST", _PI): _update_intent,
    ("POST", _PI + "/confirm"): _confirm_intent,
    ("POST", _PI + "/capture"): _capture_intent,
    ("POST", _PI + "/cancel"): _cancel_intent,
    ("POST", r"/v1/refunds"): _create_refund,
    ("GET", r"/v1/refunds"): _list_refunds,
    ("GET", r"/v1/refunds/" + _ID): _getter("refunds", "refund"),
    ("GET", r"/v1/charges/" + _ID): _getter("charges", "charge"),
    ("GET", r"/v1/payment_methods/" + _ID): _getter("payment_methods", "payment_method"),
    ("GET", r"/v1/events"): _list_events,
    ("GET", r"/v1/events/" + _ID): _get_event,
}

_STANDIN_ROUTES: dict[tuple[str, str], Callable[[StripeApi, re.Match[str], dict[str, Any]], Response]] = {
    ("GET", r"/_standin/health"): lambda api, m, p: Response(200, {"status": "ok"}),
    ("GET", r"/_standin/config"): StripeApi._config,
    ("POST", r"/_standin/webhook_endpoint"): StripeApi._set_endpoint,
    ("GET", r"/_standin/deliveries"): StripeApi._deliveries,
    ("DELETE", r"/_standin/deliveries"): StripeApi._clear_deliveries,
    ("POST", r"/_standin/payment_intents/([A-Za-z0-9_]+)/simulate"): StripeApi._simulate,
    ("POST", r"/_standin/events/([A-Za-z0-9_]+)/resend"): StripeApi._resend,
    ("POST", r"/_standin/faults"): StripeApi._inject_faults,
    ("GET", r"/_standin/payment_intents/([A-Za-z0-9_]+)/settlement"): lambda api, m, p: Response(
        200, api.ledger.settlement(m.group(1))
    ),
    ("POST", r"/_standin/payment_intents/([A-Za-z0-9_]+)/decline_next_capture"): lambda api, m, p: Response(
        200, api.ledger.decline_next_capture(m.group(1))
    ),
    ("POST", r"/_standin/payment_intents/([A-Za-z0-9_]+)/expire_authorisation"): lambda api, m, p: Response(
        200, api.ledger.expire_authorisation(m.group(1))
    ),
}


def _match(method: str, path: str) -> tuple[Handler, re.Match[str]] | None:
    for (verb, pattern), handler in _ROUTES.items():
        match = re.fullmatch(pattern, path)
        if verb == method and match:
            return handler, match
    return None


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _StandinServer

    def _serve(self) -> None:
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            response = _error(StripeError(413, "Request body too large."))
        else:
            body = self.rfile.read(length) if length else b""
            try:
                response = self.server.api.handle(self.command, path, query, dict(self.headers.items()), body)
            except Exception:
                log.exception("the Stripe stand-in failed on %s %s", self.command, path)
                response = _error(
                    StripeError(500, "The Stripe stand-in failed; see its log.", type="api_error")
                )
        payload = json.dumps(response.body, indent=2).encode()
        self.send_response(response.status)
        self.send_header("Content-Type", "application/json")
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        log.debug("%s %s %s", self.command, self.path, response.status)

    do_GET = do_POST = do_DELETE = _serve  # noqa: N815 - BaseHTTPRequestHandler's names

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _StandinServer(ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, address: tuple[str, int], api: StripeApi) -> None:
        self.api = api
        super().__init__(address, _RequestHandler)


class StripeStandin:
    """The stand-in on an HTTP port (0 picks a free one), with its webhook dispatcher, in background threads."""

    def __init__(
        self,
        config: StandinConfig | None = None,
        port: int = 0,
        host: str = "127.0.0.1",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.api = StripeApi(config or StandinConfig(), clock)
        self._host = host
        self._server = _StandinServer((host, port), self.api)
        # A short poll interval makes stop() quick (serve_forever checks for shutdown at this pace).
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="stripe-standin",
            daemon=True,
        )

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._server.server_address[1]}"

    @property
    def webhook_secret(self) -> str:
        return self.api.webhook_secret

    def set_webhook_endpoint(self, url: str, secret: str | None = None) -> None:
        self.api.set_webhook_endpoint(url, secret)

    def wait_for_webhooks(self, timeout: float = 5.0) -> bool:
        """True once every queued delivery, retries included, has been attempted."""
        return self.api.webhooks.wait_idle(timeout)

    def deliveries(self, event_id: str | None = None) -> list[dict[str, Any]]:
        return self.api.webhooks.deliveries(event_id)

    def start(self) -> None:
        self.api.webhooks.start()
        self._thread.start()
        log.info("Stripe stand-in on %s", self.url)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self.api.webhooks.stop()


def stripe_environment(standin: StripeStandin, api_key: str | None = None) -> dict[str, str]:
    """What functions need to reach the stand-in: ``STRIPE_API_BASE``, ``STRIPE_API_KEY``, the signing secret."""
    return {
        "STRIPE_API_BASE": standin.url,
        "STRIPE_API_KEY": api_key or standin.api.config.api_key or DEFAULT_API_KEY,
        "STRIPE_WEBHOOK_SECRET": standin.webhook_secret,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Local Stripe API stand-in")
    parser.add_argument("--port", type=int, default=DEFAULT_STRIPE_PORT)
    parser.add_argument(
        "--webhook-url", default=None, help="where to POST signed events (default $STRIPE_WEBHOOK_URL)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    config = StandinConfig.from_env()
    if args.webhook_url:
        config = dataclasses.replace(config, webhook_url=args.webhook_url)
    standin = StripeStandin(config, port=args.port)
    standin.start()
    print(f"Stripe stand-in on {standin.url}; webhook secret {standin.webhook_secret}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        standin.stop()


if __name__ == "__main__":
    main()
