"""Secret values from Secrets Manager, fetched on first use and kept for the life of the process.

Fetched lazily so that cold starts and requests that never need the secret (e.g. a cursor signing key on
a first page) do not pay for the call. ``client_factory`` returns a Secrets Manager client.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class SecretKeyProvider:
    """A callable returning the secret's bytes (``SecretString`` encoded, or ``SecretBinary``)."""

    def __init__(self, client_factory: Callable[[], Any], secret_name: str) -> None:
        self._client_factory = client_factory
        self._secret_name = secret_name
        self._key: bytes | None = None
        self._lock = threading.Lock()

    def __call__(self) -> bytes:
        if self._key is None:
            with self._lock:
                if self._key is None:
                    response = self._client_factory().get_secret_value(SecretId=self._secret_name)
                    secret = response.get("SecretString")
                    self._key = secret.encode() if secret is not None else bytes(response["SecretBinary"])
        return self._key
