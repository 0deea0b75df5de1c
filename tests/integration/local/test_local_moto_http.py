"""The local moto server keeps a caller's connection open between requests, whatever the body it left unread."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator, Mapping

import pytest

from infra.local import moto_http, moto_patches
from infra.local.moto_server import MotoServer, aws_environment, free_port

SQS_JSON = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.CreateQueue"}
AUTH = (
    "AWS4-HMAC-SHA256 Credential=testing/20261203/eu-west-1/sqs/aws4_request, SignedHeaders=host, Signature=x"
)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoServer]:
    port = free_port()
    for name in aws_environment(port):
        monkeypatch.setenv(name, "before")
    moto = MotoServer(port)
    moto.start()
    yield moto
    moto.stop()
    moto_patches.uninstall()
    moto_http.uninstall()


def _create_queue(connection: http.client.HTTPConnection, name: str) -> http.client.HTTPResponse:
    body = json.dumps({"QueueName": name})
    connection.request("POST", "/", body=body, headers={**SQS_JSON, "Authorization": AUTH})
    return connection.getresponse()


def test_requests_on_one_connection_are_answered_on_it_even_after_a_body_left_unread(
    server: MotoServer,
) -> None:
    # GIVEN one HTTP/1.1 connection to the server
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    # WHEN it creates a queue, then sends a body moto's config page never reads, then creates another queue
    first = _create_queue(connection, "kept-1")
    first_body = first.read()
    socket_used = connection.sock
    connection.request("GET", "/moto-api/config", body="x" * 5000, headers={"Content-Length": "5000"})
    config = connection.getresponse()
    config_body = json.loads(config.read())
    second = _create_queue(connection, "kept-2")
    second_body = json.loads(second.read())
    # THEN every answer is whole, none closes the connection, and the same socket carried all three
    assert first.status == 200
    assert json.loads(first_body)["QueueUrl"].endswith("/kept-1")
    assert 200 <= config.status < 300
    assert isinstance(config_body, dict)
    assert second.status == 200
    assert second_body["QueueUrl"].endswith("/kept-2")
    assert [r.getheader("Connection") for r in (first, config, second)] == [None, None, None]
    assert connection.sock is socket_used
    connection.close()


def test_a_caller_that_asks_to_close_and_a_chunked_request_get_their_connection_closed(
    server: MotoServer,
) -> None:
    # GIVEN a caller asking to close, and one sending its body in chunks
    asking = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    asking.request(
        "POST",
        "/",
        body=json.dumps({"QueueName": "closing"}),
        headers={**SQS_JSON, "Authorization": AUTH, "Connection": "close"},
    )
    asked = asking.getresponse()
    chunked = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    chunked.request(
        "POST",
        "/",
        body=iter([json.dumps({"QueueName": "chunked"}).encode()]),
        headers={**SQS_JSON, "Authorization": AUTH},
        encode_chunked=True,
    )
    chunked_answer = chunked.getresponse()
    # WHEN / THEN both are answered in full, and told the connection closes
    assert asked.status == 200
    assert json.loads(asked.read())["QueueUrl"].endswith("/closing")
    assert asked.getheader("Connection") == "close"
    assert chunked_answer.status == 200
    assert json.loads(chunked_answer.read())["QueueUrl"].endswith("/chunked")
    assert chunked_answer.getheader("Connection") == "close"
    asking.close()
    chunked.close()


def test_an_sdk_client_reuses_its_connection(server: MotoServer) -> None:
    import boto3

    # GIVEN an SDK client of the server, and the connections the server accepts counted
    accepted: list[tuple[str, int]] = []
    listening = server._server._server  # type: ignore[attr-defined]  # werkzeug's server in moto's thread
    process_request = listening.process_request

    def counted(request: object, client_address: tuple[str, int]) -> None:
        accepted.append(client_address)
        process_request(request, client_address)

    listening.process_request = counted
    sqs = boto3.client("sqs", endpoint_url=server.url, region_name="eu-west-1")
    # WHEN it makes twenty-two calls
    url = sqs.create_queue(QueueName="reused")["QueueUrl"]
    for n in range(20):
        sqs.send_message(QueueUrl=url, MessageBody=str(n))
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    # THEN they went over one connection, and the answers are moto's
    assert len(accepted) == 1
    assert len(received) == 10


def _raw(
    connection: http.client.HTTPConnection, target: str, body: Mapping[str, object]
) -> tuple[int, dict[str, str], object]:
    """One JSON-protocol call: status, the headers that do not change per request, and the parsed body."""
    service = {"DynamoDB_20120810": "dynamodb", "DynamoDBStreams_20120810": "dynamodb", "AmazonSQS": "sqs"}
    scope = service.get(target.partition(".")[0], "events")
    headers = {
        "Content-Type": "application/x-amz-json-1.0" if scope != "events" else "application/x-amz-json-1.1",
        "X-Amz-Target": target,
        "Authorization": AUTH.replace("/sqs/", f"/{scope}/"),
    }
    connection.request("POST", "/", body=json.dumps(body), headers=headers)
    answer = connection.getresponse()
    volatile = {"date", "x-amzn-requestid", "server"}
    kept = {name.lower(): value for name, value in answer.getheaders() if name.lower() not in volatile}
    return answer.status, kept, json.loads(answer.read() or b"null")


def test_the_stacks_json_protocol_calls_get_the_same_answers_without_flask(
    server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    # GIVEN a table with a stream, an item, a queue and the default bus
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    table = {
        "TableName": "answers",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    }
    assert _raw(connection, "DynamoDB_20120810.CreateTable", table)[0] == 200
    item = {"pk": {"S": "a"}, "n": {"N": "7"}, "b": {"B": "AQI="}, "l": {"L": [{"S": "x"}, {"BOOL": True}]}}
    assert _raw(connection, "DynamoDB_20120810.PutItem", {"TableName": "answers", "Item": item})[0] == 200
    queue_url = _raw(connection, "AmazonSQS.CreateQueue", {"QueueName": "answers"})[2]["QueueUrl"]  # type: ignore[index]
    stream_arn = _raw(connection, "DynamoDBStreams_20120810.ListStreams", {"TableName": "answers"})[2][  # type: ignore[index]
        "Streams"
    ][0]["StreamArn"]
    calls: list[tuple[str, Mapping[str, object]]] = [
        ("DynamoDB_20120810.GetItem", {"TableName": "answers", "Key": {"pk": {"S": "a"}}}),
        (
            "DynamoDB_20120810.Query",
            {
                "TableName": "answers",
                "KeyConditionExpression": "pk = :p",
                "ExpressionAttributeValues": {":p": {"S": "a"}},
                "ReturnConsumedCapacity": "TOTAL",
            },
        ),
        ("DynamoDB_20120810.GetItem", {"TableName": "missing", "Key": {"pk": {"S": "a"}}}),
        (
            "DynamoDB_20120810.PutItem",
            {"TableName": "answers", "Item": item, "ConditionExpression": "attribute_not_exists(pk)"},
        ),
        ("DynamoDB_20120810.PutItem", {"TableName": "answers", "Item": {"pk": {"N": "not a number"}}}),
        ("DynamoDBStreams_20120810.DescribeStream", {"StreamArn": stream_arn}),
        ("AmazonSQS.GetQueueUrl", {"QueueName": "answers"}),
        ("AmazonSQS.GetQueueUrl", {"QueueName": "missing"}),
        ("AmazonSQS.GetQueueAttributes", {"QueueUrl": queue_url, "AttributeNames": ["VisibilityTimeout"]}),
        ("AmazonSQS.ReceiveMessage", {"QueueUrl": queue_url}),
        ("AWSEvents.DescribeEventBus", {"Name": "default"}),
        ("AWSEvents.DescribeRule", {"Name": "missing"}),
    ]
    # WHEN each is asked straight of its handler, and then through moto's Flask app
    straight = [_raw(connection, target, body) for target, body in calls]
    monkeypatch.setattr(DomainDispatcherApplication, "__call__", moto_http._original_dispatch)
    through_flask = [_raw(connection, target, body) for target, body in calls]
    # THEN status, headers and body are the same, errors included
    assert [status for status, _, _ in straight] == [
        200,
        200,
        400,
        400,
        400,
        200,
        200,
        400,
        200,
        200,
        200,
        400,
    ]
    assert straight == through_flask
    connection.close()


def test_the_stacks_calls_skip_flask_and_the_rest_go_through_it(
    server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    # GIVEN moto's own dispatcher counted
    through_flask: list[str] = []
    original = moto_http._original_dispatch

    def counted(self: object, environ: dict[str, object], start_response: object) -> object:
        through_flask.append(str(environ.get("HTTP_X_AMZ_TARGET") or environ.get("PATH_INFO")))
        return original(self, environ, start_response)  # type: ignore[arg-type]

    monkeypatch.setattr(moto_http, "_original_dispatch", counted)
    # WHEN the SDK calls DynamoDB, SQS and EventBridge, and Secrets Manager
    options = {"endpoint_url": server.url, "region_name": "eu-west-1"}
    boto3.client("dynamodb", **options).list_tables()
    boto3.client("sqs", **options).list_queues()
    boto3.client("events", **options).list_event_buses()
    boto3.client("secretsmanager", **options).list_secrets()
    # THEN only Secrets Manager went through moto's Flask app
    assert through_flask == ["secretsmanager.ListSecrets"]


@pytest.mark.parametrize(
    "head",
    [
        b"Host: x\r\nContent-Type: a/b  \r\nX-Amz-Target: DynamoDB_20120810.GetItem\r\n\r\nBODY",
        b"A:b\r\nB:\t c d\t\r\n\r\n",
        b"Folded: a\r\n  b\r\n\r\n",
        b"Bad line\r\nX: y\r\n\r\n",
        b"X: y\n\n",
        b"X: y\r\nX: z\r\n",
        b"Caf\xe9: cr\xe8me\r\n\r\n",
        b"",
    ],
)
def test_headers_read_directly_are_what_the_email_parser_reads(head: bytes) -> None:
    import io

    # GIVEN a head of a request, plain, folded, malformed, repeated or not ASCII
    # WHEN both parsers read it
    theirs = moto_http._original_parse_headers(io.BytesIO(head))
    ours = moto_http._parse_headers(io.BytesIO(head))
    # THEN the messages have the same fields, payload and defects
    assert ours.items() == theirs.items()
    assert ours.get_payload() == theirs.get_payload()
    assert [type(d) for d in ours.defects] == [type(d) for d in theirs.defects]
