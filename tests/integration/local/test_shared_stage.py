"""The shared moto stage (``tests.stage``) gives each test the stage as provisioning left it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest

from infra.resources import physical_name
from tests.conftest import REGION
from tests.stage import STAGE, SharedStage
from tests.support import TableStream


@pytest.fixture
def stage(aws_credentials: None, fast_moto_transactions: None) -> Iterator[SharedStage]:
    shared = SharedStage()
    shared.open(executing=False)
    yield shared
    shared.close()


def test_what_a_test_changed_is_put_back_before_the_next_and_nothing_is_provisioned_again(
    stage: SharedStage,
) -> None:
    # GIVEN a test that wrote an order (a stream table), sent to the event log, overwrote a secret,
    # signed a user up, stored a label and started the order's fulfilment
    dynamodb, sqs = boto3.client("dynamodb", region_name=REGION), boto3.client("sqs", region_name=REGION)
    secrets = boto3.client("secretsmanager", region_name=REGION)
    cognito, s3 = boto3.client("cognito-idp", region_name=REGION), boto3.client("s3", region_name=REGION)
    provisioned = stage.provisioned
    orders = physical_name(STAGE, "orders")
    dynamodb.put_item(
        TableName=orders, Item={"pk": {"S": "ORDER#1"}, "sk": {"S": "ORDER"}, "type": {"S": "order"}}
    )
    event_log = provisioned["queues"]["event-log"]["url"]
    sqs.send_message(QueueUrl=event_log, MessageBody=json.dumps({"detail-type": "OrderPlaced"}))
    secret = physical_name(STAGE, "stripe-api-key")
    original = secrets.get_secret_value(SecretId=secret)["SecretString"]
    secrets.put_secret_value(SecretId=secret, SecretString="sk_test_changed")
    pool = provisioned["user_pool"]["id"]
    cognito.admin_create_user(UserPoolId=pool, Username="olena@example.com")
    bucket = provisioned["buckets"]["shipping-labels"]["name"]
    s3.put_object(Bucket=bucket, Key="labels/1.pdf", Body=b"%PDF")
    stepfunctions = boto3.client("stepfunctions", region_name=REGION)
    workflow = provisioned["workflows"]["order-fulfilment"]["arn"]
    stepfunctions.start_execution(stateMachineArn=workflow, name="ord_1", input="{}")

    # WHEN the next test opens the stage
    stage.open(executing=False)

    # THEN the table is empty and its stream holds nothing of the last test, the queue is empty, the secret
    # has its provisioned value, the pool no user, the bucket no object and the workflow no execution; and
    # it was provisioned once
    assert dynamodb.scan(TableName=orders)["Items"] == []
    assert TableStream(dynamodb, orders, ("order",)).batch() == {"Records": []}
    assert sqs.receive_message(QueueUrl=event_log, MaxNumberOfMessages=10).get("Messages", []) == []
    assert secrets.get_secret_value(SecretId=secret)["SecretString"] == original
    assert cognito.list_users(UserPoolId=pool)["Users"] == []
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0
    assert stepfunctions.list_executions(stateMachineArn=workflow)["executions"] == []
    assert (stage.provisions, stage.restores, stage.failed_restores) == (1, 1, [])
