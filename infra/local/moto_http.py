"""The local moto server answers over kept-alive connections.

Werkzeug's development server, which moto's server mode runs on, closes the connection after every answer
(``Connection: close``: Python's ``http.server`` does not know how much of a body the application left
unread, so the next request line could not be found). Every request of the stack (~11,000 while the demo
is seeded) was then a new TCP connection and a new server thread, and a new connection in the SDK of the
caller: in a profile of the seed, 40 % of moto's CPU per request was outside moto, and a third of the
caller's. Here the body is read to its ``Content-Length`` whatever the application read, the answer is sent
whole with its length (head and body in one write: two small writes on a kept-alive connection wait for
the client's delayed ACK), and the connection stays open unless the client asked to close it. A chunked
request, which none of our SDK calls sends, still goes through werkzeug's own handling and closes.
Measured against the moto process (2,000 conditional ``PutItem``s): moto's CPU per request 2.10 -> 1.21 ms,
the client's 1.52 -> 1.03 ms, wall 4.4 -> 2.4 ms (decision 81). ``tests/integration/local/test_local_moto_http.py``
shows one socket carrying requests after a body left unread, and an SDK client's calls on one connection.

And the stack's own requests skip moto's Flask layer. Each request went through moto's domain dispatcher
(the service guessed from the host, the signature and the target header, under a lock), a Flask app's
request context, URL routing, debug-mode form checks and after-request hooks, to reach one handler
method: a fifth of moto's CPU per request in a profile of the demo seed, more than a ``GetItem`` itself.
A request carrying an ``X-Amz-Target`` of DynamoDB, DynamoDB Streams, SQS or EventBridge (the JSON
protocols, ``POST /``: every call the stack makes thousands of) goes straight to the handler moto's
routes name for it, with the same request class, URL and headers, and its answer becomes the same HTTP
response (Flask's ``Response``, the CORS header moto's app adds); anything else takes moto's way.
And a request's headers are read without the ``email`` package's parser (``http.client.parse_headers``:
55 us for an SDK request's fourteen headers, 19.5 us read directly) when they are plain ``Name: value``
lines; folded or odd lines still go to that parser. ``tests/integration/local/test_local_moto_http.py`` compares both ways' answers.

When moto's tables have a process of their own (``install(tables=...)``, ``moto_server``), a DynamoDB or
DynamoDB Streams request that reaches this process anyway (a client that knows only ``AWS_ENDPOINT_URL``)
is forwarded there as it came, and its answer returned as it went.
"""

from __future__ import annotations

import http.client
import logging
import re
import threading
from collections.abc import Callable
from typing import Any

from moto.moto_server.werkzeug_app import BackendRequest, DomainDispatcherApplication, MotoRequestHandler
from werkzeug.exceptions import InternalServerError
from werkzeug.wsgi import LimitedStream

from infra.local.kept_alive import KeptAlive, address

log = logging.getLogger("infra.local.moto")

_original_run_wsgi = MotoRequestHandler.run_wsgi
_WITHOUT_BODY = frozenset({204, 304})


