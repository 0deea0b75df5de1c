"""The synthesised templates of both stages against the specs in ``infra/resources.py``."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from infra.resources import (
    API_ROUTES,
    API_THROTTLE_BURST,
    API_THROTTLE_RATE,
    APP,
    COGNITO_GROUPS,
    CONTEXTS,
    EVENT_LOG_TARGET,
    FUNCTIONS,
    METRIC_ALARMS,
    RULES,
    SECRETS,
    TABLES,
    WORKFLOWS,
    FunctionSpec,
    TableSpec,
    env_name,
    physical_name,
)
from tests.infra.conftest import STEP_FUNCTIONS_SERVICE_ACTIONS, Synthesized

pytestmark = pytest.mark.xdist_group("synth")

RETENTION = {"dev": 14, "prod": 365}
PROBLEM_BASE = "https://problems.shop.example/"


def _tag(resource: dict[str, Any], key: str) -> str | None:
    return next((t["Value"] for t in resource["Properties"].get("Tags", []) if t["Key"] == key), None)


def _functions(synth: Synthesized) -> dict[str, dict[str, Any]]:
    """Lambda functions by spec name (``shop-<stage>-<name>``)."""
    prefix = f"{APP}-{synth.stage}-"
    return {
        r["Properties"]["FunctionName"].removeprefix(prefix): {"id": logical_id, **r}
        for logical_id, r in synth.all_resources("AWS::Lambda::Function").items()
    }


def _role_statements(synth: Synthesized, function: dict[str, Any]) -> list[dict[str, Any]]:
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    statements: list[dict[str, Any]] = []
    for policy in synth.all_resources("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            statements += synth.resolve(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


def _actions(statements: list[dict[str, Any]]) -> set[str]:
    actions: set[str] = set()
    for statement in statements:
        value = statement["Action"]
        actions.update([value] if isinstance(value, str) else value)
    return actions


def _spec(name: str) -> FunctionSpec:
    return next(f for f in FUNCTIONS if f.name == name)


def _table_by_spec(synth: Synthesized, spec: TableSpec) -> dict[str, Any]:
    tables = synth.resources("stateful", "AWS::DynamoDB::Table")
    matches = [t for t in tables.values() if _tag(t, "shop:table") == spec.name]
    assert len(matches) == 1, f"expected one table tagged {spec.name}"
    return matches[0]


# --- functions -----------------------------------------------------------------------------------


def test_every_spec_becomes_one_function(stage_synth: Synthesized) -> None:
    # GIVEN the function specs
    # WHEN the stage is synthesised
    functions = _functions(stage_synth)
    # THEN each spec is one function and nothing else creates a Lambda
    assert sorted(functions) == sorted(f.name for f in FUNCTIONS)
    all_functions = stage_synth.all_resources("AWS::Lambda::Function")
    assert len(all_functions) == len(FUNCTIONS)


def test_functions_run_python313_arm64_traced_with_layer_and_retained_logs(stage_synth: Synthesized) -> None:
    # GIVEN the synthesised stacks: layers in the services stack, functions in their contexts' stacks
    log_groups = stage_synth.all_resources("AWS::Logs::LogGroup")
    layers = stage_synth.resources("services", "AWS::Lambda::LayerVersion")
    # WHEN each function is inspected
    for name, function in _functions(stage_synth).items():
        props = function["Properties"]
        # THEN it has the house runtime, architecture, tracing, the kernel layer and its own log group
        assert props["Runtime"] == "python3.13", name
        assert props["Architectures"] == ["arm64"], name
        assert props["TracingConfig"] == {"Mode": "Active"}, name
        kernel = next(k for k in layers if k.startswith("KernelLayer"))
        extra = [next(k for k in layers if k.startswith(f"{n.title()}Layer")) for n in _spec(name).layers]
        assert [stage_synth.resolve(layer)["Ref"] for layer in props["Layers"]] == [kernel, *extra], name
        log_group = log_groups[props["LoggingConfig"]["LogGroup"]["Ref"]]
        assert log_group["Properties"]["RetentionInDays"] == RETENTION[stage_synth.stage], name
        assert (
            log_group["Properties"]["LogGroupName"] == f"/aws/lambda/{physical_name(stage_synth.stage, name)}"
        )


def test_layers_target_python313_on_arm64(dev: Synthesized) -> None:
    # GIVEN / WHEN the services stack's layers (the kernel's, and one per extra layer a spec names)
    layers = dev.resources("services", "AWS::Lambda::LayerVersion")
    assert len(layers) == 1 + len({name for spec in FUNCTIONS for name in spec.layers})
    for layer in layers.values():
        # THEN each is declared for the runtime and architecture its wheels are built for
        assert layer["Properties"]["CompatibleRuntimes"] == ["python3.13"]
        assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]


def test_function_settings_and_environment_follow_the_spec(stage_synth: Synthesized) -> None:
    # GIVEN the specs and the synthesised functions
    functions = _functions(stage_synth)
    for spec in FUNCTIONS:
        props = functions[spec.name]["Properties"]
        env = props["Environment"]["Variables"]
        # THEN memory, timeout, handler and the environment come from the spec
        assert props["MemorySize"] == spec.memory_mb
        assert props["Timeout"] == spec.timeout_s
        assert props["Handler"] == spec.handler
        assert env["STAGE"] == stage_synth.stage
        assert env["POWERTOOLS_SERVICE_NAME"] == spec.context
        assert env["POWERTOOLS_METRICS_NAMESPACE"] == APP
        assert env["POWERTOOLS_LOG_LEVEL"] in {"DEBUG", "INFO"}
        assert "EVENT_BUS_NAME" in env
        expected = {env_name(t, "table") for t in spec.tables_rw + spec.tables_ro}
        expected |= {env_name(s, "secret") for s in spec.secrets}
        resource_vars = {k for k in env if k.endswith(("_TABLE_NAME", "_SECRET_NAME"))}
        assert resource_vars == expected, spec.name


def test_function_code_ships_its_context_and_what_it_imports(dev: Synthesized) -> None:
    # GIVEN the staged code asset of each function
    from infra.function_code import FUNCTIONS_SOURCE, code_asset

    borrowed = {context: set(code_asset(context).borrowed) for context in CONTEXTS}
    for name, function in _functions(dev).items():
        asset = dev.outdir / f"asset.{function['Properties']['Code']['S3Key'].removesuffix('.zip')}"
        # WHEN its files are listed
        files = {p.relative_to(asset).as_posix() for p in asset.rglob("*") if p.is_file()}
        # THEN it holds its context whole and the files of others its code imports (tests/infra/
        # test_function_code.py imports from them), no bytecode or tests
        context = _spec(name).context
        own = {
            p.relative_to(FUNCTIONS_SOURCE).as_posix()
            for p in (FUNCTIONS_SOURCE / context).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        }
        assert files == own | borrowed[context], name
        assert not [f for f in files if "__pycache__/" in f or "/tests/" in f or f.endswith(".pyc")]


# --- least privilege -----------------------------------------------------------------------------


def test_only_publishers_may_put_events(stage_synth: Synthesized) -> None:
    # GIVEN each function's role policies
    functions = _functions(stage_synth)
    for spec in FUNCTIONS:
        actions = _actions(_role_statements(stage_synth, functions[spec.name]))
        # THEN events:PutEvents is granted exactly to the functions whose spec publishes
        assert ("events:PutEvents" in actions) == spec.publishes_events, spec.name


def test_table_access_matches_the_spec_and_never_scans(stage_synth: Synthesized) -> None:
    # GIVEN each function's role policies
    functions = _functions(stage_synth)
    writes = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
    for spec in FUNCTIONS:
        actions = _actions(_role_statements(stage_synth, functions[spec.name]))
        # THEN writers may write, readers may only read, others touch no item, and only a scheduled
        # audit that declares it scans
        assert bool(actions & writes) == bool(spec.tables_rw), spec.name
        assert ("dynamodb:Query" in actions) == bool(spec.tables_rw or spec.tables_ro), spec.name
        assert ("dynamodb:Scan" in actions) == bool(spec.audit_scans), spec.name
        assert not spec.audit_scans or spec.schedule_minutes is not None, spec.name
        assert not [a for a in actions if a.endswith("*")], spec.name


def test_catalog_roles_are_least_privilege(dev: Synthesized) -> None:
    # GIVEN the two catalog functions
    functions = _functions(dev)
    api = _actions(_role_statements(dev, functions["catalog-api"]))
    events = _actions(_role_statements(dev, functions["catalog-events"]))
    # THEN the API cannot publish, and the stream consumer cannot write (or read) the table
    assert "events:PutEvents" not in api
    assert "secretsmanager:GetSecretValue" in api
    assert not {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:GetItem"} & events
    assert {"dynamodb:GetRecords", "dynamodb:GetShardIterator", "events:PutEvents"} <= events


def test_only_unscopeable_actions_use_a_wildcard_resource(stage_synth: Synthesized) -> None:
    # GIVEN every IAM policy statement of the services and context stacks
    allowed = {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "dynamodb:ListStreams"}
    # State machine roles also deliver logs through CloudWatch log deliveries and sample X-Ray traces.
    state_machine_roles = {
        state_machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]
        for state_machine in stage_synth.resources("services", "AWS::StepFunctions::StateMachine").values()
    }
    for policy in stage_synth.all_resources("AWS::IAM::Policy").values():
        roles = {role["Ref"] for role in policy["Properties"]["Roles"]}
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            # THEN Resource "*" only carries actions that have no resource-level permissions
            if statement["Resource"] == "*":
                workflow = roles <= state_machine_roles
                assert _actions([statement]) <= (STEP_FUNCTIONS_SERVICE_ACTIONS if workflow else allowed)


# --- stream trigger ------------------------------------------------------------------------------


def _mappings(synth: Synthesized, *, stream: bool) -> dict[str, dict[str, Any]]:
    """The properties of the stream (else queue) event source mappings, by the spec name of their function."""
    names = {function["id"]: name for name, function in _functions(synth).items()}
    found: dict[str, dict[str, Any]] = {}
    for mapping in synth.all_resources("AWS::Lambda::EventSourceMapping").values():
        props = mapping["Properties"]
        if ("StartingPosition" in props) == stream:
            name = names[props["FunctionName"]["Ref"]]
            assert name not in found, f"{name} has two such mappings"
            found[name] = props
    return found


def test_stream_triggers_report_partial_failures_filter_types_and_keep_failures(
    stage_synth: Synthesized,
) -> None:
    # GIVEN the event source mappings by function and the stream specs
    mappings = _mappings(stage_synth, stream=True)
    stream_specs = [f for f in FUNCTIONS if f.stream is not None]
    queues = stage_synth.all_resources("AWS::SQS::Queue")
    # THEN there is one per stream trigger, with partial failures, bisection, retries and a DLQ
    assert sorted(mappings) == sorted(spec.name for spec in stream_specs)
    for spec in stream_specs:
        assert spec.stream is not None
        props = mappings[spec.name]
        assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert props["BisectBatchOnFunctionError"] is True
        assert 0 < props["MaximumRetryAttempts"] <= 10
        assert props["BatchSize"] == spec.stream.batch_size
        dlq_id = props["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
        assert queues[dlq_id]["Properties"]["QueueName"] == physical_name(
            stage_synth.stage, f"{spec.name}-dlq"
        )
        patterns = [json.loads(f["Pattern"]) for f in props["FilterCriteria"]["Filters"]]
        types = list(spec.stream.item_types)
        assert {"dynamodb": {"NewImage": {"type": {"S": types}}}} in patterns
        assert {"dynamodb": {"OldImage": {"type": {"S": types}}}} in patterns


def test_queue_triggers_report_partial_failures(stage_synth: Synthesized) -> None:
    # GIVEN the SQS event source mappings by function and the specs fed by a rule's queue
    mappings = _mappings(stage_synth, stream=False)
    queue_specs = [f for f in FUNCTIONS if f.queue is not None]
    # THEN there is one per queue trigger, with its batch size, batching window and partial batch failures
    assert sorted(mappings) == sorted(spec.name for spec in queue_specs)
    for spec in queue_specs:
        assert spec.queue is not None
        props = mappings[spec.name]
        assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert props["BatchSize"] == spec.queue.batch_size
        assert props.get("MaximumBatchingWindowInSeconds", 0) == spec.queue.max_batching_window_s


# --- data ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", TABLES, ids=lambda s: s.name)
def test_tables_match_their_spec(stage_synth: Synthesized, spec: TableSpec) -> None:
    # GIVEN the table created from the spec
    table = _table_by_spec(stage_synth, spec)
    props = table["Properties"]
    # THEN keys, indexes, stream, TTL, capacity mode and recovery are the spec's
    expected_keys = [{"AttributeName": spec.partition_key, "KeyType": "HASH"}]
    if spec.sort_key:
        expected_keys.append({"AttributeName": spec.sort_key, "KeyType": "RANGE"})
    assert props["KeySchema"] == expected_keys
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert {a["AttributeType"] for a in props["AttributeDefinitions"]} == {"S"}
    indexes = {i["IndexName"]: i for i in props.get("GlobalSecondaryIndexes", [])}
    assert sorted(indexes) == sorted(i.name for i in spec.indexes)
    for index in spec.indexes:
        assert indexes[index.name]["KeySchema"][0] == {
            "AttributeName": index.partition_key,
            "KeyType": "HASH",
        }
        assert indexes[index.name]["Projection"]["ProjectionType"] == index.projection
    stream = props.get("StreamSpecification", {}).get("StreamViewType")
    assert stream == spec.stream
    ttl = props.get("TimeToLiveSpecification")
    assert (ttl or {}).get("AttributeName") == spec.ttl_attribute


def test_production_data_survives_stack_deletion(prod: Synthesized, dev: Synthesized) -> None:
    # GIVEN the tables of both stages
    for table in prod.resources("stateful", "AWS::DynamoDB::Table").values():
        # THEN production retains them and refuses deletion; dev cleans up after itself
        assert table["DeletionPolicy"] == "Retain"
        assert table["Properties"]["DeletionProtectionEnabled"] is True
    for table in dev.resources("stateful", "AWS::DynamoDB::Table").values():
        assert table["DeletionPolicy"] == "Delete"


# --- events --------------------------------------------------------------------------------------


def test_one_bus_per_stage_with_an_archive(stage_synth: Synthesized) -> None:
    # GIVEN the stateful stack
    buses = stage_synth.resources("stateful", "AWS::Events::EventBus")
    archives = list(stage_synth.resources("stateful", "AWS::Events::Archive").values())
    # THEN there is one bus named for the stage, archived with the stage's retention
    assert [b["Properties"]["Name"] for b in buses.values()] == [f"{APP}-{stage_synth.stage}"]
    assert len(archives) == 1
    assert archives[0]["Properties"]["SourceArn"] == {"Fn::GetAtt": [next(iter(buses)), "Arn"]}
    assert archives[0]["Properties"]["RetentionDays"] == {"dev": 30, "prod": 365}[stage_synth.stage]


def test_rules_carry_the_spec_patterns_to_the_event_log(stage_synth: Synthesized) -> None:
    # GIVEN the rules and the event log group
    rules = {
        r["Properties"]["Name"]: r for r in stage_synth.resources("stateful", "AWS::Events::Rule").values()
    }
    log_groups = stage_synth.resources("stateful", "AWS::Logs::LogGroup")
    (event_log_id,) = [
        k
        for k, g in log_groups.items()
        if g["Properties"]["LogGroupName"] == f"/{APP}/{stage_synth.stage}/events"
    ]
    # THEN each spec is one rule on the bus with exactly its pattern, delivering to the log group
    assert sorted(rules) == sorted(physical_name(stage_synth.stage, r.name) for r in RULES)
    for spec in RULES:
        props = rules[physical_name(stage_synth.stage, spec.name)]["Properties"]
        assert props["EventPattern"] == spec.pattern
        assert "Ref" in props["EventBusName"]
        target = json.dumps(props["Targets"])
        if spec.target == EVENT_LOG_TARGET:
            assert event_log_id in target
        else:
            # Any other target is the consumer queue of that name (rule -> queue -> function).
            queues = {
                k: q
                for k, q in stage_synth.resources("stateful", "AWS::SQS::Queue").items()
                if q["Properties"]["QueueName"] == physical_name(stage_synth.stage, spec.target)
            }
            assert len(queues) == 1, spec.name
            assert next(iter(queues)) in target, spec.name
    assert log_groups[event_log_id]["Properties"]["RetentionInDays"] == RETENTION[stage_synth.stage]
    policies = stage_synth.resources("stateful", "AWS::Logs::ResourcePolicy")
    assert "events.amazonaws.com" in json.dumps(list(policies.values()))


# --- auth and API --------------------------------------------------------------------------------


def test_user_pool_has_the_groups_and_a_public_client(stage_synth: Synthesized) -> None:
    # GIVEN the stateful stack
    groups = stage_synth.resources("stateful", "AWS::Cognito::UserPoolGroup")
    pools = stage_synth.resources("stateful", "AWS::Cognito::UserPool").values()
    clients = stage_synth.resources("stateful", "AWS::Cognito::UserPoolClient").values()
    # THEN the four groups exist, sign-in is by email, and the browser clients have no secret
    # (shoppers' and staff pools: tests/infra/test_security_infra.py)
    assert sorted(g["Properties"]["GroupName"] for g in groups.values()) == sorted(COGNITO_GROUPS)
    assert len(pools) == len(clients) == 2
    for pool in pools:
        assert pool["Properties"]["UsernameAttributes"] == ["email"]
        assert pool["Properties"]["Policies"]["PasswordPolicy"]["MinimumLength"] >= 12
        threat = pool["Properties"].get("UserPoolAddOns", {}).get("AdvancedSecurityMode")
        assert (threat == "ENFORCED") == (stage_synth.stage == "prod")
    assert all(client["Properties"].get("GenerateSecret") in (None, False) for client in clients)


def _resource_paths(synth: Synthesized) -> dict[str, str]:
    """API Gateway resource logical id -> full path; the root is the RestApi's RootResourceId."""
    resources = synth.resources("services", "AWS::ApiGateway::Resource")
    paths: dict[str, str] = {}

    def path_of(logical_id: str) -> str:
        if logical_id not in paths:
            props = resources[logical_id]["Properties"]
            parent = props["ParentId"]
            parent_path = path_of(parent["Ref"]) if "Ref" in parent else ""
            paths[logical_id] = f"{parent_path}/{props['PathPart']}"
        return paths[logical_id]

    for logical_id in resources:
        path_of(logical_id)
    return paths


