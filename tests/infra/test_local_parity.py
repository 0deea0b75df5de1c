"""The local stack (``infra.local.provision`` in moto) and the synthesised template cannot drift.

Both are built from ``infra/resources.py``; this compares what each really produced: tables (keys,
attribute definitions, indexes, stream view, TTL, capacity mode, PITR), the bus and its archive, rules
and their patterns, secrets, stream DLQs, Cognito groups and state machines (type and states). Stage names differ on purpose (``dev`` in
the template, ``local`` in moto), so names are compared with the stage stripped. Known, intended
differences: the ``event-log`` rule target is a log group in the cloud and a queue locally.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from infra.resources import (
    APP,
    EVENT_LOG_TARGET,
    FUNCTIONS,
    RULES,
    TABLES,
    WORKFLOWS,
    TableSpec,
    physical_name,
    workflow_env_name,
)
from infra.workflows import fill_placeholders, state_names
from tests.infra.conftest import Synthesized

provision_module = pytest.importorskip("infra.local.provision")
moto = pytest.importorskip("moto")

pytestmark = pytest.mark.xdist_group("synth")
LOCAL = "local"


@pytest.fixture(scope="module")
def local() -> Iterator[tuple[dict[str, Any], Any]]:
    """``provision()``'s answer and a boto3 factory, inside one in-process moto."""
    import boto3

    patch = pytest.MonkeyPatch()
    for variable in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        patch.delenv(variable, raising=False)
    patch.setenv("AWS_ACCESS_KEY_ID", "testing")
    patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    patch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with moto.mock_aws():
        answer = provision_module.provision(LOCAL)

        def client(service: str) -> Any:
            return boto3.client(service, region_name=answer["region"])

        yield answer, client
    patch.undo()


def _unstaged(name: str, stage: str) -> str:
    return name.replace(f"{APP}-{stage}-", f"{APP}-<stage>-", 1)


def _template_table(synth: Synthesized, spec: TableSpec) -> dict[str, Any]:
    for table in synth.resources("stateful", "AWS::DynamoDB::Table").values():
        tags = {t["Key"]: t["Value"] for t in table["Properties"].get("Tags", [])}
        if tags.get("shop:table") == spec.name:
            return dict(table["Properties"])
    raise AssertionError(f"no table for spec {spec.name}")


def _sorted_attributes(attributes: list[dict[str, str]]) -> list[dict[str, str]]:
    return sorted(attributes, key=lambda a: a["AttributeName"])


def _indexes(indexes: list[dict[str, Any]]) -> dict[str, tuple[Any, str]]:
    return {i["IndexName"]: (i["KeySchema"], i["Projection"]["ProjectionType"]) for i in indexes}


@pytest.mark.parametrize("spec", TABLES, ids=lambda s: s.name)
def test_tables_are_the_same(dev: Synthesized, local: tuple[dict[str, Any], Any], spec: TableSpec) -> None:
    # GIVEN the template's table and the one provision() created in moto
    answer, client = local
    cloud = _template_table(dev, spec)
    dynamodb = client("dynamodb")
    name = answer["tables"][spec.name]["name"]
    # WHEN moto describes it
    table = dynamodb.describe_table(TableName=name)["Table"]
    ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    backups = dynamodb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    # THEN keys, attribute definitions, indexes, stream, TTL, capacity mode and PITR agree
    assert table["KeySchema"] == cloud["KeySchema"]
    assert _sorted_attributes(table["AttributeDefinitions"]) == _sorted_attributes(
        cloud["AttributeDefinitions"]
    )
    assert _indexes(table.get("GlobalSecondaryIndexes", [])) == _indexes(
        cloud.get("GlobalSecondaryIndexes", [])
    )
    local_stream = table.get("StreamSpecification", {}).get("StreamViewType")
    assert local_stream == cloud.get("StreamSpecification", {}).get("StreamViewType")
    cloud_ttl = cloud.get("TimeToLiveSpecification", {}).get("AttributeName")
    assert ttl.get("AttributeName") == cloud_ttl
    assert table["BillingModeSummary"]["BillingMode"] == cloud["BillingMode"]
    pitr = backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    assert pitr == cloud["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"]


