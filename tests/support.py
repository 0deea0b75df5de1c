"""Helpers shared by the tests of every context: reading an API Gateway proxy response, waiting for a condition."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def etag(self) -> str:
        return self.headers["ETag"]


def response_headers(response: dict[str, Any]) -> dict[str, str]:
    """Single-value headers, with the last value of each multi-value header (as a client sees them)."""
    headers = dict(response.get("headers") or {})
    for name, values in (response.get("multiValueHeaders") or {}).items():
        headers.setdefault(name, values[-1])
    return headers


def reply_from(response: dict[str, Any]) -> Reply:
    """A handler's proxy response as status, headers and (JSON-decoded when JSON) body."""
    text = response.get("body") or ""
    headers = response_headers(response)
    is_json = headers.get("Content-Type", "").endswith(("/json", "+json"))
    return Reply(response["statusCode"], headers, json.loads(text) if is_json and text else text)


class TableStream:
    """Reads a moto table's stream from its start, as the Lambda event source mapping delivers it.

    Records are converted and filtered by the local stack's own code (``to_lambda_record`` and the
    trigger's ``item_types``), so handlers see exactly what they would see in ``make run``.
    """

    def __init__(self, dynamodb: Any, table_name: str, item_types: tuple[str, ...]) -> None:
        import boto3

        from infra.local.pollers import to_lambda_record

        self._to_record = to_lambda_record
        self._item_types = item_types
        region = dynamodb.meta.region_name
        # The account-scoped endpoint botocore picks for stream ARNs is unknown to moto; use the regional one.
        self._client = boto3.client(
            "dynamodbstreams",
            region_name=region,
            endpoint_url=f"https://streams.dynamodb.{region}.amazonaws.com",
        )
        self.arn = dynamodb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
        shard = self._client.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"][0]["ShardId"]
        self._iterator = self._client.get_shard_iterator(
            StreamArn=self.arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]

    def batch(self) -> dict[str, Any]:
        """Records since the last batch whose old or new image has one of the trigger's item types."""
        response = self._client.get_records(ShardIterator=self._iterator)
        self._iterator = response["NextShardIterator"]
        records = []
        for record in response["Records"]:
            images = [record["dynamodb"].get(k) or {} for k in ("NewImage", "OldImage")]
            if any(i.get("type", {}).get("S") in self._item_types for i in images):
                records.append(self._to_record(record, self.arn))
        return {"Records": json.loads(json.dumps(records, default=wire_default))}


def wire_default(value: Any) -> Any:
    """Binary attributes travel base64-encoded in a Lambda stream event; anything else as text."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return str(value)


def order_json(item: dict[str, Any]) -> dict[str, Any]:
    """The order a (deserialised) orders-table order item holds, as its JSON dict."""
    from orders.adapters.records import order_document

    return dict(json.loads(order_document(item)))


def wait_until(check: Callable[[], Any], what: str, timeout_s: float = 120.0) -> Any:
    """``check()``'s first true answer, asked every 50 ms; an AssertionError naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def streamed_table(dynamodb: Any, name: str) -> str:
    """Creates ``name`` keyed by a string ``pk`` with a stream of new images; returns the stream's ARN."""
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    return str(dynamodb.describe_table(TableName=name)["Table"]["LatestStreamArn"])
