"""The local stack for benchmarks: moto server, resources from the specs, handlers, seeded demo catalog.

Benchmarks drive the same handlers the local API serves, with real-shaped API Gateway proxy events.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from infra.local.apigw import HttpRequest, build_proxy_event
from infra.local.moto_server import free_port
from infra.local.runner import LocalStack, Options
from infra.local.tokens import issue_token
from infra.resources import API_ROUTES

STAGE = "bench"


@contextmanager
def running_stack(*, products: int = 240) -> Iterator[LocalStack]:
    stack = LocalStack(
        Options(stage=STAGE, api_port=free_port(), moto_port=free_port(), seed=False, print_event_log=False)
    )
    stack.start()
    _forget_cached_clients()
    try:
        from infra.local.seed_catalog import seed

        assert stack.api is not None
        seed(stack.api.url, issue_token("merchandisers"), products=products)
        yield stack
    finally:
        stack.stop()


def _forget_cached_clients() -> None:
    """Benchmarks start several stacks in one process: clients cached for the last moto port must go, and
    each context's functions start with a new container (as new execution environments would)."""
    import importlib

    from infra.resources import CONTEXTS
    from shop_kernel.aws import reset_clients

    reset_clients()
    for context in CONTEXTS:
        try:
            wiring: Any = importlib.import_module(f"{context}.wiring")
        except ModuleNotFoundError:
            continue
        wiring.container = wiring.container.fresh()


def proxy_event(
    method: str,
    path: str,
    query: str = "",
    body: Any = None,
    role: str | None = None,
    locale: str = "en",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The API Gateway event the cloud would send for this request (claims when ``role`` is given).

    ``body`` is sent as JSON, or as it is when it is a ``str`` (a payload whose exact bytes are signed).
    """
    route = next(
        r
        for r in sorted(API_ROUTES, key=lambda r: -len(r.prefix))
        if path == f"/{r.prefix}" or path.startswith(f"/{r.prefix}/")
    )
    sent: list[tuple[str, str]] = [("Accept-Language", locale), ("Accept", "application/json")]
    sent += list((headers or {}).items())
    raw = b""
    if body is not None:
        raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        sent.append(("Content-Type", "application/json"))
    claims = None
    if role is not None:
        claims = {
            "sub": f"bench-{role}",
            "cognito:username": f"bench-{role}",
            "email": f"{role}@bench.example",
            "cognito:groups": role,
            "token_use": "id",
        }
    request = HttpRequest(method=method, path=path, query=query, headers=tuple(sent), body=raw)
    return build_proxy_event(request, prefix=route.prefix, stage=STAGE, claims=claims)
