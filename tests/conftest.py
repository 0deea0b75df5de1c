"""Shared fixtures: AWS in moto, tables from the resource specs, API Gateway REST proxy events.

Tables are created from ``infra.resources`` so tests use exactly the keys the cloud has. Events are
built from the sample under ``tests/events/catalog`` so they keep the shape API Gateway sends.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

EVENTS = Path(__file__).parent / "events"
REGION = "eu-west-1"
MERCHANDISER_SUB = "7d3f2a10-1c2b-4e5f-9a8b-0c1d2e3f4a5b"


def table_definition(spec: Any, name: str) -> dict[str, Any]:
    """``CreateTable`` arguments for an ``infra.resources.TableSpec``."""

    def keys(partition: str, sort: str | None) -> list[dict[str, str]]:
        schema = [{"AttributeName": partition, "KeyType": "HASH"}]
        return schema + ([{"AttributeName": sort, "KeyType": "RANGE"}] if sort else [])

    names = [spec.partition_key, spec.sort_key] + [
        n for i in spec.indexes for n in (i.partition_key, i.sort_key)
    ]
    definition: dict[str, Any] = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": n, "AttributeType": "S"} for n in dict.fromkeys(names) if n
        ],
        "KeySchema": keys(spec.partition_key, spec.sort_key),
    }
    if spec.indexes:
        definition["GlobalSecondaryIndexes"] = [
            {
                "IndexName": i.name,
                "KeySchema": keys(i.partition_key, i.sort_key),
                "Projection": {"ProjectionType": i.projection},
            }
            for i in spec.indexes
        ]
    if spec.stream:
        definition["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": spec.stream}
    return definition


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and no endpoint override, so nothing can reach a real account."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "shop",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


class _SnapshotOncePerTransaction:
    """moto's TransactWriteItems deep-copies the whole table once per item for its rollback snapshot.

    Copying it once per transaction keeps the same rollback semantics (one transaction never touches
    an item twice) and turns bulk imports from quadratic-times-items into merely quadratic.
    """

    def __init__(self) -> None:
        import copy
        import threading

        self._copy = copy
        self._local = threading.local()

    def deepcopy(self, obj: Any, memo: Any = None) -> Any:
        cache = getattr(self._local, "cache", None)
        if cache is None:
            return self._copy.deepcopy(obj, memo)
        if id(obj) not in cache:
            cache[id(obj)] = self._copy.deepcopy(obj, memo)
        return cache[id(obj)]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._copy, name)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import moto.dynamodb.models as models

        original = models.DynamoDBBackend.transact_write_items
        local = self._local

        def transact_write_items(backend: Any, transact_items: Any) -> Any:
            local.cache = {}
            try:
                return original(backend, transact_items)
            finally:
                local.cache = None

        monkeypatch.setattr(models, "copy", self)
        monkeypatch.setattr(models.DynamoDBBackend, "transact_write_items", transact_write_items)


@pytest.fixture
def fast_moto_transactions(monkeypatch: pytest.MonkeyPatch) -> None:
    _SnapshotOncePerTransaction().install(monkeypatch)


@pytest.fixture
def catalog_stack(
    aws_credentials: None, fast_moto_transactions: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SimpleNamespace]:
    """The catalog's table (from the spec), cursor secret and event bus in moto; adapters reset."""
    import boto3
    from moto import mock_aws

    from catalog import adapters
    from infra.resources import table

    names = SimpleNamespace(table="shop-test-catalog", secret="shop-test-cursor-signing-key", bus="shop-test")
    monkeypatch.setenv("CATALOG_TABLE_NAME", names.table)
    monkeypatch.setenv("CURSOR_SIGNING_KEY_SECRET_NAME", names.secret)
    monkeypatch.setenv("EVENT_BUS_NAME", names.bus)
    monkeypatch.setenv("STAGE", "test")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "catalog")
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        dynamodb.create_table(**table_definition(table("catalog"), names.table))
        boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name=names.secret, SecretString="test-signing-key-0123456789abcdef"
        )
        boto3.client("events", region_name=REGION).create_event_bus(Name=names.bus)
        adapters.reset()
        yield SimpleNamespace(**vars(names), dynamodb=dynamodb)
        adapters.reset()


def _claims(groups: str, sub: str) -> dict[str, str]:
    return {
        "sub": sub,
        "cognito:username": sub,
        "cognito:groups": groups,
        "email": f"{sub[:8]}@example.com",
        "token_use": "id",
    }


def build_api_event(
    method: str,
    path: str,
    body: Any = None,
    *,
    query: dict[str, str | list[str]] | None = None,
    headers: dict[str, str] | None = None,
    groups: str | None = "merchandisers",
    sub: str = MERCHANDISER_SUB,
) -> dict[str, Any]:
    """An API Gateway REST proxy event for ``path``; admin paths carry Cognito claims unless ``groups=None``."""
    template = json.loads((EVENTS / "catalog" / "api_public_get_product.json").read_text())
    event = copy.deepcopy(template)
    admin = path.startswith("/admin/")
    prefix = "admin/catalog" if admin else "catalog"
    all_headers = {**event["headers"], **(headers or {})}
    if body is not None and not isinstance(body, str):
        body = json.dumps(body)
        all_headers.setdefault("Content-Type", "application/json")
    multi_query = {k: v if isinstance(v, list) else [v] for k, v in (query or {}).items()}
    event.update(
        resource=f"/{prefix}/{{proxy+}}",
        path=path,
        httpMethod=method,
        headers=all_headers,
        multiValueHeaders={k: [v] for k, v in all_headers.items()},
        queryStringParameters={k: v[-1] for k, v in multi_query.items()} or None,
        multiValueQueryStringParameters=multi_query or None,
        pathParameters={"proxy": path.removeprefix(f"/{prefix}/")},
        body=body,
    )
    context = event["requestContext"]
    context.update(resourcePath=event["resource"], httpMethod=method, path=f"/dev{path}")
    if admin and groups is not None:
        context["authorizer"] = {"claims": _claims(groups, sub)}
    return event


@pytest.fixture
def api_event() -> Callable[..., dict[str, Any]]:
    return build_api_event


class LambdaContext:
    function_name = "test-function"
    memory_limit_in_mb = 512
    invoked_function_arn = f"arn:aws:lambda:{REGION}:123456789012:function:test-function"
    aws_request_id = "00000000-0000-0000-0000-000000000000"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext()
