"""The kernel's DynamoDB helpers are tried on a moto table whose client records the operations it sends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.conftest import REGION


@contextmanager
def recording_table(name: str, *, range_key: bool) -> Iterator[Any]:
    """A moto table ``name`` (key ``pk``, and ``sk`` with ``range_key``) and a client whose ``sent`` lists
    every operation it sends; the caller's items go in before ``sent`` is cleared."""
    import boto3
    from moto import mock_aws

    keys = [("pk", "HASH")] + ([("sk", "RANGE")] if range_key else [])
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        dynamodb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": key, "KeyType": kind} for key, kind in keys],
            AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"} for key, _ in keys],
            BillingMode="PAY_PER_REQUEST",
        )
        dynamodb.sent = []  # type: ignore[attr-defined]
        dynamodb.meta.events.register(
            "before-call.dynamodb.*", lambda model, **_: dynamodb.sent.append(model.name)
        )
        yield dynamodb
