"""Creates the stage's AWS resources in whatever endpoint boto3 reaches (moto locally), from the specs.

Everything comes from ``infra.resources`` (TABLES, BUCKETS, SECRETS, RULES, FUNCTIONS, WORKFLOWS,
COGNITO_GROUPS), the same specs the CDK app synthesises, so the local stack and the cloud cannot drift;
``tests/infra`` compares ``provision()``'s answer with the template. Every step is an upsert, so a second
call on the same endpoint (a restarted runner against a kept moto) succeeds and changes nothing, except
that a workflow gets its definition file's current text.

Workflow definitions are filled by ``infra.workflows``, the code the CDK app checks them with, using local
physical names and ARNs.

What differs from the cloud, on purpose: the ``event-log`` rule target is a CloudWatch log group in the
cloud and an SQS queue here (the runner prints what arrives), secret values are generated here, and a
state machine's role is a dummy ARN without logging or tracing (moto enforces no IAM and has no X-Ray).
"""

from __future__ import annotations

import json
import secrets
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from infra.local import ACCOUNT_ID, DEFAULT_STAGE, REGION, state_dir
from infra.resources import (
    API_ROUTES,
    APP,
    BUCKETS,
    COGNITO_GROUPS,
    EVENT_ARCHIVE_RETENTION_DAYS,
    EVENT_LOG_TARGET,
    FUNCTIONS,
    RULES,
    SEARCH_INDEX_ALIAS,
    SECRETS,
    TABLES,
    WORKFLOWS,
    BucketSpec,
    FunctionSpec,
    RuleSpec,
    SecretSpec,
    StateMachineSpec,
    TableSpec,
    env_name,
    physical_name,
    workflow_env_name,
)
from infra.workflows import STATE_MACHINES_DIR, Resolver, filled_definition

DLQ_RETENTION_S = 14 * 24 * 3600  # the SQS maximum: time to investigate before a failure is lost
RULE_TARGET_MAX_RECEIVES = 5  # a consumer queue redrives to its DLQ after this many failed receives


def event_bus_name(stage: str) -> str:
    return f"{APP}-{stage}"


def stream_dlq_name(stage: str, function: FunctionSpec) -> str:
    """The on-failure destination of a function's stream trigger or scheduled runs:
    ``shop-<stage>-<function>-dlq``."""
    return physical_name(stage, f"{function.name}-dlq")


def state_machine_arn(stage: str, name: str) -> str:
    """The local ARN of workflow ``name`` (moto builds the same one from the name)."""
    return f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:{physical_name(stage, name)}"


def state_machine_role_arn(stage: str, name: str) -> str:
    # moto checks only the shape of a role ARN; nothing assumes this role locally.
    return f"arn:aws:iam::{ACCOUNT_ID}:role/{physical_name(stage, name)}"


def function_arn(stage: str, name: str) -> str:
    """The ARN a function spec has in the cloud's naming; locally the runner serves the handler."""
    return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{physical_name(stage, name)}"


def local_resolver(stage: str) -> Resolver:
    """Local physical names and ARNs for a workflow's ``table:``, ``bus``, ``function:`` and ``workflow:``
    references."""
    return Resolver(
        table_name=lambda name: physical_name(stage, name),
        bus_name=event_bus_name(stage),
        function_arn=lambda name: function_arn(stage, name),
        workflow_arn=lambda name: state_machine_arn(stage, name),
    )


def workflow_definition(stage: str, spec: StateMachineSpec, directory: Path = STATE_MACHINES_DIR) -> str:
    """``spec``'s ASL text with local values filled in; a placeholder/substitution mismatch raises."""
    return filled_definition(spec, local_resolver(stage), directory)


# The local stack is no cdk.json stage: a storefront dev server on any localhost port may call it
# (``shop_kernel.cors`` reads ``:*`` as any port). The variable is the one ServiceFunction sets.
CORS_ENV = "CORS_ALLOW_ORIGINS"
LOCAL_CORS_ALLOW_ORIGINS: tuple[str, ...] = ("http://localhost:*", "http://127.0.0.1:*")


