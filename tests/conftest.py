"""Shared fixtures: AWS in moto, tables from the resource specs, API Gateway REST proxy events.

Tables are created from ``infra.resources`` so tests use exactly the keys the cloud has. Events are
built from the sample under ``tests/events/catalog`` so they keep the shape API Gateway sends.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from infra.local import ENDPOINT_VARIABLES

# Handler modules are imported at collection, before any fixture runs: their Metrics must already know
# their namespace, as in the cloud (the function construct sets it).
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "shop")

EVENTS = Path(__file__).parent / "events"
REGION = "eu-west-1"
MERCHANDISER_SUB = "7d3f2a10-1c2b-4e5f-9a8b-0c1d2e3f4a5b"
# The stage in moto, provisioned once per worker (fixtures ``moto_stage``, ``executing_moto_stage``).
pytest_plugins = ("tests.stage",)


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
    for variable in ENDPOINT_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def fast_moto_transactions() -> Iterator[None]:
    """moto copies the whole table per transaction item; the local stack's patch copies only what changes."""
    from infra.local import moto_patches

    moto_patches.install()
    yield
    moto_patches.uninstall()


@pytest.fixture
def catalog_stack(moto_stage: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> Iterator[SimpleNamespace]:
    """Every resource of the stage provisioned in moto from the specs, as the local stack does (provisioned
    once per worker and clean for each test: ``tests.stage``).

    The catalog functions' environment is the one ``ServiceFunction`` gives them; the catalog's wiring is a
    fresh ``CatalogContainer`` and the kernel's clients are forgotten, so nothing built for another test's moto
    is used.
    """
    from catalog import wiring
    from catalog.wiring import CatalogContainer
    from infra.local.provision import function_environment
    from infra.resources import function, physical_name
    from shop_kernel import aws

    stage = moto_stage.stage
    names = SimpleNamespace(
        table=physical_name(stage, "catalog"),
        secret=physical_name(stage, "cursor-signing-key"),
        bus=f"shop-{stage}",
    )
    for spec in ("catalog-api", "catalog-events"):
        for name, value in function_environment(stage, function(spec)).items():
            monkeypatch.setenv(name, value)
    aws.reset_clients()
    monkeypatch.setattr(wiring, "container", CatalogContainer())
    yield SimpleNamespace(**vars(names), dynamodb=moto_stage.dynamodb)
    aws.reset_clients()


@pytest.fixture
def functions() -> Iterator[Any]:
    """Runs handlers as their functions: only their spec's environment and grants (``tests.harness``)."""
    from tests.harness import Functions, forget_function_state

    yield Functions("test")
    forget_function_state()


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


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """``-n N`` alone distributes with ``--dist load``, which ignores ``xdist_group``: a test module that
    shares one local stack or one CDK synth would then start it on every worker. Grouped tests always
    stay together; everything else is still distributed test by test."""
    if getattr(config.option, "numprocesses", None) and getattr(config.option, "dist", None) == "load":
        config.option.dist = "loadgroup"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keeps ``--dist loadgroup`` grouping ``xdist_group`` tests on pytest 9.2.

    pytest-xdist 3.8 groups by appending ``@<group>`` to each item's node id on the worker
    (``item._nodeid``), but pytest 9.2 keeps the id in a structured ``item._id`` and ignores the old
    field, so every group is spread over all workers (pytest-dev/pytest-xdist#1386, open): one local
    stack or CDK synth per worker instead of one. Until xdist transfers groups by itself, the suffix is
    put where pytest 9.2 reads it; with an xdist that already did so, this changes nothing. Workers parse
    the command line again (``-n N`` alone means ``load`` there), so the suffix is added on every worker;
    the controller's scheduler, ``loadgroup`` since ``pytest_configure``, reads it.
    """
    if not hasattr(config, "workerinput"):
        return  # only xdist workers report node ids to the scheduler
    try:
        from _pytest.nodeid import NodeId
    except ImportError:  # pytest before 9.2: xdist's own suffix works
        return
    for item in items:
        marks = item.iter_markers("xdist_group")
        groups = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in marks})
        suffix = "@" + "_".join(groups)
        if groups and not item.nodeid.endswith(suffix):
            item._id = NodeId.parse(item.nodeid + suffix)  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _fresh_metrics() -> None:
    """Each test starts with no metric values left by another in this worker (Powertools flushes by itself
    at 100 values, which would make a test's outcome depend on how many ran before it)."""
    from shop_kernel.observability import metrics

    metrics.clear_metrics()
