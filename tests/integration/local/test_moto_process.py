"""The local stack's moto runs in a process of its own: patched, configured, and gone when the runner is."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from infra.local import request_stats
from infra.local.moto_server import MotoProcess, aws_environment, free_port, port_is_free
from tests.support import streamed_table, wait_until

REPO = Path(__file__).resolve().parents[3]
REGION = "eu-west-1"


@pytest.fixture
def moto() -> Iterator[MotoProcess]:
    saved = {variable: os.environ.get(variable) for variable in aws_environment(0)}
    process = MotoProcess(free_port())
    process.start()  # exports its endpoint into os.environ: put back as it was afterwards
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()
        for variable, value in saved.items():
            if value is None:
                os.environ.pop(variable, None)
            else:
                os.environ[variable] = value


@pytest.fixture
def split_moto(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[MotoProcess]:
    """moto as the local stack runs it: the tables in a process of their own, each process counting its
    requests."""
    for variable in aws_environment(0):
        monkeypatch.setenv(variable, "")  # recorded, so what start exports is undone at teardown
        monkeypatch.delenv(variable)
    monkeypatch.setenv(request_stats.STATS_VARIABLE, str(tmp_path / "requests.json"))
    process = MotoProcess(free_port(), free_port())
    process.start()
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


def _table(client: object, name: str) -> None:
    client.create_table(  # type: ignore[attr-defined]
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    )


def test_a_started_process_serves_aws_calls_with_the_local_patches(moto: MotoProcess) -> None:
    # GIVEN moto started in its own process (the environment now points every SDK at it)
    assert os.environ["AWS_ENDPOINT_URL"] == moto.url
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    _table(dynamodb, "shop-local-process")
    dynamodb.put_item(TableName="shop-local-process", Item={"pk": {"S": "a"}, "n": {"N": "1"}})

    # WHEN a transaction is cancelled by its second entry's condition
    with pytest.raises(ClientError) as refused:
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "shop-local-process", "Item": {"pk": {"S": "b"}}}},
                {
                    "Update": {
                        "TableName": "shop-local-process",
                        "Key": {"pk": {"S": "a"}},
                        "UpdateExpression": "SET n = :two",
                        "ConditionExpression": "n = :zero",
                        "ExpressionAttributeValues": {":two": {"N": "2"}, ":zero": {"N": "0"}},
                    }
                },
            ]
        )

    # THEN it is refused as DynamoDB refuses it and the first entry left nothing behind (the patched rollback)
    assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert "Item" not in dynamodb.get_item(TableName="shop-local-process", Key={"pk": {"S": "b"}})


def test_the_tables_have_a_process_of_their_own_which_the_first_forwards_to(split_moto: MotoProcess) -> None:
    # GIVEN moto with its tables in a second process: the environment sends DynamoDB and its streams there
    assert split_moto.tables_url != split_moto.url == os.environ["AWS_ENDPOINT_URL"]
    assert os.environ["AWS_ENDPOINT_URL_DYNAMODB"] == split_moto.tables_url
    assert os.environ["AWS_ENDPOINT_URL_DYNAMODB_STREAMS"] == split_moto.tables_url
    no_account = Config(account_id_endpoint_mode="disabled")

    # WHEN an SDK that reads the environment writes an item to a streamed table and creates a queue
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    arn = streamed_table(dynamodb, "shop-local-split")
    dynamodb.put_item(TableName="shop-local-split", Item={"pk": {"S": "a"}, "n": {"N": "1"}})
    boto3.client("sqs", region_name=REGION).create_queue(QueueName="shop-local-split")

    # THEN the table is in the tables' process and the queue in the first
    tables = boto3.client("dynamodb", region_name=REGION, endpoint_url=split_moto.tables_url)
    assert tables.list_tables()["TableNames"] == ["shop-local-split"]
    queues = boto3.client("sqs", region_name=REGION, endpoint_url=split_moto.url).list_queues()
    assert [url.rsplit("/", 1)[1] for url in queues["QueueUrls"]] == ["shop-local-split"]
    assert (
        "QueueUrls"
        not in boto3.client("sqs", region_name=REGION, endpoint_url=split_moto.tables_url).list_queues()
    )
    # AND a client that knows only the first process (the AWS CLI with AWS_ENDPOINT_URL) still gets the
    # tables, their errors and their streams, forwarded
    first = boto3.client("dynamodb", region_name=REGION, endpoint_url=split_moto.url)
    assert first.get_item(TableName="shop-local-split", Key={"pk": {"S": "a"}})["Item"]["n"] == {"N": "1"}
    with pytest.raises(ClientError) as missing:
        first.get_item(TableName="shop-local-absent", Key={"pk": {"S": "a"}})
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    streams = boto3.client(
        "dynamodbstreams", region_name=REGION, endpoint_url=split_moto.url, config=no_account
    )
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    assert [r["dynamodb"]["NewImage"]["pk"] for r in records] == [{"S": "a"}]

    # AND each process counted the requests it answered itself, in its own file
    def counted(tables: bool) -> set[str]:
        path = request_stats.stats_path(tables=tables)  # rewritten once a second
        return (
            {row["operation"] for row in json.loads(path.read_text())["requests"]} if path.exists() else set()
        )

    wait_until(lambda: "DynamoDBStreams.GetRecords" in counted(True), "the tables' counts", timeout_s=30)
    wait_until(lambda: "AmazonSQS.CreateQueue" in counted(False), "the first process's counts", timeout_s=30)
    assert "DynamoDB.PutItem" in counted(True)
    assert "AmazonSQS.CreateQueue" not in counted(True)


def test_stop_frees_the_port(moto: MotoProcess) -> None:
    # GIVEN a running moto process
    assert not port_is_free(moto.port)

    # WHEN it is stopped
    moto.stop()

    # THEN its port is free at once for the next start
    assert port_is_free(moto.port)


def test_stop_frees_both_ports_when_the_tables_have_a_process(split_moto: MotoProcess) -> None:
    assert split_moto.tables_port is not None
    assert not port_is_free(split_moto.port)
    assert not port_is_free(split_moto.tables_port)
    split_moto.stop()
    assert port_is_free(split_moto.port)
    assert port_is_free(split_moto.tables_port)


def test_moto_exits_when_the_runner_dies_without_stopping_it() -> None:
    # GIVEN a runner process that starts moto and is then killed (no chance to stop it)
    port = free_port()
    script = (
        "import sys, time\n"
        "from infra.local.moto_server import MotoProcess\n"
        f"moto = MotoProcess({port}); moto.start(); moto.wait_ready()\n"
        "print('ready', flush=True); time.sleep(600)\n"
    )
    runner = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=REPO,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert runner.stdout is not None
        assert runner.stdout.readline().strip() == b"ready"
        assert not port_is_free(port)

        # WHEN the runner is killed
        runner.kill()
        runner.wait(timeout=10)

        # THEN moto notices within a few seconds and frees its port (no orphan holding 5000 next time)
        deadline = time.monotonic() + 15
        while not port_is_free(port) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert port_is_free(port)
    finally:
        runner.kill()


def test_a_workflow_lambda_task_reaches_the_runners_function_through_its_invoke_endpoint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import json

    from infra.local.lambda_tasks import LAMBDA_ENDPOINT_VARIABLE, FunctionFailed, LambdaEndpoint

    # GIVEN the runner's Lambda endpoint in front of a function that answers and one that fails, and
    # moto started in its own process knowing that endpoint
    def invoke(name: str, payload: object) -> object:
        if name == "cart-api":
            return {"answered_by": name, "payload": payload}
        raise FunctionFailed("CarrierUnavailable", "try later")

    endpoint = LambdaEndpoint("local", invoke)
    endpoint.start()
    monkeypatch.setenv(LAMBDA_ENDPOINT_VARIABLE, endpoint.url)
    saved = {variable: os.environ.get(variable) for variable in aws_environment(0)}
    process = MotoProcess(free_port())
    process.start()
    try:
        process.wait_ready()
        sfn = boto3.client("stepfunctions", region_name=REGION)
        definition = {
            "StartAt": "Ask the cart",
            "States": {
                "Ask the cart": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {
                        "FunctionName": "arn:aws:lambda:eu-west-1:123456789012:function:shop-local-cart-api",
                        "Payload": {"question.$": "$.question"},
                    },
                    "ResultSelector": {"answer.$": "$.Payload"},
                    "Next": "Ask the carrier",
                },
                "Ask the carrier": {
                    "Type": "Task",
                    "Resource": "arn:aws:lambda:eu-west-1:123456789012:function:shop-local-carrier-tasks",
                    "Catch": [
                        {"ErrorEquals": ["CarrierUnavailable"], "ResultPath": "$.failed", "Next": "Done"}
                    ],
                    "End": True,
                },
                "Done": {"Type": "Succeed"},
            },
        }
        arn = sfn.create_state_machine(
            name="shop-local-lambda-route",
            definition=json.dumps(definition),
            roleArn="arn:aws:iam::123456789012:role/r",
        )["stateMachineArn"]
        # WHEN an execution runs in moto's process
        execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"question": "stock?"}))[
            "executionArn"
        ]
        deadline = time.monotonic() + 30
        while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
            assert time.monotonic() < deadline, "the execution did not finish"
            time.sleep(0.1)
    finally:
        process.stop()
        endpoint.stop()
        for variable, value in saved.items():
            if value is None:
                os.environ.pop(variable, None)
            else:
                os.environ[variable] = value
    # THEN the first task got the runner's function's answer, and the second's error was caught by name
    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])
    assert output["answer"] == {"answered_by": "cart-api", "payload": {"question": "stock?"}}
    assert output["failed"]["Error"] == "CarrierUnavailable"