def function_environment(stage: str, spec: FunctionSpec) -> dict[str, str]:
    """The environment the CDK ``ServiceFunction`` gives ``spec``, with local physical names."""
    env = {
        "STAGE": stage,
        "EVENT_BUS_NAME": event_bus_name(stage),
        "POWERTOOLS_SERVICE_NAME": spec.context,
        "POWERTOOLS_METRICS_NAMESPACE": APP,
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
        # There is no X-Ray daemon locally; metrics stay on and print their EMF lines.
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    if any(route.function == spec.name for route in API_ROUTES):  # as ServiceFunction does
        env[CORS_ENV] = ",".join(LOCAL_CORS_ALLOW_ORIGINS)
    for table_name in dict.fromkeys(spec.tables_rw + spec.tables_ro):
        env[env_name(table_name, "table")] = physical_name(stage, table_name)
    for secret_name in spec.secrets:
        env[env_name(secret_name, "secret")] = physical_name(stage, secret_name)
    for bucket_name in spec.buckets_rw:
        env[env_name(bucket_name, "bucket")] = physical_name(stage, bucket_name)
    if spec.search_index is not None:
        # The cloud's OpenSearch domain is the embedded index on disk here (same port, same alias).
        env.update(
            SEARCH_ENGINE="embedded",
            SEARCH_INDEX_DIR=str(search_index_dir(stage)),
            SEARCH_INDEX_ALIAS=SEARCH_INDEX_ALIAS,
        )
    for workflow_name in dict.fromkeys(spec.starts_workflows + spec.reads_workflows):
        env[workflow_env_name(workflow_name)] = state_machine_arn(stage, workflow_name)
    return env


def search_index_dir(stage: str) -> Path:
    """Where the embedded search index of ``stage`` lives: ``.local/search/<stage>``."""
    return state_dir() / "search" / stage


def discard_search_index(stage: str) -> None:
    """Forget the stage's embedded index: it lives and dies with moto's in-memory tables.

    moto starts empty on every run, so the catalog, the search table and the bus start empty too; an
    index kept from the previous run would answer with products (and ids) this run never had. The index
    is rebuilt from this run's catalog events as they arrive.
    """
    shutil.rmtree(search_index_dir(stage), ignore_errors=True)


def _client(service: str) -> Any:
    # The endpoint comes from AWS_ENDPOINT_URL (moto server) or from mock_aws() patching botocore.
    return boto3.client(service, region_name=REGION)


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


# --- DynamoDB -------------------------------------------------------------------------------------


def _table_definition(stage: str, spec: TableSpec) -> dict[str, Any]:
    key_names = [spec.partition_key, spec.sort_key]
    for index in spec.indexes:
        key_names += [index.partition_key, index.sort_key]
    attributes = [{"AttributeName": n, "AttributeType": "S"} for n in dict.fromkeys(key_names) if n]
    definition: dict[str, Any] = {
        "TableName": physical_name(stage, spec.name),
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": attributes,
        "KeySchema": _key_schema(spec.partition_key, spec.sort_key),
    }
    if spec.indexes:
        definition["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": _key_schema(index.partition_key, index.sort_key),
                "Projection": {"ProjectionType": index.projection},
            }
            for index in spec.indexes
        ]
    if spec.stream:
        definition["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": spec.stream}
    return definition


def _key_schema(partition_key: str, sort_key: str | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": partition_key, "KeyType": "HASH"}]
    if sort_key:
        schema.append({"AttributeName": sort_key, "KeyType": "RANGE"})
    return schema


def _ensure_table(dynamodb: Any, stage: str, spec: TableSpec) -> dict[str, Any]:
    definition = _table_definition(stage, spec)
    name = definition["TableName"]
    try:
        dynamodb.create_table(**definition)
    except ClientError as exc:
        if _error_code(exc) != "ResourceInUseException":
            raise
    description = dynamodb.describe_table(TableName=name)["Table"]
    if spec.ttl_attribute:
        ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
            dynamodb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute},
            )
    dynamodb.update_continuous_backups(
        TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    return {
        "name": name,
        "arn": description["TableArn"],
        "stream_arn": description.get("LatestStreamArn"),
        "stream_view_type": spec.stream,
        "partition_key": spec.partition_key,
        "sort_key": spec.sort_key,
        "indexes": [index.name for index in spec.indexes],
        "ttl_attribute": spec.ttl_attribute,
    }


# --- SQS -----------------------------------------------------------------------------------------


def _ensure_queue(sqs: Any, name: str, attributes: dict[str, str] | None = None) -> dict[str, str]:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    if attributes:
        # Set after creation: create_queue refuses different attributes on an existing queue.
        sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return {"name": name, "url": url, "arn": arn}


def _allow_rules_to_send(sqs: Any, queue: dict[str, str], rule_arns: list[str]) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowEventBridgeRules",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue["arn"],
                "Condition": {"ArnEquals": {"aws:SourceArn": sorted(rule_arns)}},
            }
        ],
    }
    sqs.set_queue_attributes(QueueUrl=queue["url"], Attributes={"Policy": json.dumps(policy)})


