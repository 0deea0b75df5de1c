"""The local moto server keeps a caller's connection open between requests, whatever the body it left unread."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator

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
