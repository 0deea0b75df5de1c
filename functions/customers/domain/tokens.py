"""Signed links a customer follows without signing in: the double opt-in confirmation and one-click
unsubscribe (RFC 8058).

A token is ``<base64url(payload)>.<base64url(HMAC-SHA256(payload))>``; the key is a Secrets Manager secret
(``customer-link-signing``) read lazily through ``key``. The payload names its purpose, so a confirmation
token cannot unsubscribe and the reverse. A confirmation token carries the pending consent's nonce and an
expiry: it confirms that one request only, once (the store's write is conditioned on the nonce). An
unsubscribe token is per customer and channel and never expires: it sits in every marketing message.
Tokens hold the customer's id and the channel, nothing personal.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from customers.domain.models import MarketingChannel
from shop_kernel.errors import ValidationFailed

Purpose = Literal["confirm", "unsubscribe"]
MAX_TOKEN_LENGTH = 512


@dataclass(frozen=True)
class LinkClaims:
    purpose: Purpose
    customer_id: str
    channel: MarketingChannel
    nonce: str | None = None
    expires_at: int | None = None  # epoch seconds


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class LinkSigner:
    def __init__(self, key: Callable[[], bytes]) -> None:
        self._key = key

    def _signature(self, payload: bytes) -> str:
        return _b64(hmac.new(self._key(), payload, hashlib.sha256).digest())

    def sign(self, claims: LinkClaims) -> str:
        body = {"p": claims.purpose, "c": claims.customer_id, "ch": claims.channel.value}
        if claims.nonce is not None:
            body["n"] = claims.nonce
        if claims.expires_at is not None:
            body["e"] = str(claims.expires_at)
        payload = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
        return f"{_b64(payload)}.{self._signature(payload)}"

    def confirmation(self, customer_id: str, channel: MarketingChannel, nonce: str, expires: datetime) -> str:
        expires_at = int(expires.timestamp())
        return self.sign(LinkClaims("confirm", customer_id, channel, nonce=nonce, expires_at=expires_at))

    def unsubscribe(self, customer_id: str, channel: MarketingChannel) -> str:
        return self.sign(LinkClaims("unsubscribe", customer_id, channel))

    def verify(self, token: str, purpose: Purpose, now: datetime, field: str) -> LinkClaims:
        """The token's claims if we signed it for ``purpose`` and it has not expired; a 422 on ``field``
        otherwise (the same answer for a forged, mistyped or foreign token)."""
        invalid = ValidationFailed.on(field, "the link is not valid; ask for a new one", "invalid_link")
        try:
            encoded, signature = token.split(".", 1)
            payload = _unb64(encoded)
            if not hmac.compare_digest(self._signature(payload), signature):
                raise invalid
            body = json.loads(payload)
            claims = LinkClaims(
                purpose=body["p"],
                customer_id=str(body["c"]),
                channel=MarketingChannel(body["ch"]),
                nonce=body.get("n"),
                expires_at=int(body["e"]) if "e" in body else None,
            )
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            raise invalid from exc
        if claims.purpose != purpose:
            raise invalid
        if claims.expires_at is not None and now > datetime.fromtimestamp(claims.expires_at, UTC):
            raise ValidationFailed.on(field, "the link has expired; ask for a new one", "expired_link")
        return claims