def _methods_by_path(synth: Synthesized) -> dict[str, dict[str, Any]]:
    paths = _resource_paths(synth)
    methods: dict[str, dict[str, Any]] = {}
    for method in synth.resources("services", "AWS::ApiGateway::Method").values():
        props = method["Properties"]
        if props["HttpMethod"] == "OPTIONS":
            continue
        resource = props["ResourceId"]
        path = paths[resource["Ref"]] if "Ref" in resource else "/"
        methods[f"{props['HttpMethod']} {path}"] = props
    return methods


def test_cognito_authorizer_guards_exactly_the_authorized_routes(stage_synth: Synthesized) -> None:
    # GIVEN the API methods and the authorizer
    methods = _methods_by_path(stage_synth)
    (authorizer_id,) = stage_synth.resources("services", "AWS::ApiGateway::Authorizer")
    expected = set()
    for route in API_ROUTES:
        for path in (f"/{route.prefix}", f"/{route.prefix}/{{proxy+}}"):
            key = f"ANY {path}"
            expected.add(key)
            props = methods[key]
            # THEN authorized routes use the Cognito authorizer and public ones none
            if route.authorized:
                assert props["AuthorizationType"] == "COGNITO_USER_POOLS", key
                assert props["AuthorizerId"] == {"Ref": authorizer_id}, key
            else:
                assert props["AuthorizationType"] == "NONE", key
                assert "AuthorizerId" not in props, key
            assert props["Integration"]["Type"] == "AWS_PROXY", key
            assert "RequestValidatorId" in props, key
    # AND no other method exists
    assert set(methods) == expected


