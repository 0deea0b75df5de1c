"""The stage in moto, provisioned once per worker and given back to each test as provisioning left it.

Provisioning every resource of stage ``test`` from the specs (11 tables, 30 queues, 11 rules, 6 secrets,
the bucket, the workflow, the user pool) costs one to four seconds; the integration tests of cart,
checkout, pricing, loyalty, customers and carriers and the end-to-end workflow tests used to do it for
every test. ``SharedStage`` provisions it once and keeps it while consecutive tests of a worker use it
(fixture ``moto_stage``); before each test it puts back what the previous test changed:

- a table that holds items or stream records is deleted and created again from its spec (a new table
  has a new, empty stream: readers from ``TRIM_HORIZON`` see only this test's writes); a table a test
  created is deleted;
- queues holding messages (visible, in flight or delayed) are purged;
- the bucket's objects are deleted; secrets a test overwrote get their provisioned value back;
- the user pool's users and the clients and pools a test added are deleted;
- running workflow executions are stopped, a workflow that ran is created again (no executions listed)
  and state machines a test created are deleted.

Which tables and queues changed is read from moto's in-memory models (a test's every write goes through
them, whichever client made it); everything is put back through the AWS API, as provisioning made it.

A test that needs moto without the stage (its own ``mock_aws``) closes it first (``pytest_runtest_setup``):
moto's backends are process-wide, and a nested ``mock_aws`` neither resets nor is reset. The stage runs
workflows (moto's Step Functions interpreter) only when asked (``executing=True``): the interpreter's
state machines live in another moto backend than the plain ones, so the two kinds are two stages, and a
test of the other kind provisions again.

Nothing here changes what a function may do: handlers still run through ``tests.harness`` with only
their spec's environment and grants.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest

from infra.local import ACCOUNT_ID, REGION

STAGE = "test"
STAGE_FIXTURE = "moto_stage"
# moto's credentials, set by ``mock_aws`` while it runs (and put back by the test's own monkeypatch).
_MOTO_CREDENTIALS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")


@contextmanager
def _environ(**variables: str) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class SharedStage:
    """Stage ``test`` in moto, open while tests of this worker use it (see the module docstring)."""

    def __init__(self) -> None:
        self._mock: Any = None
        self.executing: bool | None = None
        self.provisioned: dict[str, Any] = {}
        self.provisions = 0  # how many times this worker provisioned (the report at the end says)
        self.restores = 0
        self.failed_restores: list[str] = []  # provisioned again instead (the report at the end says why)
        self._secrets: dict[str, tuple[str, str]] = {}  # name -> (version id, value)
        self._clients: dict[str, Any] = {}

    @property
    def is_open(self) -> bool:
        return self._mock is not None

    def open(self, executing: bool) -> dict[str, Any]:
        """The provisioned stage's answer (``infra.local.provision.provision``), clean for a new test."""
        if self.is_open and self.executing == executing:
            try:
                self._restore()
                self.restores += 1
                return self.provisioned
            except Exception as exc:  # whatever a test left behind, a fresh stage is the answer
                self.failed_restores.append(repr(exc))
                self.close()
        self.close()
        self._provision(executing)
        return self.provisioned

    def close(self) -> None:
        if self._mock is None:
            return
        # The interpreter's threads of waiting executions would outlive the reset below; moto forgets them
        # all at once anyway, so a failure to stop one is no reason to keep the stage open.
        with contextlib.suppress(Exception):
            self._stop_executions()
        mock, self._mock = self._mock, None
        self.executing = None
        self._clients = {}
        # moto puts back the credentials it found when it started (deleting those it did not find):
        # the variables are whatever the next test's environment holds now, so they are kept as they are.
        saved = {name: os.environ.get(name) for name in _MOTO_CREDENTIALS}
        for name in _MOTO_CREDENTIALS:
            os.environ.setdefault(name, "testing")
        try:
            mock.stop()
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    # --- provisioning ---------------------------------------------------------------------------

    def _provision(self, executing: bool) -> None:
        from moto import mock_aws

        from infra.local.provision import provision

        config: Any = {"stepfunctions": {"execute_state_machine": executing}}
        mock = mock_aws(config=config)
        mock.start()
        self._mock, self.executing = mock, executing
        with _environ(**self._credentials()):
            self.provisioned = provision(STAGE)
            self._secrets = self._secret_values()
        self.provisions += 1

    @staticmethod
    def _credentials() -> dict[str, str]:
        return {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}

    def _client(self, service: str) -> Any:
        """One client per service while the stage is open (making one costs more than a restore's calls)."""
        import boto3

        if service not in self._clients:
            self._clients[service] = boto3.client(service, region_name=REGION)
        return self._clients[service]

    def _secret_values(self) -> dict[str, tuple[str, str]]:
        client = self._client("secretsmanager")
        values = {}
        for secret in self.provisioned["secrets"].values():
            answer = client.get_secret_value(SecretId=secret["name"])
            values[secret["name"]] = (answer["VersionId"], answer["SecretString"])
        return values

    # --- giving it back as provisioned --------------------------------------------------------------

    def _restore(self) -> None:
        with _environ(**self._credentials()):
            self._stop_executions()
            self._restore_tables()
            self._purge_queues()
            self._empty_buckets()
            self._restore_secrets()
            self._restore_user_pool()
            self._restore_state_machines()

    def _restore_tables(self) -> None:
        from moto.dynamodb.models import dynamodb_backends

        from infra.local.provision import _ensure_table
        from infra.resources import TABLES

        backend = dynamodb_backends[ACCOUNT_ID][REGION]
        specs = {self.provisioned["tables"][spec.name]["name"]: spec for spec in TABLES}
        dynamodb = self._client("dynamodb")
        for name, table in list(backend.tables.items()):
            if name not in specs:
                dynamodb.delete_table(TableName=name)
                continue
            shard = table.stream_shard
            if len(table) or (shard is not None and shard.items):
                dynamodb.delete_table(TableName=name)
                answer = _ensure_table(dynamodb, STAGE, specs[name])
                self.provisioned["tables"][specs[name].name] = answer
        for name, spec in specs.items():
            if name not in backend.tables:  # a test deleted it
                self.provisioned["tables"][spec.name] = _ensure_table(dynamodb, STAGE, spec)

    def _purge_queues(self) -> None:
        from moto.sqs.models import sqs_backends

        backend = sqs_backends[ACCOUNT_ID][REGION]
        sqs = self._client("sqs")
        for queue in list(backend.queues.values()):
            held = (
                queue.approximate_number_of_messages
                + queue.approximate_number_of_messages_not_visible
                + queue.approximate_number_of_messages_delayed
            )
            if held:
                # AWS allows one purge a minute per queue; moto enforces it unless told otherwise.
                url = sqs.get_queue_url(QueueName=queue.name)["QueueUrl"]
                with _environ(MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR="false"):
                    sqs.purge_queue(QueueUrl=url)

    def _empty_buckets(self) -> None:
        s3 = self._client("s3")
        for bucket in self.provisioned["buckets"].values():
            listed = s3.list_object_versions(Bucket=bucket["name"])
            for version in listed.get("Versions", []) + listed.get("DeleteMarkers", []):
                s3.delete_object(Bucket=bucket["name"], Key=version["Key"], VersionId=version["VersionId"])

    def _restore_secrets(self) -> None:
        client = self._client("secretsmanager")
        current = {
            s["Name"]: s.get("SecretVersionsToStages", {}) for s in client.list_secrets()["SecretList"]
        }
        for name, (version, value) in self._secrets.items():
            if "AWSCURRENT" not in current.get(name, {}).get(version, []):
                answer = client.put_secret_value(SecretId=name, SecretString=value)
                self._secrets[name] = (answer["VersionId"], value)

    def _restore_user_pool(self) -> None:
        pool = self.provisioned["user_pool"]
        cognito = self._client("cognito-idp")
        for listed in cognito.list_user_pools(MaxResults=60)["UserPools"]:
            if listed["Id"] != pool["id"]:
                cognito.delete_user_pool(UserPoolId=listed["Id"])
        for user in cognito.list_users(UserPoolId=pool["id"])["Users"]:
            cognito.admin_delete_user(UserPoolId=pool["id"], Username=user["Username"])
        clients = cognito.list_user_pool_clients(UserPoolId=pool["id"], MaxResults=60)["UserPoolClients"]
        for client in clients:
            if client["ClientId"] != pool["client_id"]:
                cognito.delete_user_pool_client(UserPoolId=pool["id"], ClientId=client["ClientId"])

    def _stop_executions(self) -> None:
        """Executions a test left waiting (a failed test, a test that did not play the end) stop: none
        goes on working in the next test's stage."""
        if not self.provisioned or self._mock is None:
            return
        with _environ(**self._credentials()):
            stepfunctions = self._client("stepfunctions")
            for machine in stepfunctions.list_state_machines()["stateMachines"]:
                running = stepfunctions.list_executions(
                    stateMachineArn=machine["stateMachineArn"], statusFilter="RUNNING"
                )["executions"]
                for execution in running:
                    stepfunctions.stop_execution(executionArn=execution["executionArn"])

    def _restore_state_machines(self) -> None:
        """State machines a test created are deleted; a workflow that ran is created again, so that its
        list of executions is empty (moto keeps them on the state machine; an execution's name is the order's
        id, and tests count them)."""
        from infra.local.provision import _ensure_state_machine
        from infra.resources import WORKFLOWS

        stepfunctions = self._client("stepfunctions")
        provisioned = {workflow["arn"] for workflow in self.provisioned["workflows"].values()}
        for machine in stepfunctions.list_state_machines()["stateMachines"]:
            if machine["stateMachineArn"] not in provisioned:
                stepfunctions.delete_state_machine(stateMachineArn=machine["stateMachineArn"])
        for spec in WORKFLOWS:
            arn = self.provisioned["workflows"][spec.name]["arn"]
            if stepfunctions.list_executions(stateMachineArn=arn, maxResults=1)["executions"]:
                stepfunctions.delete_state_machine(stateMachineArn=arn)
                self.provisioned["workflows"][spec.name] = _ensure_state_machine(stepfunctions, STAGE, spec)


