"""A small HTTP client for the catalog admin API, shared by the import and export commands (stdlib only)."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from typing import Any, Protocol


class ApiError(Exception):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"HTTP {status}: {body[:500]}")
        self.status = status
        self.body = body


class Transport(Protocol):
    """What the tools need from the API: one request, answered with status, headers and body."""

    def request(
        self, method: str, path: str, body: bytes | None = None, content_type: str = "application/json"
    ) -> tuple[int, dict[str, str], bytes]: ...


class AdminClient:
    def __init__(self, base_url: str, token: str, timeout: float = 60.0) -> None:
        self._base = base_url.rstrip("/")
        self._token = token
        self._timeout = timeout

    def request(
        self, method: str, path: str, body: bytes | None = None, content_type: str = "application/json"
    ) -> tuple[int, dict[str, str], bytes]:
        if not self._base.startswith(("http://", "https://")):
            raise ValueError("the API URL must start with http:// or https://")
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
            self._base + path,
            data=body,
            method=method,
            headers={
                "Authorization": f"Bearer {self._token}",
                "Content-Type": content_type,
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def json(self, method: str, path: str, payload: Any = None) -> tuple[int, Any]:
        body = json.dumps(payload).encode() if payload is not None else None
        status, _, raw = self.request(method, path, body)
        return status, json.loads(raw) if raw else None


class Progress:
    """A one-line progress bar on stderr: ``[#####-----] 120/240 products  created 120 ...``."""

    def __init__(self, total: int, label: str = "products", width: int = 30) -> None:
        self._total = max(total, 1)
        self._label = label
        self._width = width

    def show(self, done: int, note: str = "") -> None:
        filled = int(self._width * done / self._total)
        bar = "#" * filled + "-" * (self._width - filled)
        sys.stderr.write(f"\r[{bar}] {done}/{self._total} {self._label}  {note}")
        sys.stderr.flush()

    def finish(self) -> None:
        sys.stderr.write("\n")
