"""A function's IAM grants, enforced on botocore calls where no IAM exists (moto, the local stack, tests).

moto does not enforce per-resource IAM, so a function that reads a table its spec never grants works
locally and in tests, then fails in the cloud with ``AccessDeniedException``. ``Grants.of(spec, stage)``
derives from a ``FunctionSpec`` what the CDK ``ServiceFunction`` grants its role (the same actions on the
same resources); ``install(session, grants)`` registers a ``before-parameter-build`` hook on a botocore
session, so every client the function creates from that session later is checked before each call. A
call the grants do not cover raises ``UngrantedAccess``, an ``AccessDeniedException`` naming the function,
the action and the resource, as IAM would answer it; every refusal is also kept on the ``Guard`` so a
caller can see one that the function's own error handling swallowed.

What is checked, per service:

- DynamoDB: the table (or ``table/index/<name>``) of every item operation, each entry of
  ``TransactWriteItems``/``TransactGetItems`` and each table of ``BatchGetItem``/``BatchWriteItem``.
  Reads (``GetItem``, ``Query`` incl. the spec's indexes, ``BatchGetItem``, ``ConditionCheckItem``,
  ``DescribeTable``) need ``tables_ro`` or ``tables_rw``; writes need ``tables_rw``. ``Scan`` is granted
  only on a scheduled audit's ``audit_scans`` tables (no request path scans).
- EventBridge: ``PutEvents`` on the stage's bus when ``publishes_events``.
- Step Functions: ``StartExecution`` on the workflows in ``starts_workflows``; ``SendTask*`` (any
  token) for a function that ``answers_workflows``; ``DescribeExecution``/``GetExecutionHistory`` on the
  executions of the workflows in ``reads_workflows``.
- Secrets Manager: ``GetSecretValue``/``DescribeSecret`` on the spec's ``secrets``.
- S3: ``GetObject`` (also what ``HeadObject`` needs) and ``PutObject`` on the spec's ``buckets_rw``.
- SQS: consuming the function's trigger queue (what the event source mapping is granted); nothing else.
- Cognito: ``AdminAddUserToGroup`` on the shoppers' pool (``shop-<stage>-users``) when the spec
  ``adds_to_shopper_groups``. Calls name the pool by its id, which moto (like Cognito) makes up, so the
  guard asks the pool's name once (``DescribeUserPool``, outside the function's session). The guard is
  narrower than IAM here: the group must be one of the spec's (IAM cannot name a group).
- Every other service and operation: refused.

Physical names are the local ones (``shop-<stage>-<name>``), as ``infra.local.provision`` creates them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from infra.resources import SHOPPER_GROUPS, FunctionSpec, physical_name, table

# As infra.constructs.function grants them (tests/infra checks that the two lists agree).
TABLE_READ_ACTIONS = frozenset(
    {
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:Query",
        "dynamodb:ConditionCheckItem",
        "dynamodb:DescribeTable",
    }
)
TABLE_WRITE_ACTIONS = frozenset(
    {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
)
SECRET_READ_ACTIONS = frozenset({"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"})
BUCKET_OBJECT_ACTIONS = frozenset({"s3:GetObject", "s3:PutObject"})
QUEUE_CONSUME_ACTIONS = frozenset(
    {
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:DeleteMessageBatch",
        "sqs:ChangeMessageVisibility",
        "sqs:ChangeMessageVisibilityBatch",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
    }
)
ANSWER_TASK_ACTIONS = frozenset(
    {"states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"}
)
READ_EXECUTION_ACTIONS = frozenset({"states:DescribeExecution", "states:GetExecutionHistory"})
USER_POOL_GROUP_ACTIONS = frozenset({"cognito-idp:AdminAddUserToGroup"})
SHOPPER_POOL = "users"  # infra.constructs.auth names the shoppers' pool so
# Transaction entries are authorised per item, through the item actions.
_TRANSACT_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
    "Get": "dynamodb:GetItem",
}
# S3 operations authorised through another action.
_S3_ACTIONS = {"HeadObject": "s3:GetObject"}
# botocore's service names -> IAM's action prefixes, where they differ.
_IAM_PREFIX = {"stepfunctions": "states"}


class UngrantedAccess(ClientError):
    """A call the function's spec does not grant: what IAM answers in the cloud (AccessDeniedException)."""

    def __init__(self, function: str, action: str, resource: str) -> None:
        message = (
            f"function {function} is not granted {action} on {resource} "
            "(its FunctionSpec in infra/resources.py does not grant it)"
        )
        super().__init__({"Error": {"Code": "AccessDeniedException", "Message": message}}, action)
        self.function, self.action, self.resource = function, action, resource