def test_api_stage_is_throttled_traced_and_access_logged(stage_synth: Synthesized) -> None:
    # GIVEN the API stage
    (stage,) = stage_synth.resources("services", "AWS::ApiGateway::Stage").values()
    props = stage["Properties"]
    settings = props["MethodSettings"][0]
    # THEN it has the spec's throttling, X-Ray, JSON access logs and no data tracing
    assert props["StageName"] == stage_synth.stage
    assert settings["ThrottlingRateLimit"] == API_THROTTLE_RATE
    assert settings["ThrottlingBurstLimit"] == API_THROTTLE_BURST
    assert settings["DataTraceEnabled"] is False
    assert props["TracingEnabled"] is True
    assert json.loads(props["AccessLogSetting"]["Format"])["requestId"] == "$context.requestId"


def test_gateway_errors_are_problem_json(stage_synth: Synthesized) -> None:
    # GIVEN the gateway responses
    responses = {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in stage_synth.resources("services", "AWS::ApiGateway::GatewayResponse").values()
    }
    required = {
        "UNAUTHORIZED",
        "ACCESS_DENIED",
        "DEFAULT_4XX",
        "DEFAULT_5XX",
        "THROTTLED",
        "REQUEST_TOO_LARGE",
    }
    assert required <= set(responses)
    for response_type, props in responses.items():
        # WHEN the mapping template is filled the way API Gateway fills it
        body = props["ResponseTemplates"]["application/json"]
        filled = json.loads(
            re.sub(r"\$context\.[\w.]+", "x", body.replace("$context.error.messageString", '"m"'))
        )
        # THEN the body is a problem document whose status is the response's status
        assert (
            props["ResponseParameters"]["gatewayresponse.header.Content-Type"] == "'application/problem+json'"
        )
        assert filled["type"].startswith(PROBLEM_BASE), response_type
        assert filled["status"] == int(props["StatusCode"]), response_type
        assert filled["title"]
        assert filled["detail"] == "m"


