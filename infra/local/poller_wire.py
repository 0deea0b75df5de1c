"""The pollers' three frequent calls (SQS ``ReceiveMessage`` and ``DeleteMessageBatch``, DynamoDB Streams
``GetRecords``) on AWS's JSON protocol to the local moto, without botocore.

The pollers stand for Lambda's event source mappings: AWS's side of the wire, not the shop's code. Each of
the ~40 pollers of the local stack makes these calls several times a second, and while the demo seeds
(about 2,000 events through the bus) botocore's parameter validation, signing and response parsing
(every timestamp and nested shape walked in Python) were three quarters of the runner's CPU, on the same
two cores as moto and the functions. Here a call is ``json.dumps`` of the parameters, one POST on a kept-
alive connection with the headers moto routes by (the target and the credential scope; moto checks no
signature) and ``json.loads`` of the answer: the same document botocore parses, so the pollers read the same
fields (a stream record's ``ApproximateCreationDateTime`` is epoch seconds instead of a ``datetime``: the
pollers take either).

``wire()`` answers ``JsonWire`` when the process points AWS at an endpoint (``AWS_ENDPOINT_URL``: the local
stack), else ``BotoWire`` (in-process moto in tests, which only botocore reaches). One wire per poller
thread: a connection is not shared between threads.
"""

from __future__ import annotations

import functools
import json
import os
import threading
import time
from typing import Any, Protocol

import boto3
from botocore.config import Config

from infra.local import REGION, STREAMS_ENDPOINT_VARIABLE, request_stats
from infra.local.kept_alive import KeptAlive, address

SQS_TARGET = "AmazonSQS"
STREAMS_TARGET = "DynamoDBStreams_20120810"
TIMEOUT_S = 70.0  # over the longest long-poll receive


class WireError(RuntimeError):
    """An error answer: the service's error code (``__type`` without its namespace) and message."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(f"{code}: {message} (HTTP {status})")
        self.code = code
        self.status = status


class Wire(Protocol):
    def receive(
        self, queue_url: str, most: int, wait_s: int
    ) -> list[dict[str, Any]]: ...  # pragma: no cover - protocol

    def delete(self, queue_url: str, entries: list[dict[str, str]]) -> dict[str, Any]: ...  # pragma: no cover

    def get_records(self, iterator: str, limit: int) -> dict[str, Any]: ...  # pragma: no cover


def _receive_params(queue_url: str, most: int, wait_s: int) -> dict[str, Any]:
    return {
        "QueueUrl": queue_url,
        "MaxNumberOfMessages": min(most, 10),
        "WaitTimeSeconds": wait_s,
        "AttributeNames": ["All"],
        "MessageAttributeNames": ["All"],
    }


def streams_client() -> Any:
    """A botocore DynamoDB Streams client of the local stack's region."""
    # botocore's account-based streams endpoint (<account>.streams-ddb...) is unknown to moto.
    return boto3.client(
        "dynamodbstreams", region_name=REGION, config=Config(account_id_endpoint_mode="disabled")
    )


class BotoWire:
    """The same calls through botocore: for in-process moto (``mock_aws``), which intercepts botocore."""

    # Each client made on first use: a queue poller never reads a stream, a stream poller never a queue.
    @functools.cached_property
    def _sqs(self) -> Any:
        return boto3.client("sqs", region_name=REGION)

    @functools.cached_property
    def _streams(self) -> Any:
        return streams_client()

    def receive(self, queue_url: str, most: int, wait_s: int) -> list[dict[str, Any]]:
        answer = self._sqs.receive_message(**_receive_params(queue_url, most, wait_s))
        return list(answer.get("Messages", []))

    def delete(self, queue_url: str, entries: list[dict[str, str]]) -> dict[str, Any]:
        return dict(self._sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries))

    def get_records(self, iterator: str, limit: int) -> dict[str, Any]:
        return dict(self._streams.get_records(ShardIterator=iterator, Limit=limit))


class JsonWire:
    """The calls as JSON over HTTP/1.1 to ``endpoint``, the streams' to ``streams_endpoint`` when they have
    one of their own (moto's tables process); one kept-alive connection to each."""

    def __init__(self, endpoint: str, streams_endpoint: str | None = None) -> None:
        self._addresses = {
            SQS_TARGET: address(endpoint),
            STREAMS_TARGET: address(streams_endpoint or endpoint),
        }
        self._kept = KeptAlive(TIMEOUT_S)
        self._access_key = os.environ.get("AWS_ACCESS_KEY_ID", "testing")
        self._tag = request_stats.enabled()

    def receive(self, queue_url: str, most: int, wait_s: int) -> list[dict[str, Any]]:
        answer = self.call("sqs", SQS_TARGET, "ReceiveMessage", _receive_params(queue_url, most, wait_s))
        return list(answer.get("Messages", []))

    def delete(self, queue_url: str, entries: list[dict[str, str]]) -> dict[str, Any]:
        return self.call("sqs", SQS_TARGET, "DeleteMessageBatch", {"QueueUrl": queue_url, "Entries": entries})

    def get_records(self, iterator: str, limit: int) -> dict[str, Any]:
        # DynamoDB Streams is signed as dynamodb; moto tells the two apart by the target.
        return self.call(
            "dynamodb", STREAMS_TARGET, "GetRecords", {"ShardIterator": iterator, "Limit": limit}
        )

    def call(self, scope: str, target: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(params).encode()
        day = time.strftime("%Y%m%d", time.gmtime())
        headers = {
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": f"{target}.{operation}",
            "Authorization": (
                f"AWS4-HMAC-SHA256 Credential={self._access_key}/{day}/{REGION}/{scope}/aws4_request, "
                "SignedHeaders=content-type;host;x-amz-target, Signature=local"
            ),
        }
        if self._tag:
            headers[request_stats.CALLER_HEADER] = threading.current_thread().name
        to = self._addresses.get(target, self._addresses[SQS_TARGET])
        status, _, _, data = self._kept.post(to, body, headers)
        answer = json.loads(data) if data else {}
        if status >= 300:
            code = str(answer.get("__type", "")).rpartition("#")[2] or f"HTTP{status}"
            raise WireError(code, str(answer.get("message") or answer.get("Message") or ""), status)
        return dict(answer)

    def close(self) -> None:
        self._kept.close()


def wire() -> Wire:
    """``JsonWire`` to ``AWS_ENDPOINT_URL`` when the process has one (the local stack; the streams to
    ``AWS_ENDPOINT_URL_DYNAMODB_STREAMS`` when set), else ``BotoWire``."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        return BotoWire()
    return JsonWire(endpoint, os.environ.get(STREAMS_ENDPOINT_VARIABLE))