_STAGE = SharedStage()


def open_stage(executing: bool = False) -> SimpleNamespace:
    """Stage ``test`` as provisioned, clean, with its physical names and a DynamoDB client."""
    import boto3

    answer = _STAGE.open(executing)
    return SimpleNamespace(
        stage=STAGE,
        provisioned=answer,
        dynamodb=boto3.client("dynamodb", region_name=REGION),
    )


@pytest.fixture
def moto_stage(aws_credentials: None, fast_moto_transactions: None) -> SimpleNamespace:
    """Stage ``test`` in moto as provisioning made it, Step Functions executions off (see the module
    docstring); ``provisioned`` is ``provision()``'s answer."""
    return open_stage(executing=False)


@pytest.fixture
def executing_moto_stage(aws_credentials: None, fast_moto_transactions: None) -> Iterator[SimpleNamespace]:
    """``moto_stage`` with moto's Step Functions interpreter running the workflows' executions, a Task
    that runs a child workflow included (``infra.local.child_workflows``, as the local stack's moto)."""
    from infra.local import child_workflows

    child_workflows.install()
    yield open_stage(executing=True)
    child_workflows.uninstall()


_STAGE_FIXTURES = (STAGE_FIXTURE, "executing_moto_stage")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Closes the stage before a test that does not use it: that test may start moto itself."""
    if _STAGE.is_open and not any(name in getattr(item, "fixturenames", ()) for name in _STAGE_FIXTURES):
        _STAGE.close()


def pytest_sessionfinish(session: pytest.Session) -> None:
    _STAGE.close()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _STAGE.provisions:
        terminalreporter.write_line(
            f"moto stage: provisioned {_STAGE.provisions} time(s), restored {_STAGE.restores} time(s)"
        )
    for failure in _STAGE.failed_restores:
        terminalreporter.write_line(f"moto stage: provisioned again after a failed restore: {failure}")


__all__ = ["SharedStage", "open_stage"]
