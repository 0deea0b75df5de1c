"""``POST /`` over kept-alive HTTP/1.1 connections to the local stack's own endpoints (moto's processes).

Shared by the pollers' JSON wire (``poller_wire``) and moto's forward to its tables process (``moto_http``):
one connection per address, reused for every call; one the server closed meanwhile fails on first use and
is opened again, once.
"""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

Answer = tuple[int, str, list[tuple[str, str]], bytes]  # status, reason, headers, body


def address(endpoint: str) -> tuple[str, int]:
    """``http://host[:port]`` -> ``(host, port)``; anything else is refused (these are local endpoints)."""
    parts = urlsplit(endpoint)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"a local endpoint speaks plain HTTP, not {endpoint!r}")
    return parts.hostname, parts.port or 80


class KeptAlive:
    """One kept-alive connection per address; not shared between threads (give each thread its own)."""

    def __init__(self, timeout_s: float) -> None:
        self._timeout_s = timeout_s
        self._connections: dict[tuple[str, int], http.client.HTTPConnection] = {}

    def post(self, to: tuple[str, int], body: bytes, headers: dict[str, str]) -> Answer:
        for attempt in (1, 2):
            connection = self._connections.get(to)
            if connection is None:
                connection = self._connections[to] = http.client.HTTPConnection(*to, timeout=self._timeout_s)
            try:
                connection.request("POST", "/", body=body, headers=headers)
                response = connection.getresponse()
                return response.status, response.reason, response.getheaders(), response.read()
            except (OSError, http.client.HTTPException):
                connection.close()
                del self._connections[to]
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        connections, self._connections = self._connections, {}
        for connection in connections.values():
            connection.close()