def test_bus_and_archive_are_the_same(dev: Synthesized, local: tuple[dict[str, Any], Any]) -> None:
    # GIVEN the template's bus and archive
    (bus,) = dev.resources("stateful", "AWS::Events::EventBus").values()
    (archive,) = dev.resources("stateful", "AWS::Events::Archive").values()
    _, client = local
    events = client("events")
    # WHEN moto lists the buses and archives
    buses = {b["Name"] for b in events.list_event_buses()["EventBuses"]}
    archives = events.list_archives()["Archives"]
    # THEN one bus named for the stage and its archive exist on both sides
    assert f"{APP}-{LOCAL}" in buses
    assert bus["Properties"]["Name"] == f"{APP}-{dev.stage}"
    local_archives = {
        _unstaged(a["ArchiveName"], LOCAL)
        for a in archives
        if a["EventSourceArn"].endswith(f"/{APP}-{LOCAL}")
    }
    assert local_archives == {_unstaged(archive["Properties"]["ArchiveName"], dev.stage)}


def test_rules_have_the_same_patterns(dev: Synthesized, local: tuple[dict[str, Any], Any]) -> None:
    # GIVEN the template's rules
    cloud = {
        _unstaged(r["Properties"]["Name"], dev.stage): r["Properties"]
        for r in dev.resources("stateful", "AWS::Events::Rule").values()
    }
    _, client = local
    events = client("events")
    # WHEN moto lists the rules on the local bus
    rules = events.list_rules(EventBusName=f"{APP}-{LOCAL}")["Rules"]
    # The archive's own rule is created and managed by EventBridge, in the cloud as in moto.
    here = {_unstaged(r["Name"], LOCAL): r for r in rules if not r["Name"].startswith("Events-Archive-")}
    # THEN the same rules exist with the same patterns, each with a target
    assert set(here) == set(cloud)
    for name, rule in here.items():
        assert json.loads(rule["EventPattern"]) == cloud[name]["EventPattern"], name
        targets = events.list_targets_by_rule(Rule=rule["Name"], EventBusName=f"{APP}-{LOCAL}")["Targets"]
        assert len(targets) == len(cloud[name]["Targets"]), name


def test_secrets_are_the_same(dev: Synthesized, local: tuple[dict[str, Any], Any]) -> None:
    # GIVEN the template's secrets
    cloud = sorted(
        s["Properties"]["Description"]
        for s in dev.resources("stateful", "AWS::SecretsManager::Secret").values()
    )
    _, client = local
    # WHEN moto lists its secrets
    here = sorted(s["Description"] for s in client("secretsmanager").list_secrets()["SecretList"])
    # THEN the same secrets (by their spec description) exist
    assert here == cloud


def test_queues_are_the_same_apart_from_the_local_event_log(
    dev: Synthesized, local: tuple[dict[str, Any], Any]
) -> None:
    # GIVEN every queue of the template (stream DLQs, rule target queues and their DLQs)
    cloud = {
        _unstaged(q["Properties"]["QueueName"], dev.stage)
        for q in dev.all_resources("AWS::SQS::Queue").values()
    }
    _, client = local
    # WHEN moto lists its queues
    urls = client("sqs").list_queues(QueueNamePrefix=f"{APP}-{LOCAL}-").get("QueueUrls", [])
    here = {_unstaged(url.rsplit("/", 1)[-1], LOCAL) for url in urls}
    # THEN they agree, except the queue that stands in for the event log group locally
    event_log_stand_in = {_unstaged(physical_name(LOCAL, EVENT_LOG_TARGET), LOCAL)}
    if any(rule.target == EVENT_LOG_TARGET for rule in RULES):
        assert event_log_stand_in <= here
    assert here - event_log_stand_in == cloud