def _ensure_rule_target_queue(sqs: Any, stage: str, target: str) -> dict[str, Any]:
    if target == EVENT_LOG_TARGET:
        return _ensure_queue(sqs, physical_name(stage, target))
    dlq = _ensure_queue(
        sqs, physical_name(stage, f"{target}-dlq"), {"MessageRetentionPeriod": str(DLQ_RETENTION_S)}
    )
    redrive = {"deadLetterTargetArn": dlq["arn"], "maxReceiveCount": str(RULE_TARGET_MAX_RECEIVES)}
    queue = _ensure_queue(sqs, physical_name(stage, target), {"RedrivePolicy": json.dumps(redrive)})
    return {**queue, "dlq": dlq}


# --- EventBridge ---------------------------------------------------------------------------------


def _ensure_bus(events: Any, stage: str) -> dict[str, Any]:
    name = event_bus_name(stage)
    try:
        events.create_event_bus(Name=name)
    except ClientError as exc:
        if _error_code(exc) != "ResourceAlreadyExistsException":
            raise
    arn = events.describe_event_bus(Name=name)["Arn"]
    archive = physical_name(stage, "events-archive")
    try:
        events.create_archive(
            ArchiveName=archive,
            EventSourceArn=arn,
            Description=f"Every event on {name}, kept for replay",
            RetentionDays=EVENT_ARCHIVE_RETENTION_DAYS,
        )
    except ClientError as exc:
        if _error_code(exc) != "ResourceAlreadyExistsException":
            raise
    return {"name": name, "arn": arn, "archive": archive, "retention_days": EVENT_ARCHIVE_RETENTION_DAYS}


def _ensure_rule(events: Any, stage: str, bus: str, rule: RuleSpec, target_arn: str) -> dict[str, Any]:
    name = physical_name(stage, rule.name)
    arn = events.put_rule(
        Name=name,
        EventBusName=bus,
        EventPattern=json.dumps(rule.pattern),
        State="ENABLED",
        Description=rule.description,
    )["RuleArn"]
    events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": rule.target, "Arn": target_arn}])
    return {
        "name": name,
        "arn": arn,
        "pattern": rule.pattern,
        "target": rule.target,
        "target_arn": target_arn,
    }


# --- Secrets Manager -----------------------------------------------------------------------------


def _ensure_secret(secretsmanager: Any, stage: str, spec: SecretSpec) -> dict[str, str]:
    name = physical_name(stage, spec.name)
    try:
        arn = secretsmanager.create_secret(
            Name=name, Description=spec.description, SecretString=secrets.token_urlsafe(48)
        )["ARN"]
    except ClientError as exc:
        if _error_code(exc) != "ResourceExistsException":
            raise
        # Keep the existing value: cursors signed before a restart must stay valid.
        arn = secretsmanager.describe_secret(SecretId=name)["ARN"]
    return {"name": name, "arn": arn}


# --- S3 ------------------------------------------------------------------------------------------


def _ensure_bucket(s3: Any, stage: str, spec: BucketSpec) -> dict[str, str]:
    """A private bucket as the cloud's: public access blocked, encrypted at rest (moto keeps the flags)."""
    name = physical_name(stage, spec.name)
    try:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    except ClientError as exc:
        if _error_code(exc) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    return {"name": name}


# --- Step Functions ------------------------------------------------------------------------------


def _ensure_state_machine(stepfunctions: Any, stage: str, spec: StateMachineSpec) -> dict[str, str]:
    name, arn = physical_name(stage, spec.name), state_machine_arn(stage, spec.name)
    definition = workflow_definition(stage, spec)
    role_arn = state_machine_role_arn(stage, spec.name)
    try:
        stepfunctions.describe_state_machine(stateMachineArn=arn)
    except ClientError as exc:
        if _error_code(exc) != "StateMachineDoesNotExist":
            raise
        arn = stepfunctions.create_state_machine(
            name=name, definition=definition, roleArn=role_arn, type="EXPRESS" if spec.express else "STANDARD"
        )["stateMachineArn"]
    else:
        # Update rather than create: a second create returns the old definition (moto) or fails (AWS).
        stepfunctions.update_state_machine(stateMachineArn=arn, definition=definition, roleArn=role_arn)
    return {"name": name, "arn": arn}


# --- Cognito -------------------------------------------------------------------------------------


def _find_user_pool(cognito: Any, name: str) -> dict[str, Any] | None:
    for page in cognito.get_paginator("list_user_pools").paginate(MaxResults=60):
        for pool in page["UserPools"]:
            if pool["Name"] == name:
                return dict(pool)
    return None


