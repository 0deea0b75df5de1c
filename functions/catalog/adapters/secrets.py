"""The cursor signing key, from Secrets Manager on first use and then kept for the life of the process.

Fetched lazily so that cold starts and requests that never page do not pay for the call.
"""

from __future__ import annotations

import threading
from typing import Any


class SecretKeyProvider:
    def __init__(self, client_factory: Any, secret_name: str) -> None:
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
