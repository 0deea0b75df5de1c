"""A guest's e-mail as a keyed hash: what lets a guest's orders be recognised later without the e-mail.

``HMAC-SHA256(secret, normalised e-mail)`` in hex. Checkout puts it on a guest order's ``OrderPlaced``;
loyalty holds the guest's points against it and, when a signed-up customer's verified e-mail hashes to
the same key, lets them claim those points once. Without the secret (``guest-email-key``) the key cannot
be tied to an address (no dictionary attack on a plain hash), so it is pseudonymous, not an e-mail on the
bus. Normalised: trimmed and lower-cased (the whole address; providers' dot and plus rules are not ours).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable


def normalise_email(email: str) -> str:
    return email.strip().lower()


class GuestKeys:
    """``of(email)``: the guest key of an e-mail; the secret is read at the first key made."""

    def __init__(self, secret: Callable[[], bytes]) -> None:
        self._secret = secret

    def of(self, email: str) -> str:
        message = normalise_email(email).encode()
        return hmac.new(self._secret(), message, hashlib.sha256).hexdigest()


__all__ = ["GuestKeys", "normalise_email"]