@dataclass(frozen=True)
class Grants:
    """What one function may do: ``allowed`` maps an IAM action to the resource names it is granted on.

    DynamoDB resources are ``<table name>`` or ``<table name>/index/<index>``; the others are names.
    """

    function: str
    stage: str
    allowed: dict[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, spec: FunctionSpec, stage: str) -> Grants:
        allowed: dict[str, set[str]] = {}

        def grant(actions: frozenset[str], *resources: str) -> None:
            for action in actions:
                allowed.setdefault(action, set()).update(resources)

        for name in dict.fromkeys(spec.tables_rw + spec.tables_ro):
            physical = physical_name(stage, name)
            indexes = [f"{physical}/index/{index.name}" for index in table(name).indexes]
            grant(TABLE_READ_ACTIONS, physical, *indexes)
            if name in spec.tables_rw:
                grant(TABLE_WRITE_ACTIONS, physical)
        # As ServiceFunction grants it: Scan on the table itself, to the scheduled audit alone.
        grant(frozenset({"dynamodb:Scan"}), *(physical_name(stage, name) for name in spec.audit_scans))
        grant(SECRET_READ_ACTIONS, *(physical_name(stage, s) for s in spec.secrets))
        if spec.publishes_events:
            grant(frozenset({"events:PutEvents"}), f"shop-{stage}")
        grant(frozenset({"states:StartExecution"}), *(physical_name(stage, w) for w in spec.starts_workflows))
        # As ServiceFunction.allow_reading grants it: the executions of the spec's workflows alone.
        grant(
            READ_EXECUTION_ACTIONS,
            *(f"execution/{physical_name(stage, w)}" for w in spec.reads_workflows),
        )
        if spec.answers_workflows:
            # A task token names no state machine a local check could read: the cloud grants these on the
            # spec's state machines (ServiceFunction.allow_answering); locally any token is allowed.
            grant(ANSWER_TASK_ACTIONS, "*")
        grant(BUCKET_OBJECT_ACTIONS, *(physical_name(stage, b) for b in spec.buckets_rw))
        if spec.queue is not None:
            grant(QUEUE_CONSUME_ACTIONS, physical_name(stage, spec.queue.queue))
        unknown = set(spec.adds_to_shopper_groups) - set(SHOPPER_GROUPS)
        if unknown:
            raise ValueError(f"{spec.name} adds users to {sorted(unknown)}, which are not shopper groups")
        pool = physical_name(stage, SHOPPER_POOL)
        grant(USER_POOL_GROUP_ACTIONS, *(f"{pool}/group/{group}" for group in spec.adds_to_shopper_groups))
        return cls(spec.name, stage, {action: frozenset(names) for action, names in allowed.items()})

    def permits(self, action: str, resource: str) -> bool:
        return resource in self.allowed.get(action, frozenset())

    def check(self, service: str, operation: str, params: dict[str, Any]) -> None:
        """Raises ``UngrantedAccess`` for the first (action, resource) of the call not granted."""
        for action, resource in requested(service, operation, params):
            if not self.permits(action, resource):
                raise UngrantedAccess(self.function, action, resource)


