"""Helpers shared by the handler tests of every context: reading an API Gateway proxy response."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def etag(self) -> str:
        return self.headers["ETag"]


def response_headers(response: dict[str, Any]) -> dict[str, str]:
    """Single-value headers, with the last value of each multi-value header (as a client sees them)."""
    headers = dict(response.get("headers") or {})
    for name, values in (response.get("multiValueHeaders") or {}).items():
        headers.setdefault(name, values[-1])
    return headers


def reply_from(response: dict[str, Any]) -> Reply:
    """A handler's proxy response as status, headers and (JSON-decoded when JSON) body."""
    text = response.get("body") or ""
    headers = response_headers(response)
    is_json = headers.get("Content-Type", "").endswith(("/json", "+json"))
    return Reply(response["statusCode"], headers, json.loads(text) if is_json and text else text)
