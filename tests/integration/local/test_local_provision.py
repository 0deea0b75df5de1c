"""provision() creates, from the specs, everything the cloud has; a second call changes nothing."""

from __future__ import annotations

import json
import time

import boto3
import pytest

from infra.local.provision import function_environment, provision
from infra.resources import (
    COGNITO_GROUPS,
    EVENT_ARCHIVE_RETENTION_DAYS,
    EVENT_LOG_TARGET,
    FUNCTIONS,
    RULES,
    SECRETS,
    TABLES,
    env_name,
    physical_name,
)

pytestmark = pytest.mark.usefixtures("aws")
REGION = "eu-west-1"


def _client(service: str):
    return boto3.client(service, region_name=REGION)


def test_every_table_has_the_keys_indexes_stream_and_ttl_of_its_spec() -> None:
    # GIVEN an empty account
    # WHEN the local stage is provisioned
    result = provision("local")

    # THEN each table matches its spec
    dynamodb = _client("dynamodb")
    assert set(result["tables"]) == {t.name for t in TABLES}
    for spec in TABLES:
        table = dynamodb.describe_table(TableName=physical_name("local", spec.name))["Table"]
        keys = {k["KeyType"]: k["AttributeName"] for k in table["KeySchema"]}
        assert keys.get("HASH") == spec.partition_key
        assert keys.get("RANGE") == spec.sort_key
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        indexes = {i["IndexName"]: i for i in table.get("GlobalSecondaryIndexes", [])}
        assert set(indexes) == {i.name for i in spec.indexes}
        for index in spec.indexes:
            index_keys = {k["KeyType"]: k["AttributeName"] for k in indexes[index.name]["KeySchema"]}
            assert index_keys.get("HASH") == index.partition_key
            assert index_keys.get("RANGE") == index.sort_key
            assert indexes[index.name]["Projection"]["ProjectionType"] == index.projection
        if spec.stream:
            assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": spec.stream}
            assert result["tables"][spec.name]["stream_arn"] == table["LatestStreamArn"]
        ttl = dynamodb.describe_time_to_live(TableName=table["TableName"])["TimeToLiveDescription"]
        if spec.ttl_attribute:
            assert ttl["AttributeName"] == spec.ttl_attribute
        else:
            assert ttl["TimeToLiveStatus"] == "DISABLED"


def test_the_stage_bus_has_an_archive_and_every_rule_with_its_pattern_and_target() -> None:
    # GIVEN / WHEN
    result = provision("local")

    # THEN
    events = _client("events")
    assert events.describe_event_bus(Name="shop-local")["Arn"] == result["event_bus"]["arn"]
    archive = events.describe_archive(ArchiveName=result["event_bus"]["archive"])
    assert archive["EventSourceArn"] == result["event_bus"]["arn"]
    assert archive["RetentionDays"] == EVENT_ARCHIVE_RETENTION_DAYS
    for spec in RULES:
        rule = events.describe_rule(Name=physical_name("local", spec.name), EventBusName="shop-local")
        assert json.loads(rule["EventPattern"]) == spec.pattern
        targets = events.list_targets_by_rule(Rule=rule["Name"], EventBusName="shop-local")["Targets"]
        assert [t["Arn"] for t in targets] == [result["queues"][spec.target]["arn"]]


def test_the_event_log_queue_only_accepts_messages_from_its_rules() -> None:
    # GIVEN / WHEN
    result = provision("local")

    # THEN the queue policy names the events service and the rules' ARNs
    queue = result["queues"][EVENT_LOG_TARGET]
    assert queue["name"] == "shop-local-event-log"
    policy = json.loads(
        _client("sqs").get_queue_attributes(QueueUrl=queue["url"], AttributeNames=["Policy"])["Attributes"][
            "Policy"
        ]
    )
    statement = policy["Statement"][0]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    rule_arns = sorted(r["arn"] for r in result["rules"].values() if r["target"] == EVENT_LOG_TARGET)
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == rule_arns


def test_a_domain_event_put_on_the_bus_reaches_the_event_log_queue() -> None:
    # GIVEN a provisioned stage
    result = provision("local")

    # WHEN a context publishes a domain event
    _client("events").put_events(
        Entries=[
            {
                "EventBusName": "shop-local",
                "Source": "shop.catalog",
                "DetailType": "ProductPublished",
                "Detail": json.dumps({"metadata": {}, "data": {"productId": "prod_1"}}),
            }
        ]
    )

    # THEN the rule delivers it to the event log
    sqs = _client("sqs")
    deadline = time.monotonic() + 5
    messages: list[dict] = []
    while not messages and time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=result["queues"][EVENT_LOG_TARGET]["url"]).get("Messages", [])
    assert messages, "the event never reached the event-log queue"
    body = json.loads(messages[0]["Body"])
    assert (body["source"], body["detail-type"]) == ("shop.catalog", "ProductPublished")


