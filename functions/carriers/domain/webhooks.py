"""Verifying a carrier's tracking webhook before anything in it is believed.

A webhook carrier signs each delivery like Stripe does: header ``t=<unix seconds>,v1=<hex HMAC-SHA256 of
"<t>.<exact body>" with the carrier's webhook key>``. A body whose signature does not match (forged,
tampered, signed with another carrier's key) or whose timestamp is more than ``tolerance`` away from now
(a captured request replayed later) is refused before it is parsed. A replay inside the tolerance is
caught by the delivery id (``ShipmentStore.delivery_seen``).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from shop_kernel.errors import FieldError, MalformedRequest

SIGNATURE_HEADER = "Carrier-Signature"
DEFAULT_TOLERANCE = timedelta(minutes=5)


class WebhookRejected(MalformedRequest):
    type_slug = "invalid-webhook-signature"
    title = "The webhook's signature does not verify"

    def __init__(self, detail: str) -> None:
        field = f"header.{SIGNATURE_HEADER.lower()}"
        super().__init__(detail, errors=[FieldError(field=field, message=detail, code="invalid_signature")])


def sign(body: bytes, key: bytes, timestamp: int) -> str:
    """The header value a carrier sends with ``body`` (the stand-in and tests sign with it)."""
    digest = hmac.new(key, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(
    body: bytes, header: str | None, key: bytes, now: datetime, tolerance: timedelta = DEFAULT_TOLERANCE
) -> None:
    if not header:
        raise WebhookRejected(f"the {SIGNATURE_HEADER} header is missing")
    parts: dict[str, list[str]] = {}
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        parts.setdefault(name, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        raise WebhookRejected(f"the {SIGNATURE_HEADER} header has no timestamp") from None
    if abs(now.timestamp() - timestamp) > tolerance.total_seconds():
        raise WebhookRejected("the signature is too old (or from the future): a replay is refused")
    expected = sign(body, key, timestamp).split("v1=", 1)[1]
    if not any(hmac.compare_digest(expected, given) for given in parts.get("v1", [])):
        raise WebhookRejected("the signature does not match this body")
