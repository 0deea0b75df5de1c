"""The pollers' JSON wire answers what botocore answers, against a moto server (``infra.local.poller_wire``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from infra.local import moto_http, moto_patches
from infra.local.moto_server import MotoServer, aws_environment, free_port
from infra.local.poller_wire import (
    SQS_TARGET,
    STREAMS_TARGET,
    BotoWire,
    JsonWire,
    WireError,
    streams_client,
    wire,
)
from infra.local.pollers import to_lambda_record
from tests.support import streamed_table

REGION = "eu-west-1"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    port = free_port()
    for name, value in aws_environment(port).items():
        monkeypatch.setenv(name, value)
    moto = MotoServer(port)
    moto.start()
    yield moto.url
    moto.stop()
    moto_patches.uninstall()
    moto_http.uninstall()


def _queue(sqs: Any, name: str) -> str:
    url = str(sqs.create_queue(QueueName=name)["QueueUrl"])
    for n in range(3):
        sqs.send_message(
            QueueUrl=url,
            MessageBody=f'{{"n": {n}}}',
            MessageAttributes={"kind": {"DataType": "String", "StringValue": f"k{n}"}},
        )
    return url


def _comparable(message: dict[str, Any]) -> dict[str, Any]:
    """A received message without what differs between two queues and two receives."""
    varying = ("MessageId", "ReceiptHandle")
    attributes = {k: v for k, v in message["Attributes"].items() if "Timestamp" not in k}
    return {**{k: v for k, v in message.items() if k not in varying}, "Attributes": attributes}


def test_receive_and_delete_answer_what_botocore_answers(server: str) -> None:
    # GIVEN two queues holding the same three messages
    sqs = boto3.client("sqs", region_name=REGION)
    by_boto, by_json = _queue(sqs, "wire-boto"), _queue(sqs, "wire-json")
    json_wire = JsonWire(server)
    # WHEN each wire receives its queue's messages
    boto_messages = BotoWire().receive(by_boto, 10, 0)
    json_messages = json_wire.receive(by_json, 10, 0)
    # THEN they are the same messages, with the same attributes and message attributes
    assert len(json_messages) == 3
    key = lambda m: m["Body"]  # noqa: E731
    assert [_comparable(m) for m in sorted(json_messages, key=key)] == [
        _comparable(m) for m in sorted(boto_messages, key=key)
    ]
    # AND deleting them by receipt handle empties the queue, each entry reported as botocore reports it
    entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(json_messages)]
    deleted = json_wire.delete(by_json, entries)
    assert sorted(e["Id"] for e in deleted["Successful"]) == ["0", "1", "2"]
    counts = sqs.get_queue_attributes(QueueUrl=by_json, AttributeNames=["All"])["Attributes"]
    assert counts["ApproximateNumberOfMessages"] == counts["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_a_stream_read_gives_the_records_botocore_gives(server: str) -> None:
    # GIVEN a table with a stream and three writes
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    table = dynamodb.create_table(
        TableName="wire-stream",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]
    for n in range(3):
        dynamodb.put_item(TableName="wire-stream", Item={"pk": {"S": f"p{n}"}, "n": {"N": str(n)}})
    dynamodb.update_item(
        TableName="wire-stream",
        Key={"pk": {"S": "p1"}},
        UpdateExpression="SET n = :n",
        ExpressionAttributeValues={":n": {"N": "10"}},
    )
    streams = boto3.client(
        "dynamodbstreams", region_name=REGION, config=Config(account_id_endpoint_mode="disabled")
    )
    arn = table["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]

    def iterator() -> str:
        return str(
            streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
                "ShardIterator"
            ]
        )

    # WHEN each wire reads the shard from its start
    by_boto = BotoWire().get_records(iterator(), 1000)
    by_json = JsonWire(server).get_records(iterator(), 1000)
    # THEN the records, as the pollers hand them to a function, are the same; and the next iterator reads on
    assert len(by_json["Records"]) == 4
    assert [to_lambda_record(r, arn) for r in by_json["Records"]] == [
        to_lambda_record(r, arn) for r in by_boto["Records"]
    ]
    assert JsonWire(server).get_records(by_json["NextShardIterator"], 1000)["Records"] == []


def test_an_error_answer_is_a_wire_error_with_the_service_code(server: str) -> None:
    with pytest.raises(WireError) as raised:
        JsonWire(server).receive(f"{server}/123456789012/no-such-queue", 10, 0)
    assert raised.value.status == 400
    assert "NonExistentQueue" in raised.value.code or "QueueDoesNotExist" in raised.value.code


def test_a_connection_closed_between_calls_is_opened_again(server: str) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    url = _queue(sqs, "wire-reconnect")
    json_wire = JsonWire(server)
    assert len(json_wire.receive(url, 1, 0)) == 1
    [connection] = json_wire._kept._connections.values()
    assert connection.sock is not None
    connection.sock.close()  # as a server closes an idle connection
    assert len(json_wire.receive(url, 1, 0)) == 1


def test_the_streams_go_to_their_own_endpoint_when_they_have_one(server: str) -> None:
    # GIVEN a wire whose queues are on a port nothing listens on and whose streams are on the server
    nowhere = f"http://127.0.0.1:{free_port()}"
    json_wire = JsonWire(nowhere, streams_endpoint=server)
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    arn = streamed_table(dynamodb, "wire-own-endpoint")
    dynamodb.put_item(TableName="wire-own-endpoint", Item={"pk": {"S": "a"}})
    streams = streams_client()
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    # WHEN it reads the stream and receives from a queue
    records = json_wire.get_records(iterator["ShardIterator"], 10)["Records"]
    # THEN the stream was read from the server, and the queue was asked where the queues are
    assert [r["dynamodb"]["NewImage"] for r in records] == [{"pk": {"S": "a"}}]
    with pytest.raises(ConnectionRefusedError):
        json_wire.receive(f"{nowhere}/123456789012/q", 1, 0)


def test_the_json_wire_is_used_when_the_process_has_an_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5999")
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB_STREAMS", "http://127.0.0.1:5998")
    chosen = wire()
    assert isinstance(chosen, JsonWire)
    assert chosen._addresses == {SQS_TARGET: ("127.0.0.1", 5999), STREAMS_TARGET: ("127.0.0.1", 5998)}
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB_STREAMS")
    assert isinstance(wire(), JsonWire)
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    assert isinstance(wire(), BotoWire)
    with pytest.raises(ValueError, match="plain HTTP"):
        JsonWire("https://sqs.eu-west-1.amazonaws.com")
