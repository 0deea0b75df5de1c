"""Guest cart tokens: 256 random bits handed out once; only their SHA-256 is ever stored.

A table read (a backup, a support query, a leaked export) therefore yields no token that opens a cart,
and the token itself is the only key a guest needs. A well-formed but unknown token is a 404; a
malformed one a 400 naming the header, before anything is read.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from shop_kernel.errors import FieldError, MalformedRequest

TOKEN_HEADER = "X-Cart-Token"  # noqa: S105 - a header name, not a secret
TOKEN_BYTES = 32
TOKEN_PATTERN = r"^[A-Za-z0-9_-]{20,200}$"  # noqa: S105 - the shape of a token, not a secret
_WELL_FORMED = re.compile(TOKEN_PATTERN)


def new_token() -> str:
    """A fresh token: 32 random bytes, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def checked_token(raw: str | None) -> str:
    """The token from the header; 400 naming ``header.x-cart-token`` when it is absent or malformed."""
    field = f"header.{TOKEN_HEADER.lower()}"
    if raw is None or not raw.strip():
        message = f"send the {TOKEN_HEADER} header you got when the cart was created"
        raise MalformedRequest(message, errors=[FieldError(field=field, message=message, code="missing")])
    token = raw.strip()
    if not _WELL_FORMED.match(token):
        message = f"{TOKEN_HEADER} is not a cart token"
        raise MalformedRequest(message, errors=[FieldError(field=field, message=message, code="malformed")])
    return token