def test_every_stream_triggered_and_scheduled_function_has_a_dlq() -> None:
    # GIVEN / WHEN
    result = provision("local")

    # THEN
    streamed = {f.name for f in FUNCTIONS if f.stream is not None or f.schedule_minutes is not None}
    assert set(result["dlqs"]) == streamed
    for name in streamed:
        url = _client("sqs").get_queue_url(QueueName=f"shop-local-{name}-dlq")["QueueUrl"]
        assert result["dlqs"][name]["url"] == url


def test_secrets_get_generated_values_and_cognito_gets_the_groups() -> None:
    # GIVEN / WHEN
    result = provision("local")

    # THEN
    secretsmanager = _client("secretsmanager")
    for spec in SECRETS:
        value = secretsmanager.get_secret_value(SecretId=physical_name("local", spec.name))["SecretString"]
        assert len(value) >= 32
    pool_id = result["user_pool"]["id"]
    groups = _client("cognito-idp").list_groups(UserPoolId=pool_id)["Groups"]
    assert sorted(g["GroupName"] for g in groups) == sorted(COGNITO_GROUPS)


def test_provisioning_twice_succeeds_and_keeps_secret_values() -> None:
    # GIVEN a provisioned stage
    first = provision("local")
    secretsmanager = _client("secretsmanager")
    values = {
        s.name: secretsmanager.get_secret_value(SecretId=physical_name("local", s.name))["SecretString"]
        for s in SECRETS
    }

    # WHEN it is provisioned again on the same endpoint
    second = provision("local")

    # THEN the answer is the same and nothing was duplicated or regenerated
    assert second == first
    again = {
        s.name: secretsmanager.get_secret_value(SecretId=physical_name("local", s.name))["SecretString"]
        for s in SECRETS
    }
    assert again == values
    pools = _client("cognito-idp").list_user_pools(MaxResults=60)["UserPools"]
    assert [p["Name"] for p in pools].count("shop-local-users") == 1
    targets = _client("events").list_targets_by_rule(
        Rule=first["rules"][RULES[0].name]["name"], EventBusName="shop-local"
    )
    assert len(targets["Targets"]) == 1


def test_two_stages_do_not_share_resources() -> None:
    # GIVEN / WHEN
    local = provision("local")
    other = provision("e2e")

    # THEN
    assert local["event_bus"]["name"] == "shop-local"
    assert other["event_bus"]["name"] == "shop-e2e"
    assert {t["name"] for t in local["tables"].values()}.isdisjoint(
        {t["name"] for t in other["tables"].values()}
    )


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda f: f.name)
def test_function_environment_matches_what_the_service_function_construct_sets(spec) -> None:
    # GIVEN a function spec
    # WHEN its local environment is built
    env = function_environment("local", spec)

    # THEN it has the common variables and one per table and secret it uses
    assert env["STAGE"] == "local"
    assert env["EVENT_BUS_NAME"] == "shop-local"
    assert env["POWERTOOLS_SERVICE_NAME"] == spec.context
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == "shop"
    assert env["POWERTOOLS_TRACE_DISABLED"] == "true"
    for table_name in spec.tables_rw + spec.tables_ro:
        assert env[env_name(table_name, "table")] == physical_name("local", table_name)
    for secret_name in spec.secrets:
        assert env[env_name(secret_name, "secret")] == physical_name("local", secret_name)
    resource_vars = {k for k in env if k.endswith(("_TABLE_NAME", "_SECRET_NAME"))}
    assert len(resource_vars) == len(set(spec.tables_rw + spec.tables_ro)) + len(spec.secrets)


def test_catalog_api_environment_names_its_table_and_signing_key() -> None:
    # GIVEN the catalog API spec
    spec = next(f for f in FUNCTIONS if f.name == "catalog-api")

    # WHEN / THEN
    env = function_environment("local", spec)
    assert env["CATALOG_TABLE_NAME"] == "shop-local-catalog"
    assert env["CURSOR_SIGNING_KEY_SECRET_NAME"] == "shop-local-cursor-signing-key"
