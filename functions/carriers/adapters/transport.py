"""HTTP for carrier adapters, injected so tests replay recorded answers and never reach the network.

``Transport.request(method, url, body, headers)`` returns ``(status, headers, body bytes)``; a connection
failure or timeout raises ``CarrierUnavailable``. ``UrllibTransport`` is the real one (the standard
library: no HTTP client in the layer just for carriers).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Protocol

from carriers.domain.ports import CarrierUnavailable

TIMEOUT_S = 8.0


class Transport(Protocol):
    def request(
        self, method: str, url: str, body: bytes | None = None, headers: Mapping[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]: ...


class UrllibTransport:
    def __init__(self, timeout_s: float = TIMEOUT_S) -> None:
        self._timeout_s = timeout_s

    def request(
        self, method: str, url: str, body: bytes | None = None, headers: Mapping[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        if not url.startswith(("https://", "http://")):
            raise ValueError(f"not an HTTP URL: {url}")
        request = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self._timeout_s) as response:  # noqa: S310
                return response.status, dict(response.headers.items()), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers.items()), exc.read()
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise CarrierUnavailable(f"cannot reach {url.split('?')[0]}: {exc}") from exc
