"""Checkout's completed idempotency record, written in the order's transaction, is the record Powertools'
own ``save_success`` writes: same item key, attributes and values (decision 49). This is what a retry
reads back; a Powertools upgrade that changes its format fails here, not in production."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig
from botocore.exceptions import ClientError

from cart.domain.models import CartOwner, OwnerKind
from checkout.adapters.idempotency import CONFLICT_TRIES, CheckoutRecords
from checkout.domain.throttle import AttemptLimits, attempt_keys
from shop_kernel.errors import TooManyRequests
from shop_kernel.limits import TooManyAttempts

REQUEST = {"owner": "guest:crt_1", "key": "k-1", "body": {"email": "a@example.com"}, "if_match": None}
ANSWER = {"order": {"id": "ord_1", "total": {"amount": 1999, "currency": "UAH"}}, "payment": None}


class RecordingClient:
    """Stands in for the DynamoDB client: keeps what an ``update_item`` would send."""

    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []

    def update_item(self, **request: Any) -> dict[str, Any]:
        self.updates.append(request)
        return {}


def _configured(layer: DynamoDBPersistenceLayer) -> DynamoDBPersistenceLayer:
    config = IdempotencyConfig(
        event_key_jmespath="[owner, key]",
        payload_validation_jmespath="[body, if_match]",
        expires_after_seconds=3600,
    )
    layer.configure(config, function_name="checkout.handlers.routes.checkout.place_checkout")
    return layer


def test_the_transaction_entry_writes_what_powertools_save_success_writes() -> None:
    # GIVEN Powertools' layer and checkout's, configured alike
    client = RecordingClient()
    plain = _configured(DynamoDBPersistenceLayer(table_name="idempotency", boto3_client=client))
    ours = _configured(CheckoutRecords(table_name="idempotency", boto3_client=RecordingClient()))
    # WHEN Powertools completes the request, and checkout builds the entry for its transaction
    plain.save_success(REQUEST, ANSWER)
    entry = ours.completion(REQUEST, ANSWER).entries[0]["Update"]
    # THEN both set the same attributes to the same values on the same item (expiry within a second);
    # checkout's also holds only while the record is still in progress
    sent = client.updates[0]
    expiry = abs(
        int(entry["ExpressionAttributeValues"].pop(":expiry")["N"])
        - int(sent["ExpressionAttributeValues"].pop(":expiry")["N"])
    )
    assert expiry <= 1
    assert entry["ExpressionAttributeValues"].pop(":in_progress") == {"S": "INPROGRESS"}
    assert entry.pop("ConditionExpression") == "#status = :in_progress"
    assert entry == sent


def test_a_request_answered_in_the_transaction_is_not_written_again() -> None:
    # GIVEN checkout's layer whose request was answered in the order's transaction
    client = RecordingClient()
    ours = _configured(CheckoutRecords(table_name="idempotency", boto3_client=client))
    ours.answered(REQUEST)
    # WHEN Powertools completes that request, and then another one
    ours.save_success(REQUEST, ANSWER)
    ours.save_success({**REQUEST, "key": "k-2"}, ANSWER)
    # THEN only the other one is written
    assert [u["Key"] for u in client.updates] == [
        ours._get_key(ours._get_hashed_idempotency_key({**REQUEST, "key": "k-2"}) or "")
    ]


class TransactingClient:
    """Stands in for the DynamoDB client: answers each ``transact_write_items`` with the next outcome
    (None: written; else the cancellation reasons' codes) and keeps what was sent."""

    def __init__(self, *outcomes: list[str] | None) -> None:
        self.outcomes = list(outcomes)
        self.sent: list[list[dict[str, Any]]] = []

    def transact_write_items(self, TransactItems: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        self.sent.append(TransactItems)
        codes = self.outcomes.pop(0)
        if codes is None:
            return {}
        error = {"Error": {"Code": "TransactionCanceledException", "Message": "cancelled"}}
        raise ClientError(
            {**error, "CancellationReasons": [{"Code": c} for c in codes]}, "TransactWriteItems"
        )


NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
KEYS = attempt_keys(CartOwner(OwnerKind.GUEST, "crt_1"), "198.51.100.9", NOW, AttemptLimits())


def test_the_in_progress_record_and_the_counters_are_one_write_and_a_full_counter_refuses_it() -> None:
    # GIVEN the address's counter at its limit
    client = TransactingClient(["None", "None", "ConditionalCheckFailed"])
    ours = _configured(CheckoutRecords(table_name="idempotency", boto3_client=client))
    # WHEN the request's in-progress record is written while counting
    with ours.counting("orders", KEYS, NOW), pytest.raises(TooManyAttempts) as refused:
        ours.save_inprogress(REQUEST, remaining_time_in_millis=30_000)
    # THEN one transaction held the record and both counters, and the refusal names the window's rest
    assert [list(entry) for entry in client.sent[0]] == [["Put"], ["Update"], ["Update"]]
    assert (refused.value.retry_after_s or 0) > 0


def test_contention_alone_is_tried_again_and_outside_counting_powertools_writes_alone() -> None:
    # GIVEN a first try that met another request's write on a counter
    client = TransactingClient(["None", "TransactionConflict", "None"], None)
    ours = _configured(CheckoutRecords(table_name="idempotency", boto3_client=client))
    # WHEN the record is written while counting
    with ours.counting("orders", KEYS, NOW):
        ours.save_inprogress(REQUEST, remaining_time_in_millis=30_000)
    # THEN the same write went again and held
    assert len(client.sent) == 2
    assert client.sent[0] == client.sent[1]


def test_contention_on_every_try_is_a_429_of_a_second_not_an_outage() -> None:
    # GIVEN a counter held by other checkouts from the same address on every try
    tries = [["None", "None", "TransactionConflict"] for _ in range(CONFLICT_TRIES)]
    client = TransactingClient(*tries)
    ours = _configured(CheckoutRecords(table_name="idempotency", boto3_client=client))
    # WHEN the request's in-progress record is written while counting
    with ours.counting("orders", KEYS, NOW), pytest.raises(TooManyRequests) as refused:
        ours.save_inprogress(REQUEST, remaining_time_in_millis=30_000)
    # THEN it was tried every time and answered "retry in a second", not as an attempt limit
    assert len(client.sent) == CONFLICT_TRIES
    assert not isinstance(refused.value, TooManyAttempts)
    assert refused.value.retry_after_s == 1