def _answer(app: Any, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """The application's status, headers and whole body."""
    started: dict[str, Any] = {"written": []}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started["status"], started["headers"] = status, headers
        return started["written"].append

    produced = app(environ, start_response)
    try:
        body = b"".join([*started["written"], *produced])
    finally:
        if hasattr(produced, "close"):
            produced.close()
    return started["status"], started["headers"], body


def _run_wsgi(self: Any) -> None:
    """Werkzeug's ``run_wsgi`` for a request with a known length, answered on a connection kept open."""
    if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
        self.close_connection = True
        _original_run_wsgi(self)
        return
    if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
        self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    environ = self.environ = self.make_environ()
    request_body = LimitedStream(self.rfile, int(self.headers.get("Content-Length") or 0))
    environ["wsgi.input"] = request_body
    try:
        status, headers, body = _answer(self.server.app, environ)
    except Exception:
        log.exception("moto failed on %s %s", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"))
        self.close_connection = True
        status, headers, body = _answer(InternalServerError(), environ)
    request_body.exhaust()  # what the application left unread: the next request line follows it
    _send(self, environ["REQUEST_METHOD"] == "HEAD", status, headers, body)


def _send(self: Any, head: bool, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
    code_text, _, reason = status.partition(" ")
    code = int(code_text)
    self.send_response(code, reason)
    for name, value in headers:
        lower = name.lower()
        # The length is the body's (a HEAD answer keeps the application's); the connection is ours.
        if lower == "connection" or lower == "transfer-encoding" or (lower == "content-length" and not head):
            continue
        self.send_header(name, value)
    if not head and code not in _WITHOUT_BODY and code >= 200:
        self.send_header("Content-Length", str(len(body)))
    if self.close_connection:
        self.send_header("Connection", "close")
    # Head and body in one write: two small writes on a kept-alive connection wait for the delayed ACK.
    self._headers_buffer.append(b"\r\n" + (b"" if head else body))
    self.flush_headers()


# --- straight to the handler ------------------------------------------------------------------------

_original_dispatch = DomainDispatcherApplication.__call__


def _handlers() -> dict[str, Callable[..., Any]]:
    """``X-Amz-Target``'s service part -> the handler moto's routes give ``POST /`` of that service."""
    from moto.dynamodb.responses import DynamoHandler
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler
    from moto.events.responses import EventsHandler
    from moto.sqs.responses import SQSResponse

    return {
        "DynamoDB_20120810": DynamoHandler.dispatch,
        "DynamoDBStreams_20120810": DynamoDBStreamsHandler.dispatch,
        "AmazonSQS": SQSResponse.dispatch,
        "AWSEvents": EventsHandler.dispatch,
    }


_HANDLERS: dict[str, Callable[..., Any]] = {}


def _handler_for(environ: dict[str, Any]) -> Callable[..., Any] | None:
    target = environ.get("HTTP_X_AMZ_TARGET")
    if not target or environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") != "/":
        return None
    return _HANDLERS.get(target.partition(".")[0])


def _dispatch(self: DomainDispatcherApplication, environ: dict[str, Any], start_response: Any) -> Any:
    """moto's dispatcher, but a request one of ``_HANDLERS`` answers goes to it without Flask: what
    ``convert_to_flask_response`` does around the handler, then the header ``flask_cors`` adds. A request
    for the tables goes to their process when they have one."""
    handler = _handler_for(environ)
    if handler is None:
        return _original_dispatch(self, environ, start_response)
    if _tables.address is not None and environ["HTTP_X_AMZ_TARGET"].partition(".")[0] in _TABLES_TARGETS:
        return _tables.forward(environ, start_response)
    from botocore.exceptions import ClientError
    from flask import Response
    from moto.moto_api import recorder
    from moto.settings import DISABLE_GLOBAL_CORS

    request = BackendRequest(environ)
    try:
        recorder._record_request(request)
        result = handler(request, request.raw_url, dict(request.headers))
    except ClientError as exc:
        result = 400, {}, exc.response["Error"]["Message"]
    status, headers, content = result if len(result) == 3 else (200, {}, result)
    response = Response(response=content, status=status, headers=headers)
    if not DISABLE_GLOBAL_CORS:
        response.headers.setdefault("Access-Control-Allow-Origin", "*")
    return response(environ, start_response)


# --- the tables' process -----------------------------------------------------------------------------

_TABLES_TARGETS = frozenset({"DynamoDB_20120810", "DynamoDBStreams_20120810"})
# Hop-by-hop, or rewritten by whoever sends the message on.
_NOT_FORWARDED = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "host"})
_FORWARD_TIMEOUT_S = 70.0  # over the longest call a client makes (a long poll is SQS's, not forwarded)


class _Tables:
    """Where DynamoDB's and its streams' requests go when another process holds the tables: kept-alive
    connections per server thread (a thread answers one client connection at a time)."""

    def __init__(self) -> None:
        self.address: tuple[str, int] | None = None
        self._local = threading.local()

    def forward(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        assert self.address is not None
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = {
            name[5:].replace("_", "-").title(): value
            for name, value in environ.items()
            if name.startswith("HTTP_") and name[5:].replace("_", "-").lower() not in _NOT_FORWARDED
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        kept = getattr(self._local, "kept", None)
        if kept is None:
            kept = self._local.kept = KeptAlive(_FORWARD_TIMEOUT_S)
        status, reason, answer_headers, answer = kept.post(self.address, body, headers)
        start_response(
            f"{status} {reason}",
            [(name, value) for name, value in answer_headers if name.lower() not in _NOT_FORWARDED],
        )
        return [answer]


_tables = _Tables()


# --- headers ---------------------------------------------------------------------------------------

_original_parse_headers = http.client.parse_headers
# A field as the email parser reads it simply: a token, a colon, a value; no folding, no odd bytes.
_PLAIN_FIELD = re.compile(rb"([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*([^\r\n]*)\r?\n")


def _parse_headers(fp: Any, _class: type[http.client.HTTPMessage] = http.client.HTTPMessage) -> Any:
    """``http.client.parse_headers``: the same message, built directly when every line is a plain field."""
    lines = http.client._read_headers(fp)  # type: ignore[attr-defined]
    message = _class()
    for line in lines:
        if line in (b"\r\n", b"\n", b""):
            break
        field = _PLAIN_FIELD.fullmatch(line)
        if field is None:
            return _original_parse_headers(_Replay(lines), _class)
        message.set_raw(field[1].decode("iso-8859-1"), field[2].decode("iso-8859-1"))
    message.set_payload("")  # what the email parser leaves after the headers
    return message


class _Replay:
    """The header lines already read, for the original parser."""

    def __init__(self, lines: list[bytes]) -> None:
        self._lines = iter(lines)

    def readline(self, _limit: int = -1) -> bytes:
        return next(self._lines, b"")


def install(tables: str | None = None) -> None:
    """Idempotent; every moto server of this process started afterwards keeps connections alive, answers
    the stack's JSON-protocol requests without Flask, and reads plain headers directly; with ``tables`` (a
    URL), it forwards DynamoDB's and its streams' requests there."""
    if tables is not None:
        _tables.address = address(tables)
    if not _HANDLERS:
        _HANDLERS.update(_handlers())
    MotoRequestHandler.run_wsgi = _run_wsgi  # type: ignore[method-assign]
    DomainDispatcherApplication.__call__ = _dispatch  # type: ignore[method-assign]
    http.client.parse_headers = _parse_headers  # type: ignore[assignment]


def uninstall() -> None:
    _tables.address = None
    MotoRequestHandler.run_wsgi = _original_run_wsgi  # type: ignore[method-assign]
    DomainDispatcherApplication.__call__ = _original_dispatch  # type: ignore[method-assign]
    http.client.parse_headers = _original_parse_headers
