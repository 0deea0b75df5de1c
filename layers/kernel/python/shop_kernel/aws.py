"""AWS clients for every context, created once per process and reused by warm invocations.

Clients come from botocore directly, not boto3: ``import boto3`` also imports s3transfer and the
resource layer, which costs a Lambda cold start more than everything else our API functions import
(measured in bench/README.md). botocore honours ``AWS_ENDPOINT_URL`` (the local stack points it at
moto) and the standard credential chain, so handler code is identical locally and in the cloud.
Tests swap clients by calling ``client.cache_clear()`` inside ``mock_aws``. ``register`` adds a botocore
event handler to the session every client comes from (the local stack's grants guard uses it).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from typing import Any

_session: Any = None
# Event handlers every session of this process gets, including one made after ``reset_clients``.
_handlers: list[tuple[str, Callable[..., Any]]] = []


def _botocore_session() -> Any:
    global _session
    if _session is None:
        import botocore.session

        _session = botocore.session.get_session()
        for event_name, handler in _handlers:
            _session.register(event_name, handler)
    return _session


def register(event_name: str, handler: Callable[..., Any]) -> None:
    """As ``botocore.session.Session.register``, for every client this module creates (now and later).

    The session itself is still made lazily, at the first client: registering costs a cold start nothing.
    """
    _handlers.append((event_name, handler))
    if _session is not None:
        _session.register(event_name, handler)


@cache
def client(service_name: str) -> Any:
    """A low-level client with standard retries (3 attempts with backoff) and short timeouts."""
    from botocore.config import Config

    config = Config(
        retries={"mode": "standard", "max_attempts": 3},
        connect_timeout=2,
        read_timeout=5,
        tcp_keepalive=True,
    )
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-west-1"
    return _botocore_session().create_client(service_name, region_name=region, config=config)


def reset_clients() -> None:
    """Forget cached clients and session (tests: call inside ``mock_aws`` before using a handler)."""
    global _session
    _session = None
    client.cache_clear()
