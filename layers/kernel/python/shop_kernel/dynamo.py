"""DynamoDB helpers shared by every data-access module.

* ``serialize`` / ``deserialize``: plain Python <-> attribute values (ints stay ints, no Decimal leaks).
* Paging, the one place that follows ``LastEvaluatedKey``: ``pages`` (every response of a Query or Scan),
  ``query_items`` / ``query_all`` (a Query's items, lazily or as a list), ``query_page`` (one page of at
  most ``limit`` items from a start key, and the key after it) and ``signed_page`` (the same with the
  keys as signed cursors, for pages handed to callers).
* ``batch_get_all``: a BatchGetItem retried until no key is left unprocessed; ``batch_get_keys``: keys
  across tables, 100 per BatchGetItem.
* ``put_each_if``: a burst of conditional puts (a projection's "only over an older one") in
  ``TransactWriteItems`` of up to 100, each put kept or dropped on its own condition.
* ``CursorCodec``: opaque pagination cursors. A cursor is the ``LastEvaluatedKey`` plus the table,
  index and query scope it belongs to, HMAC-SHA256 signed. A forged cursor, or one minted for another
  table, index or query, is rejected with a 400 instead of reaching DynamoDB.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Collection, Iterator, Sequence
from decimal import Decimal
from typing import Any

from shop_kernel.errors import ValidationFailed

# Our own attribute-value codec instead of boto3.dynamodb.types: importing boto3 costs a cold start
# ~100 ms (see shop_kernel.aws). Numbers are ints (money is minor units) or Decimal; floats are refused.


def serialize_value(value: Any) -> dict[str, Any]:
    """One Python value -> a DynamoDB attribute value."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, int | Decimal):
        return {"N": str(value)}
    if isinstance(value, float):
        raise TypeError("floats are not stored: use int minor units or a string")
    if isinstance(value, bytes):
        return {"B": value}
    if isinstance(value, dict):
        return {"M": {str(k): serialize_value(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [serialize_value(v) for v in value]}
    if isinstance(value, set | frozenset):
        if all(isinstance(v, str) for v in value):
            return {"SS": sorted(value)}
        return {"NS": sorted(str(v) for v in value)}
    raise TypeError(f"cannot store a {type(value).__name__} in DynamoDB")


def _number(text: str) -> int | str:
    try:
        return int(text)
    except ValueError:
        number = Decimal(text)
        return int(number) if number == number.to_integral_value() else text


def deserialize_value(value: dict[str, Any]) -> Any:
    """One DynamoDB attribute value -> plain Python (ints, never Decimal)."""
    ((kind, raw),) = value.items()
    if kind == "S" or kind == "B":
        return raw
    if kind == "N":
        return _number(raw)
    if kind == "BOOL":
        return raw
    if kind == "NULL":
        return None
    if kind == "M":
        return {k: deserialize_value(v) for k, v in raw.items()}
    if kind == "L":
        return [deserialize_value(v) for v in raw]
    if kind == "SS" or kind == "BS":
        return sorted(raw)
    if kind == "NS":
        return sorted(_number(v) for v in raw)  # type: ignore[type-var]
    raise TypeError(f"unknown attribute type {kind}")


def serialize(item: dict[str, Any]) -> dict[str, Any]:
    """A plain dict -> DynamoDB attribute-value map. ``None`` values are dropped."""
    return {k: serialize_value(v) for k, v in item.items() if v is not None}


def deserialize(item: dict[str, Any]) -> dict[str, Any]:
    return {k: deserialize_value(v) for k, v in item.items()}


def pages(call: Callable[..., dict[str, Any]], **request: Any) -> Iterator[dict[str, Any]]:
    """Every response of ``call`` (a client's ``query`` or ``scan``), following ``LastEvaluatedKey``;
    lazily, so a reader that stops early reads no further page."""
    while True:
        page = call(**request)
        yield page
        if not page.get("LastEvaluatedKey"):
            return
        request = {**request, "ExclusiveStartKey": page["LastEvaluatedKey"]}


def query_items(client: Any, **request: Any) -> Iterator[dict[str, Any]]:
    """Every item a Query returns (raw attribute values), page after page as they are read."""
    for page in pages(client.query, **request):
        yield from page.get("Items", [])


def query_all(client: Any, **request: Any) -> list[dict[str, Any]]:
    """Every item a Query returns, following ``LastEvaluatedKey`` (for small, bounded partitions)."""
    return list(query_items(client, **request))


def query_page(
    client: Any, limit: int, start: dict[str, Any] | None = None, **request: Any
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One page of a Query: at most ``limit`` items after ``start`` (a previous page's key; None: from the
    beginning), and the key to read the next page from (None: that was the last)."""
    request = {**request, "Limit": limit}
    if start:
        request["ExclusiveStartKey"] = start
    page = client.query(**request)
    return page.get("Items", []), page.get("LastEvaluatedKey") or None


def signed_page(
    client: Any, codec: CursorCodec, scope: str, cursor: str | None, limit: int, **request: Any
) -> tuple[list[dict[str, Any]], str | None]:
    """``query_page`` for a caller: it starts from ``cursor`` (refused with a 400 unless this codec signed
    it for ``scope``) and hands back the next page's cursor, signed, instead of the raw key."""
    items, last = query_page(client, limit, codec.decode(cursor, scope), **request)
    return items, codec.encode(last, scope)


def batch_get_all(client: Any, request: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """``BatchGetItem`` until no key is left unprocessed; items by table. At most 100 keys per request."""
    found: dict[str, list[dict[str, Any]]] = {}
    pending = request
    while pending:
        response = client.batch_get_item(RequestItems=pending)
        for table, items in response.get("Responses", {}).items():
            found.setdefault(table, []).extend(items)
        pending = response.get("UnprocessedKeys") or {}
    return found


BATCH_GET_LIMIT = 100


def batch_get_keys(
    client: Any,
    keys: Sequence[tuple[str, dict[str, Any]]],
    consistent: Collection[str] = (),
) -> dict[str, list[dict[str, Any]]]:
    """Items by table for ``(table, key)`` pairs (duplicates asked once), in as few ``BatchGetItem``
    calls as the 100-key limit allows; tables in ``consistent`` are read with ``ConsistentRead``."""
    unique = list({(table, json.dumps(key, sort_keys=True)): (table, key) for table, key in keys}.values())
    found: dict[str, list[dict[str, Any]]] = {}
    for start in range(0, len(unique), BATCH_GET_LIMIT):
        request: dict[str, Any] = {}
        for table, key in unique[start : start + BATCH_GET_LIMIT]:
            entry = request.setdefault(table, {"Keys": []})
            entry["Keys"].append(key)
            if table in consistent:
                entry["ConsistentRead"] = True
        for table, items in batch_get_all(client, request).items():
            found.setdefault(table, []).extend(items)
    return found


TRANSACT_LIMIT = 100


def put_each_if(client: Any, puts: Sequence[dict[str, Any]]) -> list[bool]:
    """Write each put whose condition holds; True for those written, False for those whose condition
    failed, in ``puts``' order. A put is a ``PutItem`` request (``TableName``, ``Item``,
    ``ConditionExpression`` and its names and values); the items must be distinct.

    A burst goes in ``TransactWriteItems`` of up to 100 puts: one request instead of 100, for the burst of
    stock levels a seed or a stock count sends through a projection. A transaction is all or nothing, so
    when one is cancelled the puts whose condition failed are dropped and the others are sent again; a
    cancellation that names no failed condition (another transaction held an item) or leaves one put
    sends each remaining put on its own. In the cloud a transactional write costs two write units per
    item instead of one; a single put is a plain ``PutItem``.
    """
    written = [False] * len(puts)
    for start in range(0, len(puts), TRANSACT_LIMIT):
        _put_chunk(client, puts, list(range(start, min(start + TRANSACT_LIMIT, len(puts)))), written)
    return written


def _put_chunk(client: Any, puts: Sequence[dict[str, Any]], todo: list[int], written: list[bool]) -> None:
    from botocore.exceptions import ClientError  # the adapters that call this have loaded botocore already

    from shop_kernel.transact import TRANSACTION_CONFLICT, Reason

    while len(todo) > 1:
        try:
            client.transact_write_items(TransactItems=[{"Put": dict(puts[i])} for i in todo])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            reasons = [Reason.from_response(r) for r in exc.response.get("CancellationReasons") or []]
            if len(reasons) != len(todo) or any(
                r.code not in (None, TRANSACTION_CONFLICT) and not r.condition_failed for r in reasons
            ):
                raise
            refused = {i for i, reason in zip(todo, reasons, strict=True) if reason.condition_failed}
            if not refused:
                break  # contention only: each on its own below
            todo = [i for i in todo if i not in refused]
            continue
        for i in todo:
            written[i] = True
        return
    for i in todo:
        try:
            client.put_item(**puts[i])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            continue
        written[i] = True


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
        except (ValueError, UnicodeDecodeError, TypeError) as exc:
            # TypeError: compare_digest refuses a signature with non-ASCII characters.
            raise invalid from exc
        if body.get("t") != self._table or body.get("i") != self._index or body.get("s") != scope:
            raise invalid
        key = body.get("k")
        if not isinstance(key, dict):
            raise invalid
        return key