def test_managed_waf_rules_protect_production_only(prod: Synthesized, dev: Synthesized) -> None:
    # GIVEN / WHEN both stages' web ACLs (rate rules in both: tests/infra/test_security_infra.py)
    def managed(synth: Synthesized) -> list[str]:
        (acl,) = synth.resources("services", "AWS::WAFv2::WebACL").values()
        return [
            r["Name"] for r in acl["Properties"]["Rules"] if "ManagedRuleGroupStatement" in r["Statement"]
        ]

    # THEN the AWS managed rule groups (billed per request) guard production only
    assert managed(prod)
    assert not managed(dev)


# --- observability -------------------------------------------------------------------------------


def test_alarms_cover_functions_api_and_dlqs(stage_synth: Synthesized) -> None:
    # GIVEN the alarms of every stack and the alarm topic
    alarms = {
        a["Properties"]["AlarmName"]: a["Properties"]
        for a in stage_synth.all_resources("AWS::CloudWatch::Alarm").values()
    }
    (topic_id, topic) = next(iter(stage_synth.resources("services", "AWS::SNS::Topic").items()))

    def name(suffix: str) -> str:
        return physical_name(stage_synth.stage, suffix)

    # THEN every function has error and throttle alarms, the API 5xx and p99, every stream, queue and
    # schedule DLQ its depth, every workflow its failed executions
    expected = {name("api-5xx"), name("api-latency-p99")}
    for spec in FUNCTIONS:
        expected |= {name(f"{spec.name}-errors"), name(f"{spec.name}-throttles")}
        if spec.stream is not None or spec.queue is not None or spec.schedule_minutes is not None:
            expected.add(name(f"{spec.name}-dlq-depth"))
    expected |= {name(f"{workflow.name}-executions-failed") for workflow in WORKFLOWS}
    expected |= {name(f"{workflow.name}-executions-timed-out") for workflow in WORKFLOWS}
    # and every business metric alarm (shipments stuck without tracking)
    expected |= {name(spec.name) for spec in METRIC_ALARMS}
    assert set(alarms) == expected
    for alarm in alarms.values():
        assert stage_synth.resolve(alarm["AlarmActions"]) == [{"Ref": topic_id}]
    assert alarms[name("api-latency-p99")]["ExtendedStatistic"] == "p99"
    assert "KmsMasterKeyId" in topic["Properties"]