def test_user_pool_groups_are_the_same(dev: Synthesized, local: tuple[dict[str, Any], Any]) -> None:
    # GIVEN the template's groups
    cloud = sorted(
        g["Properties"]["GroupName"]
        for g in dev.resources("stateful", "AWS::Cognito::UserPoolGroup").values()
    )
    answer, client = local
    # WHEN moto lists the local pool's groups
    groups = client("cognito-idp").list_groups(UserPoolId=answer["user_pool"]["id"])["Groups"]
    # THEN they are the same
    assert sorted(g["GroupName"] for g in groups) == cloud


def _cloud_state_machines(synth: Synthesized) -> dict[str, tuple[str, set[str]]]:
    """Unstaged name -> (type, state names) from the template and the staged definition files."""
    found: dict[str, tuple[str, set[str]]] = {}
    for machine in synth.resources("services", "AWS::StepFunctions::StateMachine").values():
        props = machine["Properties"]
        text = (synth.outdir / f"asset.{props['DefinitionS3Location']['Key']}").read_text()
        # CloudFormation fills these at deploy time from references; their values never name a state.
        values = {name: "filled-by-cloudformation" for name in props.get("DefinitionSubstitutions", {})}
        states = state_names(json.loads(fill_placeholders(text, values)))
        found[_unstaged(props["StateMachineName"], synth.stage)] = (props["StateMachineType"], states)
    return found


def test_state_machines_are_the_same(dev: Synthesized, local: tuple[dict[str, Any], Any]) -> None:
    # GIVEN the template's state machines
    cloud = _cloud_state_machines(dev)
    _, client = local
    stepfunctions = client("stepfunctions")
    # WHEN moto describes the ones provision() created
    here: dict[str, tuple[str, set[str]]] = {}
    for listed in stepfunctions.list_state_machines()["stateMachines"]:
        described = stepfunctions.describe_state_machine(stateMachineArn=listed["stateMachineArn"])
        states = state_names(json.loads(described["definition"]))
        here[_unstaged(described["name"], LOCAL)] = (described["type"], states)
    # THEN the same workflows exist, of the same type (Express where the spec says so), with the same states
    assert here == cloud
    assert {name: kind for name, (kind, _) in here.items()} == {
        f"{APP}-<stage>-{spec.name}": "EXPRESS" if spec.express else "STANDARD" for spec in WORKFLOWS
    }


def test_workflow_starters_get_the_arn_the_local_stack_created(local: tuple[dict[str, Any], Any]) -> None:
    # GIVEN provision()'s workflows
    answer, _ = local
    starters = [spec for spec in FUNCTIONS if spec.starts_workflows]
    assert starters, "no function starts a workflow"
    for spec in starters:
        # WHEN a starter's local environment is built
        env = provision_module.function_environment(LOCAL, spec)
        # THEN each workflow it starts is the ARN moto answered with
        for name in spec.starts_workflows:
            assert env[workflow_env_name(name)] == answer["workflows"][name]["arn"], spec.name


def test_the_local_grants_guard_grants_tables_as_the_cdk_function_construct_does() -> None:
    # GIVEN the actions ServiceFunction grants on a table, and those the local grants guard allows
    from infra.constructs.function import TABLE_READ_ACTIONS, TABLE_WRITE_ACTIONS
    from infra.local import grants

    # WHEN compared THEN they are the same, so what passes the guard in tests passes IAM in the cloud
    assert set(TABLE_READ_ACTIONS) == grants.TABLE_READ_ACTIONS
    assert set(TABLE_WRITE_ACTIONS) == grants.TABLE_WRITE_ACTIONS


def test_the_local_grants_guard_grants_the_user_pool_as_the_cdk_function_construct_does() -> None:
    # GIVEN the actions ServiceFunction grants on the shoppers' pool, and those the local grants guard allows
    from infra.constructs.function import USER_POOL_GROUP_ACTIONS
    from infra.local import grants

    # WHEN compared THEN they are the same
    assert set(USER_POOL_GROUP_ACTIONS) == grants.USER_POOL_GROUP_ACTIONS
