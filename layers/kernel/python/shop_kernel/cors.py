"""Which browser origins may call the API, and the CORS headers every answer and preflight carries.

The stage's origins come from ``cdk.json`` (``corsAllowOrigins``) through the ``CORS_ALLOW_ORIGINS``
environment variable (comma separated) that the function construct and the local stack set. An entry
ending in ``:*`` (``http://localhost:*``) allows any port of that scheme and host, so a storefront dev
server works whatever port it picked. The request's ``Origin`` is echoed when allowed, never ``*``:
answers differ by origin, so every answer says ``Vary: Origin`` and shared caches keep them apart.

Pure standard library: ``infra/constructs/api.py`` keeps the same header lists for the gateway's own
answers, and a test holds the two equal.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

CORS_ENV = "CORS_ALLOW_ORIGINS"
# Replayed idempotent answers carry it (Stripe's name), so a client can tell a retry from a first answer.
IDEMPOTENT_REPLAY_HEADER = "Idempotent-Replayed"
REQUEST_ID_HEADER = "X-Request-Id"
# What a storefront script may read from an answer (browsers hide every other non-simple header).
EXPOSED_HEADERS: tuple[str, ...] = (
    "ETag",
    "Location",
    "X-Cart-Token",
    REQUEST_ID_HEADER,
    "Retry-After",
    IDEMPOTENT_REPLAY_HEADER,
    "Content-Language",
)
# What a storefront script may send.
ALLOWED_HEADERS: tuple[str, ...] = (
    "Accept-Language",
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "If-Match",
    "If-None-Match",
    "X-Cart-Token",
    "X-Correlation-Id",
)
ALLOWED_METHODS: tuple[str, ...] = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
PREFLIGHT_MAX_AGE_S = 3600


@dataclass(frozen=True)
class CorsPolicy:
    """Exact origins plus ``scheme://host`` pairs whose every port is allowed."""

    origins: frozenset[str] = frozenset()
    any_port: frozenset[tuple[str, str]] = frozenset()

    @classmethod
    def parse(cls, raw: str) -> CorsPolicy:
        origins: set[str] = set()
        any_port: set[tuple[str, str]] = set()
        for entry in (part.strip().rstrip("/") for part in raw.split(",")):
            if entry.endswith(":*"):
                scheme, _, host = entry[:-2].partition("://")
                any_port.add((scheme.lower(), host.lower()))
            elif entry:
                origins.add(entry.lower())
        return cls(frozenset(origins), frozenset(any_port))

    @property
    def enabled(self) -> bool:
        return bool(self.origins or self.any_port)

    def allows(self, origin: str | None) -> bool:
        if not origin or len(origin) > 255:
            return False
        lowered = origin.strip().lower()
        if lowered in self.origins:
            return True
        try:
            parts = urlsplit(lowered)
            port = parts.port
        except ValueError:
            return False
        if port is None or parts.path or parts.query or parts.fragment or parts.username:
            return False
        return (parts.scheme, parts.hostname or "") in self.any_port

    def response_headers(self, origin: str | None) -> dict[str, str]:
        """Headers for an actual answer to a request from ``origin``."""
        if not self.enabled:
            return {}
        headers = {"Vary": "Origin"}
        if origin is not None and self.allows(origin):
            headers["Access-Control-Allow-Origin"] = origin.strip()
            headers["Access-Control-Expose-Headers"] = ", ".join(EXPOSED_HEADERS)
        return headers

    def preflight_headers(self, origin: str | None) -> dict[str, str]:
        """Headers for the answer to an ``OPTIONS`` preflight; no ``Allow-Origin`` for a foreign origin."""
        if not self.enabled:
            return {}
        headers = {"Vary": "Origin"}
        if origin is not None and self.allows(origin):
            headers.update(
                {
                    "Access-Control-Allow-Origin": origin.strip(),
                    "Access-Control-Allow-Methods": ", ".join(ALLOWED_METHODS),
                    "Access-Control-Allow-Headers": ", ".join(ALLOWED_HEADERS),
                    "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE_S),
                }
            )
        return headers


@lru_cache(maxsize=4)
def _parsed(raw: str) -> CorsPolicy:
    return CorsPolicy.parse(raw)


def cors_policy(environ: Mapping[str, str] | None = None) -> CorsPolicy:
    """The policy of this function's stage, from ``CORS_ALLOW_ORIGINS`` (parsed once per distinct value)."""
    env = os.environ if environ is None else environ
    return _parsed(env.get(CORS_ENV, ""))