def test_one_dashboard_per_context(stage_synth: Synthesized) -> None:
    # GIVEN / WHEN the dashboards
    dashboards = stage_synth.all_resources("AWS::CloudWatch::Dashboard").values()
    # THEN each bounded context has its own
    names = sorted(d["Properties"]["DashboardName"] for d in dashboards)
    assert names == sorted(physical_name(stage_synth.stage, c) for c in CONTEXTS)


def test_secrets_are_generated_per_spec(stage_synth: Synthesized) -> None:
    # GIVEN the secrets
    secrets = stage_synth.resources("stateful", "AWS::SecretsManager::Secret").values()
    # THEN each spec has one generated secret with its description
    assert sorted(_tag(s, "shop:secret") or "" for s in secrets) == sorted(s.name for s in SECRETS)
    for secret in secrets:
        assert "GenerateSecretString" in secret["Properties"]
        assert "SecretString" not in secret["Properties"]


def test_every_event_schema_is_published_to_the_registry(stage_synth: Synthesized) -> None:
    # GIVEN the committed event schema files
    from infra.event_schemas import schema_files

    def version(content: dict[str, Any]) -> tuple[int, ...]:
        return tuple(int(part) for part in content["x-version"].split("."))

    newest: dict[str, dict[str, Any]] = {}
    for path in schema_files():
        content = json.loads(path.read_text())
        name = f"{content['x-source']}@{content['x-detail-type']}"
        if name not in newest or version(content) > version(newest[name]):
            newest[name] = content
    # WHEN the stage is synthesised
    registries = list(stage_synth.resources("stateful", "AWS::EventSchemas::Registry").values())
    schemas = list(stage_synth.resources("stateful", "AWS::EventSchemas::Schema").values())
    # THEN one registry for the stage holds one schema per event (two would clash on the name at
    # deploy), with the newest version's content unchanged; the registry keeps the older ones as versions
    assert [r["Properties"]["RegistryName"] for r in registries] == [f"{APP}-{stage_synth.stage}"]
    names = [s["Properties"]["SchemaName"] for s in schemas]
    assert len(names) == len(set(names))
    published = {s["Properties"]["SchemaName"]: json.loads(s["Properties"]["Content"]) for s in schemas}
    assert published == newest
    assert {s["Properties"]["Type"] for s in schemas} == {"JSONSchemaDraft4"}


