"""DynamoDB helpers shared by every data-access module.

* ``serialize`` / ``deserialize``: plain Python <-> attribute values (ints stay ints, no Decimal leaks).
* ``CursorCodec``: opaque pagination cursors. A cursor is the ``LastEvaluatedKey`` plus the table,
  index and query scope it belongs to, HMAC-SHA256 signed. A forged cursor, or one minted for another
  table, index or query, is rejected with a 400 instead of reaching DynamoDB.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from shop_kernel.errors import ValidationFailed

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        raise TypeError("floats are not stored: use int minor units or a string")
    if isinstance(value, dict):
        return {k: _to_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamo(v) for v in value]
    if isinstance(value, set):
        return sorted(_from_dynamo(v) for v in value)
    return value


def serialize(item: dict[str, Any]) -> dict[str, Any]:
    """A plain dict -> DynamoDB attribute-value map. ``None`` values are dropped."""
    return {k: _serializer.serialize(_to_dynamo(v)) for k, v in item.items() if v is not None}


def deserialize(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _from_dynamo(_deserializer.deserialize(v)) for k, v in item.items()}


def serialize_value(value: Any) -> dict[str, Any]:
    return _serializer.serialize(_to_dynamo(value))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorCodec:
    """Signs and verifies pagination cursors bound to (table, index, scope).

    ``key_provider`` returns the signing secret; it is called lazily so a function that never pages
    never fetches it.
    """

    def __init__(self, table: str, key_provider: Callable[[], bytes], index: str = "") -> None:
        self._table = table
        self._index = index
        self._key_provider = key_provider

    def _sign(self, payload: bytes) -> str:
        return _b64(hmac.new(self._key_provider(), payload, hashlib.sha256).digest())

    def encode(self, last_evaluated_key: dict[str, Any] | None, scope: str = "") -> str | None:
        if not last_evaluated_key:
            return None
        body = {"t": self._table, "i": self._index, "s": scope, "k": last_evaluated_key}
        payload = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
        return f"{_b64(payload)}.{self._sign(payload)}"

    def decode(
        self, cursor: str | None, scope: str = "", field: str = "query.cursor"
    ) -> dict[str, Any] | None:
        if not cursor:
            return None
        invalid = ValidationFailed.on(
            field, "the cursor is not valid for this listing; start again", "cursor"
        )
        try:
            encoded, signature = cursor.split(".", 1)
            payload = _unb64(encoded)
            expected = self._sign(payload)
            if not hmac.compare_digest(expected, signature):
                raise invalid
            body = json.loads(payload)
        except (ValueError, UnicodeDecodeError) as exc:
            raise invalid from exc
        if body.get("t") != self._table or body.get("i") != self._index or body.get("s") != scope:
            raise invalid
        key = body.get("k")
        if not isinstance(key, dict):
            raise invalid
        return key
