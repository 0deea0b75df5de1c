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
"""

from __future__ import annotations

import logging
from typing import Any

from moto.moto_server.werkzeug_app import MotoRequestHandler
from werkzeug.exceptions import InternalServerError
from werkzeug.wsgi import LimitedStream

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


def install() -> None:
    """Idempotent; every moto server of this process started afterwards keeps connections alive."""
    MotoRequestHandler.run_wsgi = _run_wsgi  # type: ignore[method-assign]


def uninstall() -> None:
    MotoRequestHandler.run_wsgi = _original_run_wsgi  # type: ignore[method-assign]