def test_scheduled_functions_run_on_their_rate(stage_synth: Synthesized) -> None:
    # GIVEN the functions whose spec has a schedule
    scheduled = [f for f in FUNCTIONS if f.schedule_minutes]
    assert scheduled, "no scheduled function in the specs"
    functions = _functions(stage_synth)
    rules = stage_synth.all_resources("AWS::Events::Rule")
    # THEN each has exactly one rule with its rate that targets it
    for spec in scheduled:
        assert spec.schedule_minutes is not None
        arn = {"Fn::GetAtt": [functions[spec.name]["id"], "Arn"]}
        mine = [r for r in rules.values() if any(t["Arn"] == arn for t in r["Properties"]["Targets"])]
        assert len(mine) == 1, spec.name
        assert mine[0]["Properties"]["ScheduleExpression"] == _rate(spec.schedule_minutes)


def _rate(minutes: int) -> str:
    """The expression CDK writes for a rate: in the largest whole unit (1440 minutes is ``rate(1 day)``)."""
    for unit, size in (("day", 1440), ("hour", 60)):
        if minutes % size == 0:
            count = minutes // size
            return f"rate({count} {unit}{'s' if count > 1 else ''})"
    return f"rate({minutes} minutes)"


def test_a_scheduled_run_that_fails_lands_in_the_functions_dlq(stage_synth: Synthesized) -> None:
    # GIVEN the scheduled functions, their rules, async invoke configs and queues
    scheduled = [f for f in FUNCTIONS if f.schedule_minutes]
    functions = _functions(stage_synth)
    rules = stage_synth.all_resources("AWS::Events::Rule")
    configs = stage_synth.all_resources("AWS::Lambda::EventInvokeConfig").values()
    queues = stage_synth.all_resources("AWS::SQS::Queue")
    for spec in scheduled:
        dlq_name = physical_name(stage_synth.stage, f"{spec.name}-dlq")
        (dlq_id,) = [q for q, props in queues.items() if props["Properties"]["QueueName"] == dlq_name]
        dlq_arn = {"Fn::GetAtt": [dlq_id, "Arn"]}
        # THEN a run Lambda gave up on (after its async retries) goes to the function's DLQ
        (config,) = [
            c for c in configs if c["Properties"]["FunctionName"] == {"Ref": functions[spec.name]["id"]}
        ]
        assert config["Properties"]["DestinationConfig"]["OnFailure"]["Destination"] == dlq_arn
        assert config["Properties"]["MaximumRetryAttempts"] == 2
        # AND an invocation EventBridge could not deliver goes there too
        arn = {"Fn::GetAtt": [functions[spec.name]["id"], "Arn"]}
        (target,) = [t for r in rules.values() for t in r["Properties"]["Targets"] if t["Arn"] == arn]
        assert target["DeadLetterConfig"]["Arn"] == dlq_arn
