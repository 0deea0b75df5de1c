"""``ServiceFunction``: the only way this app creates a Lambda function, from a ``FunctionSpec``.

Every function gets the same runtime (python3.13 on arm64), active tracing, its own log group with the
stage's retention, its context's code (``infra.function_code``: the context's package and the modules of
others it imports), the kernel layer, the shop environment and least-privilege grants derived from the
spec: read/write or read-only per table, read per secret, ``events:PutEvents`` on the stage's bus only
when it publishes, stream read plus an on-failure DLQ when a table stream triggers it, and an
on-failure DLQ for the runs of a scheduled function.

A function that starts workflows (``FunctionSpec.starts_workflows``) is wired once the state machines
exist (``allow_starting``): the state machine's ARN in ``workflow_env_name(name)`` and
``states:StartExecution`` on that state machine alone. ``grant_table_access`` is shared with the
workflows' roles, so a table is granted the same way to a function and to a state machine.

Functions live in their context's stack, the API and the workflows in the services stack, which is deployed
first. So the function side grants API Gateway its invoke permissions (``allow_api``, one per route path,
scoped to the API and stage), and the services stack names a function by the ARN its fixed name gives
(``function_reference``), without a CloudFormation reference back to the context's stack.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.constructs.layer import ARCHITECTURE, RUNTIME
from infra.constructs.nag import acknowledge, printed_pseudo
from infra.constructs.search import INDEX_GRANTS, SearchDomain
from infra.constructs.storage import bucket_name, objects_finding
from infra.function_code import FUNCTIONS_SOURCE, CodeAsset, code_asset
from infra.resources import (
    API_ROUTES,
    APP,
    SEARCH_INDEX_ALIAS,
    FunctionSpec,
    QueueTrigger,
    StreamTrigger,
    env_name,
    physical_name,
    workflow_env_name,
)
from infra.resources import table as table_spec
from infra.stages import CORS_ENV, StageConfig

STREAM_RETRY_ATTEMPTS = 5
STREAM_MAX_RECORD_AGE = Duration.hours(24)
DLQ_RETENTION = Duration.days(14)  # the SQS maximum: time to investigate before a failure is lost
# TransactWriteItems/TransactGetItems are authorised through the per-item actions below.
TABLE_READ_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
)
TABLE_WRITE_ACTIONS = (
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
)
# ``FunctionSpec.adds_to_shopper_groups``: on the shoppers' pool only.
USER_POOL_GROUP_ACTIONS = ("cognito-idp:AdminAddUserToGroup",)


@dataclass(frozen=True)
class SharedResources:
    """What every function of a stage may be wired to."""

    stage: StageConfig
    layer: lambda_.ILayerVersion
    bus: events.IEventBus
    tables: Mapping[str, dynamodb.ITable]
    secrets: Mapping[str, secretsmanager.ISecret]
    # Layers a spec may add by name (``FunctionSpec.layers``), and the search domain for
    # ``FunctionSpec.search_index``.
    extra_layers: Mapping[str, lambda_.ILayerVersion] = field(default_factory=dict)
    search: SearchDomain | None = None
    # Rule target queues and their DLQs by name, for ``FunctionSpec.queue``.
    queues: Mapping[str, sqs.IQueue] = field(default_factory=dict)
    dead_letter_queues: Mapping[str, sqs.IQueue] = field(default_factory=dict)
    # The shoppers' pool, for ``FunctionSpec.adds_to_shopper_groups`` and ``user_pool_trigger``.
    shopper_pool: cognito.IUserPool | None = None


def grant_table_access(role: iam.IRole, table: dynamodb.ITable, name: str, *, write: bool) -> None:
    """Item reads (and writes) on table spec ``name`` and its indexes; never Scan, never ``index/*``."""
    # Explicit ARNs per index instead of Table.grant_*'s "<table>/index/*", and no Scan at all:
    # no request path may scan, and IAM now makes that a rule rather than a convention.
    indexes = [f"{table.table_arn}/index/{index.name}" for index in table_spec(name).indexes]
    role.add_to_principal_policy(
        iam.PolicyStatement(actions=list(TABLE_READ_ACTIONS), resources=[table.table_arn, *indexes])
    )
    if write:
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=list(TABLE_WRITE_ACTIONS), resources=[table.table_arn])
        )


class ServiceFunction(Construct):
    """``function``, ``role``, ``log_group`` and, for stream consumers and scheduled functions,
    ``dead_letter_queue``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: FunctionSpec,
        shared: SharedResources,
        code: CodeAsset | None = None,
    ) -> None:
        """``code``: the context's asset (``code_asset(spec.context)``), given by a caller that builds several
        of the context's functions, since working it out parses the context's imports."""
        super().__init__(scope, construct_id)
        self.spec = spec
        code = code or code_asset(spec.context)
        if code.context != spec.context:
            raise ValueError(f"{spec.name} is a {spec.context} function, given {code.context}'s code")
        stage = shared.stage
        function_name = physical_name(stage.name, spec.name)
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/aws/lambda/{function_name}",
            retention=stage.log_retention,
            removal_policy=stage.removal_policy,
        )
        # An own role instead of AWSLambdaBasicExecutionRole: logs go to this log group only.
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Runs {function_name}: {spec.description}"[:1000],
        )
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            function_name=function_name,
            description=spec.description[:256],
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=spec.handler,
            code=lambda_.Code.from_asset(str(FUNCTIONS_SOURCE), exclude=code.excludes),
            layers=[shared.layer, *(shared.extra_layers[name] for name in spec.layers)],
            memory_size=spec.memory_mb,
            timeout=Duration.seconds(spec.timeout_s),
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self.log_group,
            role=self.role,
            environment=_environment(spec, shared, Stack.of(self)),
        )
        self.dead_letter_queue: sqs.IQueue | None = None
        self._grant(spec, shared)
        if spec.stream is not None:
            self.dead_letter_queue = self._subscribe_to_stream(spec.stream, shared, function_name)
        if spec.queue is not None:
            self.dead_letter_queue = self._subscribe_to_queue(spec.queue, shared)
        if spec.schedule_minutes is not None:
            self.dead_letter_queue = self._run_on_schedule(spec.schedule_minutes, function_name)
        if spec.user_pool_trigger is not None:
            # The pool names this function by its fixed ARN (``infra.constructs.auth``); the permission
            # lives here, so the stateful stack holds no reference to this one.
            self.function.add_permission(
                "InvokedByUserPool",
                principal=iam.ServicePrincipal("cognito-idp.amazonaws.com"),
                action="lambda:InvokeFunction",
                source_arn=_shopper_pool(spec, shared).user_pool_arn,
            )
        self._acknowledge_findings()

    def allow_starting(self, name: str, state_machine: sfn.IStateMachine) -> None:
        """Give the function workflow ``name``'s ARN and ``states:StartExecution`` on it, nothing more."""
        if name not in self.spec.starts_workflows:
            raise ValueError(f"{self.spec.name} does not declare {name!r} in starts_workflows")
        self.function.add_environment(workflow_env_name(name), state_machine.state_machine_arn)
        state_machine.grant_start_execution(self.role)

    def allow_answering(self, name: str, state_machine: sfn.IStateMachine) -> None:
        """Let the function answer workflow ``name``'s waiting tasks (``SendTask*``), on it alone."""
        if name not in self.spec.answers_workflows:
            raise ValueError(f"{self.spec.name} does not declare {name!r} in answers_workflows")
        state_machine.grant_task_response(self.role)

    def allow_reading(self, name: str, state_machine: sfn.IStateMachine, stage: str) -> None:
        """Give the function workflow ``name``'s ARN and read access to its executions (staff views):
        ``DescribeExecution`` and ``GetExecutionHistory`` on that state machine's executions alone."""
        if name not in self.spec.reads_workflows:
            raise ValueError(f"{self.spec.name} does not declare {name!r} in reads_workflows")
        if name not in self.spec.starts_workflows:
            self.function.add_environment(workflow_env_name(name), state_machine.state_machine_arn)
        stack = Stack.of(self)
        machine = physical_name(stage, name)
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["states:DescribeExecution", "states:GetExecutionHistory"],
                resources=[
                    stack.format_arn(
                        service="states",
                        resource="execution",
                        resource_name=f"{machine}:*",
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    )
                ],
            )
        )
        partition, region, account = printed_pseudo(stack)
        acknowledge(
            self.role,
            "IAM5",
            "Executions are named after orders, so staff reading any order's execution need the state "
            "machine's executions (read only: describe and history), not one ARN.",
            f"Resource::arn:{partition}:states:{region}:{account}:execution:{machine}:*",
        )

    def allow_api(self, source_arns: Mapping[str, str]) -> None:
        """Let API Gateway invoke the function from the execute-api ARNs given by construct id, nothing else."""
        for construct_id, source_arn in source_arns.items():
            self.function.add_permission(
                construct_id,
                principal=iam.ServicePrincipal("apigateway.amazonaws.com"),
                action="lambda:InvokeFunction",
                source_arn=source_arn,
            )

    def _subscribe_to_queue(self, trigger: QueueTrigger, shared: SharedResources) -> sqs.IQueue:
        """Rule -> queue -> this function; failed records go back to the queue, then to its DLQ."""
        self.function.add_event_source(
            sources.SqsEventSource(
                shared.queues[trigger.queue],
                batch_size=trigger.batch_size,
                max_batching_window=(
                    Duration.seconds(trigger.max_batching_window_s) if trigger.max_batching_window_s else None
                ),
                report_batch_item_failures=True,
            )
        )
        return shared.dead_letter_queues[trigger.queue]

    def _run_on_schedule(self, minutes: int, function_name: str) -> sqs.Queue:
        """A rate rule invoking the function; a run that fails (after Lambda's async retries) or that
        EventBridge cannot deliver lands in the function's DLQ, alarmed on depth like a stream's."""
        dlq = self._dead_letter_queue(
            "ScheduleDlq",
            function_name,
            "This queue is itself the failure destination of the scheduled runs (the Lambda asynchronous "
            "on-failure destination and the rule target's dead-letter queue); it is alarmed on depth.",
        )
        self.function.configure_async_invoke(
            on_failure=destinations.SqsDestination(dlq), retry_attempts=2, max_event_age=Duration.hours(1)
        )
        events.Rule(
            self,
            "Schedule",
            rule_name=f"{function_name}-schedule",
            description=f"Runs {function_name} every {minutes} minutes",
            schedule=events.Schedule.rate(Duration.minutes(minutes)),
            targets=[targets.LambdaFunction(self.function, retry_attempts=2, dead_letter_queue=dlq)],
        )
        return dlq

    def _dead_letter_queue(self, construct_id: str, function_name: str, why: str) -> sqs.Queue:
        dlq = sqs.Queue(
            self,
            construct_id,
            queue_name=f"{function_name}-dlq",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=DLQ_RETENTION,
        )
        acknowledge(dlq.node.default_child, "SQS3", why)
        return dlq

    def _grant(self, spec: FunctionSpec, shared: SharedResources) -> None:
        for table_name in dict.fromkeys(spec.tables_rw + spec.tables_ro):
            write = table_name in spec.tables_rw
            grant_table_access(self.role, shared.tables[table_name], table_name, write=write)
        for table_name in spec.audit_scans:
            # A scheduled audit reads the whole table; Scan is granted to that function alone.
            self.role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["dynamodb:Scan"], resources=[shared.tables[table_name].table_arn]
                )
            )
        for secret_name in spec.secrets:
            shared.secrets[secret_name].grant_read(self.role)
        if spec.publishes_events:
            shared.bus.grant_put_events_to(self.role)
        for name in spec.buckets_rw:
            self._grant_bucket(shared.stage.name, name)
        if spec.search_index is not None:
            self._grant_search(spec.search_index, _search_domain(spec, shared))
        if spec.adds_to_shopper_groups:
            self.role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=list(USER_POOL_GROUP_ACTIONS),
                    resources=[_shopper_pool(spec, shared).user_pool_arn],
                )
            )

    def _grant_bucket(self, stage: str, name: str) -> None:
        """Read and write objects, nothing else (no list, no delete, no bucket settings)."""
        stack = Stack.of(self)
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject", "s3:PutObject"],
                resources=[f"arn:{stack.partition}:s3:::{bucket_name(stage, name, stack)}/*"],
            )
        )
        acknowledge(
            self.role,
            "IAM5",
            "Objects are keyed by our ids (labels/<shipment id>.pdf): the grant covers the objects of this "
            "one bucket, read and write only.",
            objects_finding(stage, name, stack),
        )

    def _grant_search(self, level: str, search: SearchDomain) -> None:
        for actions, resources in search.grants(level):
            self.role.add_to_principal_policy(iam.PolicyStatement(actions=actions, resources=resources))
        if any("*" in paths for _, paths in INDEX_GRANTS[level]):
            acknowledge(
                self.role,
                "IAM5",
                "OpenSearch authorises HTTP verbs on paths below the domain ARN (index, alias, _bulk); "
                "the indexer builds and swaps indices, so its wildcard stays inside the one search domain.",
                search.index_arn_finding(),
            )

    def _subscribe_to_stream(
        self, trigger: StreamTrigger, shared: SharedResources, function_name: str
    ) -> sqs.Queue:
        dlq = self._dead_letter_queue(
            "StreamDlq",
            function_name,
            "This queue is itself the dead-letter destination of the stream trigger (Lambda on-failure "
            "destination, not an SQS redrive, which cdk-nag cannot see); it is alarmed on depth.",
        )
        self.function.add_event_source(
            sources.DynamoEventSource(
                shared.tables[trigger.table],
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=trigger.batch_size,
                bisect_batch_on_error=True,
                retry_attempts=STREAM_RETRY_ATTEMPTS,
                max_record_age=STREAM_MAX_RECORD_AGE,
                report_batch_item_failures=True,
                on_failure=sources.SqsDlq(dlq),
                filters=_item_type_filters(trigger),
            )
        )
        return dlq

    def _acknowledge_findings(self) -> None:
        acknowledge(
            self.role,
            "IAM5",
            "X-Ray (xray:PutTraceSegments, xray:PutTelemetryRecords) and dynamodb:ListStreams do not "
            "support resource-level permissions, so their statements must name Resource '*'.",
            "Resource::*",
        )
        acknowledge(
            self.function,
            "L1",
            "The design pins python3.13 on arm64: the kernel layer's wheels are built for cp313, so a "
            "runtime upgrade is a deliberate change of both, tested together.",
        )


def _environment(spec: FunctionSpec, shared: SharedResources, stack: Stack) -> dict[str, str]:
    env = {
        "STAGE": shared.stage.name,
        "EVENT_BUS_NAME": shared.bus.event_bus_name,
        "POWERTOOLS_SERVICE_NAME": spec.context,
        "POWERTOOLS_METRICS_NAMESPACE": APP,
        "POWERTOOLS_LOG_LEVEL": shared.stage.log_level,
        # Responses may hold personal or payment data: never copy them into traces.
        "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
    }
    if serves_api(spec) and shared.stage.cors_allow_origins:
        env[CORS_ENV] = shared.stage.cors_env
    for table_name in dict.fromkeys(spec.tables_rw + spec.tables_ro):
        env[env_name(table_name, "table")] = shared.tables[table_name].table_name
    for secret_name in spec.secrets:
        env[env_name(secret_name, "secret")] = shared.secrets[secret_name].secret_arn
    for name in spec.buckets_rw:
        env[env_name(name, "bucket")] = bucket_name(shared.stage.name, name, stack)
    if spec.search_index is not None:
        env.update(
            SEARCH_ENGINE="opensearch",
            OPENSEARCH_ENDPOINT=_search_domain(spec, shared).endpoint,
            SEARCH_INDEX_ALIAS=SEARCH_INDEX_ALIAS,
        )
    return env


def function_reference(scope: Construct, construct_id: str, *, stage: str, name: str) -> lambda_.IFunction:
    """Function spec ``name`` by the ARN its fixed name gives, for a stack deployed before the function's own.

    No CloudFormation reference to the function's stack, and no permission on it: the function grants API
    Gateway itself (``ServiceFunction.allow_api``), so the two stacks depend one way only.
    """
    arn = Stack.of(scope).format_arn(
        service="lambda",
        resource="function",
        resource_name=physical_name(stage, name),
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
    return lambda_.Function.from_function_attributes(
        scope, construct_id, function_arn=arn, same_environment=False, skip_permissions=True
    )


def serves_api(spec: FunctionSpec) -> bool:
    """Whether API Gateway proxies requests to ``spec`` (only those answer browsers)."""
    return any(route.function == spec.name for route in API_ROUTES)


def _shopper_pool(spec: FunctionSpec, shared: SharedResources) -> cognito.IUserPool:
    if shared.shopper_pool is None:
        raise ValueError(f"{spec.name} acts on the shoppers' user pool, which its stack was not given")
    return shared.shopper_pool


def _search_domain(spec: FunctionSpec, shared: SharedResources) -> SearchDomain:
    if shared.search is None:
        raise ValueError(f"{spec.name} uses the search index but the stack has no search domain")
    return shared.search


def _item_type_filters(trigger: StreamTrigger) -> list[Mapping[str, object]]:
    """Only records whose new (insert/modify) or old (remove) image has a wanted ``type`` invoke us."""
    if not trigger.item_types:
        return []
    types = list(trigger.item_types)
    return [
        lambda_.FilterCriteria.filter({"dynamodb": {image: {"type": {"S": types}}}})
        for image in ("NewImage", "OldImage")
    ]