def _ensure_user_pool(cognito: Any, stage: str) -> dict[str, Any]:
    name = physical_name(stage, "users")
    pool = _find_user_pool(cognito, name)
    if pool is None:
        pool = cognito.create_user_pool(
            PoolName=name, AutoVerifiedAttributes=["email"], UsernameAttributes=["email"]
        )["UserPool"]
    pool_id = pool["Id"]
    for group in COGNITO_GROUPS:
        try:
            cognito.create_group(UserPoolId=pool_id, GroupName=group)
        except ClientError as exc:
            if _error_code(exc) != "GroupExistsException":
                raise
    client_name = physical_name(stage, "web")
    clients = cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
    client = next((c for c in clients if c["ClientName"] == client_name), None)
    if client is None:
        client = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName=client_name)["UserPoolClient"]
    arn = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Arn"]
    return {
        "name": name,
        "id": pool_id,
        "arn": arn,
        "client_id": client["ClientId"],
        "groups": list(COGNITO_GROUPS),
    }


# --- Entry point ---------------------------------------------------------------------------------


def _provision_events(
    stage: str, events: Any, sqs: Any
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    bus = _ensure_bus(events, stage)
    queues = {target: _ensure_rule_target_queue(sqs, stage, target) for target in {r.target for r in RULES}}
    rules = {r.name: _ensure_rule(events, stage, bus["name"], r, queues[r.target]["arn"]) for r in RULES}
    for target, queue in queues.items():
        _allow_rules_to_send(sqs, queue, [rule["arn"] for rule in rules.values() if rule["target"] == target])
    return bus, rules, queues


def provision(stage: str = DEFAULT_STAGE) -> dict[str, Any]:
    """Create (or confirm) every resource of ``stage``; returns their physical names and ARNs.

    Shape: ``{"stage", "region", "tables": {spec name: {name, arn, stream_arn, ...}}, "event_bus":
    {name, arn, archive, retention_days}, "rules": {spec name: {name, arn, pattern, target,
    target_arn}}, "queues": {rule target: {name, url, arn[, dlq]}}, "dlqs": {function name: {name, url,
    arn}}, "buckets": {spec name: {name}}, "secrets": {spec name: {name, arn}}, "workflows": {spec name: {name, arn}}, "user_pool":
    {name, id, arn, client_id, groups}}``.

    The kinds of resource are made side by side (none names another kind's but the rules their queues, made
    together; every queue on one thread): each is a few dozen calls that wait on moto, and the local stack's routes wait for all of
    them. The clients are made first, on this thread (making them is not thread-safe).
    """
    clients = {
        service: _client(service)
        for service in ("dynamodb", "sqs", "events", "s3", "secretsmanager", "stepfunctions", "cognito-idp")
    }
    dynamodb, sqs = clients["dynamodb"], clients["sqs"]
    work: dict[str, Callable[[], Any]] = {
        "tables": lambda: {spec.name: _ensure_table(dynamodb, stage, spec) for spec in TABLES},
        # Every queue on this one thread: moto's SQS walks its queues unlocked while it sets a redrive policy,
        # and a queue made meanwhile on another thread breaks that walk.
        "queues": lambda: (
            _provision_events(stage, clients["events"], sqs),
            {
                fn.name: _ensure_queue(
                    sqs, stream_dlq_name(stage, fn), {"MessageRetentionPeriod": str(DLQ_RETENTION_S)}
                )
                for fn in FUNCTIONS
                if fn.stream is not None or fn.schedule_minutes is not None
            },
        ),
        "buckets": lambda: {spec.name: _ensure_bucket(clients["s3"], stage, spec) for spec in BUCKETS},
        "secrets": lambda: {
            spec.name: _ensure_secret(clients["secretsmanager"], stage, spec) for spec in SECRETS
        },
        "workflows": lambda: {
            spec.name: _ensure_state_machine(clients["stepfunctions"], stage, spec) for spec in WORKFLOWS
        },
        "user_pool": lambda: _ensure_user_pool(clients["cognito-idp"], stage),
    }
    with ThreadPoolExecutor(max_workers=len(work), thread_name_prefix="provision") as pool:
        futures = {kind: pool.submit(make) for kind, make in work.items()}
        made = {kind: future.result() for kind, future in futures.items()}
    tables = made["tables"]
    (bus, rules, queues), dlqs = made["queues"]
    buckets, stored_secrets, workflows = made["buckets"], made["secrets"], made["workflows"]
    return {
        "stage": stage,
        "region": REGION,
        "tables": tables,
        "event_bus": bus,
        "rules": rules,
        "queues": queues,
        "dlqs": dlqs,
        "buckets": buckets,
        "secrets": stored_secrets,
        "workflows": workflows,
        "user_pool": made["user_pool"],
    }