def requested(service: str, operation: str, params: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Every (IAM action, resource name) a call needs; a resource of ``*`` when it names none we know."""
    prefix = _IAM_PREFIX.get(service, service)
    if service == "dynamodb":
        yield from _dynamodb(operation, params)
    elif service == "secretsmanager":
        yield f"{prefix}:{operation}", _secret_name(str(params.get("SecretId", "*")))
    elif service == "events" and operation == "PutEvents":
        for entry in params.get("Entries") or [{}]:
            yield "events:PutEvents", _last(str(entry.get("EventBusName") or "default"), "/")
    elif service == "stepfunctions" and "executionArn" in params:
        # arn:aws:states:<region>:<account>:execution:<state machine>:<execution>
        parts = str(params["executionArn"]).split(":")
        named = len(parts) >= 8 and parts[5] == "execution"
        yield f"{prefix}:{operation}", f"execution/{parts[6]}" if named else "*"
    elif service == "stepfunctions" and "stateMachineArn" in params:
        yield f"{prefix}:{operation}", _last(str(params["stateMachineArn"]), ":")
    elif service == "cognito-idp" and "UserPoolId" in params:
        pool = _user_pool_name(str(params["UserPoolId"]))
        group = params.get("GroupName")
        yield f"{prefix}:{operation}", f"{pool}/group/{group}" if group else pool
    elif service == "s3" and "Bucket" in params:
        yield _S3_ACTIONS.get(operation, f"s3:{operation}"), str(params["Bucket"])
    elif service == "sqs" and ("QueueUrl" in params or "QueueName" in params):
        yield f"{prefix}:{operation}", _last(str(params.get("QueueUrl") or params["QueueName"]), "/")
    else:
        yield f"{prefix}:{operation}", "*"


def _dynamodb(operation: str, params: dict[str, Any]) -> Iterator[tuple[str, str]]:
    if operation in ("TransactWriteItems", "TransactGetItems"):
        for entry in params.get("TransactItems") or []:
            for kind, request in entry.items():
                yield _TRANSACT_ACTIONS.get(kind, f"dynamodb:{kind}"), _table_name(request.get("TableName"))
    elif operation in ("BatchGetItem", "BatchWriteItem"):
        for name in params.get("RequestItems") or {}:
            yield f"dynamodb:{operation}", _table_name(name)
    else:
        resource = _table_name(params.get("TableName"))
        if params.get("IndexName"):
            resource = f"{resource}/index/{params['IndexName']}"
        yield f"dynamodb:{operation}", resource


def _table_name(name: Any) -> str:
    """A table name, or the name in a table ARN (``arn:...:table/<name>``)."""
    text = str(name or "*")
    return text.split(":table/", 1)[1] if ":table/" in text else text


def _secret_name(secret_id: str) -> str:
    """A secret's name from its name or ARN (``arn:...:secret:<name>-<6 random characters>``)."""
    if ":secret:" not in secret_id:
        return secret_id
    name = secret_id.split(":secret:", 1)[1]
    return name[:-7] if len(name) > 7 and name[-7] == "-" else name


_POOL_NAMES: dict[tuple[str, str], str] = {}


def _user_pool_name(pool_id: str) -> str:
    """The name of the pool with id ``pool_id`` (asked once per endpoint and id); the id itself when no
    such pool exists (then nothing grants it)."""
    import os

    import boto3

    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    key = (endpoint, pool_id)
    if key not in _POOL_NAMES:
        idp = boto3.session.Session().client("cognito-idp", endpoint_url=endpoint or None)
        try:
            _POOL_NAMES[key] = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Name"]
        except ClientError:
            return pool_id
    return _POOL_NAMES[key]


def _last(text: str, separator: str) -> str:
    return text.rsplit(separator, 1)[-1]


class Guard:
    """The hook ``install`` registers: checks each call against ``grants`` and keeps what it refused.

    ``active`` off lets calls through unchecked: a test harness that shares one process between the
    functions and the test's own set-up switches it on only while the function runs. ``calls`` names
    every call checked, ``(service, operation)``: tests count what a function asked for.
    """

    def __init__(self, grants: Grants, on_refusal: Callable[[UngrantedAccess], None] | None = None) -> None:
        self.grants = grants
        self.refusals: list[UngrantedAccess] = []
        self.calls: list[tuple[str, str]] = []
        self.active = True
        self.on_refusal = on_refusal

    def __call__(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if not self.active:
            return
        self.calls.append((model.service_model.service_name, model.name))
        try:
            self.grants.check(model.service_model.service_name, model.name, params)
        except UngrantedAccess as refusal:
            self.refusals.append(refusal)
            if self.on_refusal is not None:
                self.on_refusal(refusal)
            raise


def install(
    session: Any, grants: Grants, on_refusal: Callable[[UngrantedAccess], None] | None = None
) -> Guard:
    """Checks every call of every client ``session`` creates (now or later) against ``grants``.

    ``session`` is anything with botocore's ``register(event_name, handler)``: a botocore session, or the
    kernel's ``shop_kernel.aws`` (its clients' session, made later). ``on_refusal`` is told of each refusal
    before it is raised (the local stack logs it)."""
    guard = Guard(grants, on_refusal)
    session.register("before-parameter-build", guard)
    return guard
