"""The Lambda runtime stand-in: loads a FunctionSpec's handler and invokes it with a Lambda-like context.

All functions share the runner's process. Their environment variables are merged into ``os.environ``
(table and secret variable names differ per resource, so they do not collide); the few that differ per
function (``POWERTOOLS_SERVICE_NAME``) are set while that function's handler module is imported, which
is when Powertools reads them.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from infra.local import ACCOUNT_ID, REGION, ensure_import_paths
from infra.local.provision import function_environment
from infra.resources import FunctionSpec, physical_name

log = logging.getLogger("infra.local.functions")
_import_lock = threading.Lock()

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class LambdaContext:
    """The attributes of the Python runtime's context object that Powertools and handlers read."""

    function_name: str
    memory_limit_in_mb: int
    timeout_s: int
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    identity: Any = None
    client_context: Any = None
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_s

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"{time.strftime('%Y/%m/%d')}/[$LATEST]{self.aws_request_id.replace('-', '')}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def import_handler(dotted: str) -> Handler:
    """``catalog.handlers.api.handler`` -> the callable (modules resolve from ``functions/``)."""
    ensure_import_paths()
    module_name, _, attribute = dotted.rpartition(".")
    module = importlib.import_module(module_name)
    handler = getattr(module, attribute)
    if not callable(handler):
        raise TypeError(f"{dotted} is not callable")
    return handler  # type: ignore[no-any-return]


def apply_environment(stage: str, specs: Iterable[FunctionSpec]) -> dict[str, str]:
    """Merge every function's environment into ``os.environ``; returns what was set."""
    merged: dict[str, str] = {}
    for spec in specs:
        merged.update(function_environment(stage, spec))
    os.environ.update(merged)
    return merged


class LocalFunction:
    """One deployed function: its spec, its loaded handler and how to invoke it."""

    def __init__(self, stage: str, spec: FunctionSpec, handler: Handler | None = None) -> None:
        self.stage = stage
        self.spec = spec
        self.physical_name = physical_name(stage, spec.name)
        self._handler = handler or self._load()
        # One execution environment: Lambda never runs two invocations in it at once, and handlers
        # rely on that (Powertools keeps the current event on the resolver).
        self._busy = threading.Lock()

    def _load(self) -> Handler:
        own = function_environment(self.stage, self.spec)
        with _import_lock:
            previous = {name: os.environ.get(name) for name in own}
            os.environ.update(own)
            try:
                return import_handler(self.spec.handler)
            finally:
                for name, value in previous.items():
                    if value is None:
                        os.environ.pop(name, None)
                    else:
                        os.environ[name] = value

    @property
    def handler(self) -> Handler:
        return self._handler

    def new_context(self) -> LambdaContext:
        return LambdaContext(
            function_name=self.physical_name,
            memory_limit_in_mb=self.spec.memory_mb,
            timeout_s=self.spec.timeout_s,
        )

    def invoke(self, event: dict[str, Any]) -> Any:
        with self._busy:
            return self._invoke(event)

    def _invoke(self, event: dict[str, Any]) -> Any:
        context = self.new_context()
        started = time.monotonic()
        try:
            return self._handler(event, context)
        finally:
            elapsed = time.monotonic() - started
            if elapsed > self.spec.timeout_s:
                # Lambda would have killed it; locally we only say so, the answer still goes back.
                log.warning(
                    "%s ran %.1fs, over its %ss timeout", self.spec.name, elapsed, self.spec.timeout_s
                )
