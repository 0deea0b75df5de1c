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

Access pattern: one item per (buyer, Idempotency-Key), keyed by Powertools' hashed key; TTL ``expiration``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from typing import Any

from aws_lambda_powertools.shared.json_encoder import Encoder
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
from aws_lambda_powertools.utilities.idempotency.persistence.base import STATUS_CONSTANTS

from shop_kernel.errors import Conflict
from shop_kernel.transact import Reason, TransactPart


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
