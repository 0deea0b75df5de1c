"""Checkout's idempotency records: Powertools' DynamoDB persistence layer, with the completed record written
in the order's own ``TransactWriteItems`` (decision 49).

Powertools writes a request's record twice: in progress before the function runs (a concurrent duplicate
gets a 409, a retry with another body a 422) and completed with the answer after it returns (a retry gets
that answer). A checkout's one write is a transaction, so the completed record can be one more entry of
it: the answer is then stored exactly when the order is (no window where the order exists and its answer
does not), and the second call goes. ``completion`` builds that entry as Powertools' ``save_success``
would (the same key, payload hash, expiry and response JSON; ``tests/unit/checkout/test_idempotency_records.py``
compares the two), and ``save_success`` skips a record ``answered`` so. A request answered without the
transaction (a retry finding the order written, a refusal) is completed, or deleted, by Powertools itself.

The in-progress record is written together with decision 29's attempt counters, in one
``TransactWriteItems``: Powertools' own Put and its
condition, and one conditional Update per counter (inside ``counting``). A retry or a concurrent duplicate fails the Put's
condition, so it counts nothing and Powertools answers it as always (the stored answer, 409, 422); a
counter at its limit fails its Update, so nothing is written, not even the in-progress record, and the
request is a 429. Contention alone (``TransactionConflict``) is tried again a few times, then answered
with a 429 too (one second), never a 503: nothing is down and nothing was written.

Access pattern: one item per (buyer, Idempotency-Key), keyed by Powertools' hashed key; TTL ``expiration``.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools.shared.json_encoder import Encoder
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyItemAlreadyExistsError
from aws_lambda_powertools.utilities.idempotency.persistence.base import STATUS_CONSTANTS
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from botocore.exceptions import ClientError

from checkout.domain.throttle import too_many_checkouts
from shop_kernel.errors import Conflict, TooManyRequests
from shop_kernel.limits import AttemptKey, count_attempt_update
from shop_kernel.transact import CONDITION_FAILED, TRANSACTION_CONFLICT, Reason, TransactPart

CONFLICT_TRIES = 3


class CheckoutRecords(DynamoDBPersistenceLayer):
    """Powertools' layer for ``POST /checkout``; one instance per environment (the container's)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._request = threading.local()

    def completion(self, data: dict[str, Any], result: dict[str, Any]) -> TransactPart:
        """The completed record of the request ``data`` answering ``result``, as a transaction entry that
        holds only while the request's own in-progress record does."""
        key = self._get_hashed_idempotency_key(data=data)
        if key is None:  # pragma: no cover - the route's key is required (raise_on_no_idempotency_key)
            raise ValueError("a checkout request always has an idempotency key")
        names = {"#response_data": self.data_attr, "#expiry": self.expiry_attr, "#status": self.status_attr}
        values: dict[str, Any] = {
            ":response_data": {"S": json.dumps(result, cls=Encoder, sort_keys=True)},
            ":expiry": {"N": str(self._get_expiry_timestamp())},
            ":status": {"S": STATUS_CONSTANTS["COMPLETED"]},
            ":in_progress": {"S": STATUS_CONSTANTS["INPROGRESS"]},
        }
        expression = "SET #response_data = :response_data, #expiry = :expiry, #status = :status"
        if self.payload_validation_enabled:
            expression += ", #validation_key = :validation_key"
            values[":validation_key"] = {"S": self._get_hashed_payload(data=data)}
            names["#validation_key"] = self.validation_key_attr
        entry = {
            "Update": {
                "TableName": self.table_name,
                "Key": self._get_key(key),
                "UpdateExpression": expression,
                "ConditionExpression": "#status = :in_progress",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        }
        return TransactPart(entries=(entry,), explain=_record_taken)

    @contextmanager
    def counting(self, table: str, keys: Sequence[AttemptKey], now: dt.datetime) -> Iterator[None]:
        """Inside it, the in-progress record is written with one more on each of ``keys`` (once: a write
        that went through, or was refused, is not tried again)."""
        self._request.counts = (table, list(keys), now)
        try:
            yield
        finally:
            self._request.counts = None

    def _put_record(self, data_record: DataRecord) -> None:
        counts = getattr(self._request, "counts", None)
        if counts is None:
            super()._put_record(data_record)
            return
        table, keys, now = counts
        put = self._in_progress_put(data_record)
        updates = [{"Update": count_attempt_update(table, key)} for key in keys]
        for attempt in range(CONFLICT_TRIES):
            try:
                self.client.transact_write_items(TransactItems=[put, *updates])
                return
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                    raise
                reasons = [Reason.from_response(r) for r in exc.response.get("CancellationReasons") or []]
                if not any(r.condition_failed for r in reasons) and attempt < CONFLICT_TRIES - 1:
                    continue  # contention only: another request held a counter or the record
                self._refused(data_record, reasons, keys, now, exc)

    def _in_progress_put(self, data_record: DataRecord) -> dict[str, Any]:
        """Powertools' in-progress Put (``DynamoDBPersistenceLayer._put_record``) as a transaction entry."""
        item = {
            **self._get_key(data_record.idempotency_key),
            self.expiry_attr: {"N": str(data_record.expiry_timestamp)},
            self.status_attr: {"S": data_record.status},
        }
        if data_record.in_progress_expiry_timestamp is not None:
            item[self.in_progress_expiry_attr] = {"N": str(data_record.in_progress_expiry_timestamp)}
        if self.payload_validation_enabled and data_record.payload_hash:
            item[self.validation_key_attr] = {"S": data_record.payload_hash}
        now = dt.datetime.now()
        return {
            "Put": {
                "TableName": self.table_name,
                "Item": item,
                "ConditionExpression": "attribute_not_exists(#id) OR #expiry < :now OR (#status = :inprogress"
                " AND attribute_exists(#in_progress_expiry) AND #in_progress_expiry < :now_in_millis)",
                "ExpressionAttributeNames": {
                    "#id": self.key_attr,
                    "#expiry": self.expiry_attr,
                    "#in_progress_expiry": self.in_progress_expiry_attr,
                    "#status": self.status_attr,
                },
                "ExpressionAttributeValues": {
                    ":now": {"N": str(int(now.timestamp()))},
                    ":now_in_millis": {"N": str(int(now.timestamp() * 1000))},
                    ":inprogress": {"S": STATUS_CONSTANTS["INPROGRESS"]},
                },
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    def _refused(
        self,
        data_record: DataRecord,
        reasons: Sequence[Reason],
        keys: Sequence[AttemptKey],
        now: dt.datetime,
        exc: ClientError,
    ) -> None:
        """What a cancelled in-progress write means, as Powertools' own Put would say it, or a 429."""
        record = reasons[0] if reasons else Reason()
        if record.code is not None and record.code != CONDITION_FAILED:
            # The record itself was contended: Powertools reads it (or runs again if it is gone).
            raise IdempotencyItemAlreadyExistsError() from exc
        if record.condition_failed:
            if record.item is None:
                raise IdempotencyItemAlreadyExistsError() from exc
            stored = self._item_to_data_record(record.item)
            self._validate_payload(data_payload=data_record, stored_data_record=stored)  # a 422 when not
            raise IdempotencyItemAlreadyExistsError(old_data_record=stored) from exc
        for key, reason in zip(keys, reasons[1:], strict=False):
            if reason.condition_failed:
                raise too_many_checkouts(key, now) from None
        if any(reason.code == TRANSACTION_CONFLICT for reason in reasons):
            # Still contended after every try: checkouts of one cart or one address arriving at the same
            # moment. Nothing was written; the shopper retries, as for a limit (not an outage: no 5xx).
            raise TooManyRequests(
                "other checkouts from this cart or connection are being placed at this moment: retry in a second"
            ) from None
        raise exc

    def answered(self, data: dict[str, Any]) -> None:
        """The request's completed record was committed with its order: its ``save_success`` is done."""
        self._request.answered = self._get_hashed_idempotency_key(data=data)

    def save_success(self, data: dict[str, Any], result: dict[str, Any]) -> None:
        answered, self._request.answered = getattr(self._request, "answered", None), None
        if answered is not None and answered == self._get_hashed_idempotency_key(data=data):
            return
        super().save_success(data, result)


def _record_taken(reasons: Sequence[Reason]) -> Exception:
    """The in-progress record is no longer this request's (it outlived its Lambda timeout and another
    request took it over): nothing was written, and that request answers."""
    del reasons
    return Conflict("a checkout with this Idempotency-Key is still running: retry in a moment")


__all__ = ["CheckoutRecords"]
