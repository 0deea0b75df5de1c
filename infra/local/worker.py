"""One function's execution environment: the process the local stack runs a Lambda handler in.

The runner starts a worker per function (``functions.WorkerProcess``); each is forked from one
multiprocessing fork server that has imported only third-party libraries (Powertools, pydantic,
botocore), so a worker's cold start costs its own code, not the whole interpreter again. Before it
imports its handler, the worker replaces the environment it inherited with exactly the one it was given
(its spec's variables and what the Lambda runtime provides), so a function that reads a variable or a
resource its spec does not declare fails here as it would in the cloud. It also installs the grants guard
(``infra.local.grants``) on the kernel's botocore session before the handler loads, so a call to a
table, index, queue, bus, state machine or secret the spec does not grant is refused with
``AccessDeniedException``, as the function's IAM role would refuse it, and logged as an ERROR line
naming the function, the action and the resource.

Protocol over one duplex pipe (multiprocessing's length-prefixed frames), JSON both ways, as Lambda
serialises events and results: the worker first sends ``{"ready": true}`` (or ``{"ready": false,
"error": {...}}`` when the handler cannot be imported, and exits); then for each request
``{"event": ...}`` it answers ``{"result": ...}`` or ``{"error": {"errorType", "errorMessage",
"stackTrace"}}``, Lambda's error shape. ``{"openapi": true}`` asks for the handler module's OpenAPI
document (the gateway's fallback when a function does not serve ``/<prefix>/openapi.json``). The
worker's stdout and stderr are a second pipe the runner reads line by line, as CloudWatch Logs would.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import time
import traceback
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from infra.local import ACCOUNT_ID, REGION, ensure_import_paths
from infra.local.grants import Grants, UngrantedAccess, install
from infra.local.request_stats import caller_tag

Handler = Callable[[dict[str, Any], Any], Any]

# What the fork server imports once for every worker: libraries only, never a function's own code or the
# kernel (a module that read the environment at import would read the fork server's, not the function's).
PRELOAD = (
    "infra.local.worker",
    "pydantic",
    "botocore.session",
    "botocore.client",
    "aws_lambda_powertools",
    "aws_lambda_powertools.logging",
    "aws_lambda_powertools.metrics",
    "aws_lambda_powertools.tracing",
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.event_handler.openapi.models",
    "aws_lambda_powertools.event_handler.openapi.params",
    "aws_lambda_powertools.event_handler.openapi.swagger_ui",
    "aws_lambda_powertools.event_handler.middlewares.openapi_validation",
    "aws_lambda_powertools.logging.correlation_paths",
    "aws_lambda_powertools.utilities.batch",
    "aws_lambda_powertools.utilities.idempotency",
    "aws_lambda_powertools.utilities.typing",
    "aws_xray_sdk.core",
    "ulid",
)


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


def module_openapi(dotted: str) -> dict[str, Any] | None:
    """The OpenAPI document of the resolver ``app`` beside handler ``dotted``, if the module has one."""
    module = importlib.import_module(dotted.rpartition(".")[0])
    app = getattr(module, "app", None)
    if app is None or not hasattr(app, "get_openapi_json_schema"):
        return None
    from shop_kernel.openapi import finalize

    # As the function serves it (the common problem answers added): the resolver's raw document documents
    # Powertools' own validation error instead.
    document: dict[str, Any] = finalize(json.loads(app.get_openapi_json_schema()))
    return document


def error_payload(exc: BaseException) -> dict[str, Any]:
    """Lambda's answer for an unhandled exception (a refusal of the grants guard is the ``ClientError``
    botocore raises for IAM's ``AccessDeniedException``)."""
    return {
        "errorType": "ClientError" if isinstance(exc, UngrantedAccess) else type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": traceback.format_exception(exc),
    }


@dataclass(frozen=True)
class WorkerConfig:
    """What a worker is told when it starts: plain data, pickled across the fork server."""

    function_name: str
    handler: str
    memory_mb: int
    timeout_s: int
    environment: dict[str, str]
    grants: Grants | None = None  # None: every call goes through (no IAM to stand in for)
    # The process's name in ``ps``/``top`` (Linux keeps 15 bytes): the function's spec name.
    title: str = ""
    # Name the function on each AWS request (``infra.local.request_stats``: moto counts calls per caller).
    tag_requests: bool = False


def serve(config: WorkerConfig, requests: Connection, output: Connection) -> None:
    """The worker's main: take its environment and its output pipe, import the handler, then invoke."""
    # Ctrl-C reaches the whole process group; the runner stops its workers itself, in order.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.dup2(output.fileno(), 1)
    os.dup2(output.fileno(), 2)
    output.close()
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    _quiet_warnings()
    _set_process_title(config.title)
    os.environ.clear()
    os.environ.update(config.environment)
    try:
        if config.grants is not None:
            guard_kernel_clients(config.grants)
        if config.tag_requests:
            _tag_kernel_clients(config.title or config.function_name)
        handler = import_handler(config.handler)
    except BaseException as exc:
        requests.send_bytes(json.dumps({"ready": False, "error": error_payload(exc)}).encode())
        return
    requests.send_bytes(b'{"ready": true}')
    while True:
        try:
            request = json.loads(requests.recv_bytes())
        except EOFError:
            return  # the runner closed the pipe: this environment is shut down
        requests.send_bytes(_answer(config, handler, request))


def guard_kernel_clients(grants: Grants) -> None:
    """Every client the kernel makes in this process checks its calls against ``grants`` (IAM's stand-in).

    Registered on ``shop_kernel.aws`` before the handler imports anything, so its session, made at the
    first client, carries the guard; the kernel is imported here, after the environment is the function's.
    """
    ensure_import_paths()
    from shop_kernel import aws

    install(aws, grants, on_refusal=_log_refusal)


def _tag_kernel_clients(caller: str) -> None:
    ensure_import_paths()
    from shop_kernel import aws

    aws.register("before-send", caller_tag(caller))


def _set_process_title(title: str) -> None:
    """``ps -o comm`` and ``top`` show the function, not ``python``: which function burns the CPU."""
    if not title or not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.prctl(15, title.encode()[:15], 0, 0, 0)  # PR_SET_NAME
    except (OSError, AttributeError):
        pass


def _log_refusal(refusal: UngrantedAccess) -> None:
    """One ERROR line, as the function's logger writes them (the console shows it, the JSON log keeps it)."""
    record = {
        "level": "ERROR",
        "location": "infra.local.grants",
        "message": f"AccessDeniedException: {refusal.response['Error']['Message']}",
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "service": os.environ.get("POWERTOOLS_SERVICE_NAME", ""),
        "function_name": refusal.function,
        "action": refusal.action,
        "resource": refusal.resource,
    }
    print(json.dumps(record), file=sys.stderr, flush=True)


def _quiet_warnings() -> None:
    # As the runner's console does: most reads publish no business metric on purpose, and any other
    # warning is one line (the console shows a function's non-JSON lines as they come).
    warnings.filterwarnings("ignore", "No application metrics to publish", UserWarning)
    warnings.formatwarning = lambda message, category, filename, lineno, line=None: (
        f"{category.__name__}: {message} ({filename}:{lineno})\n"
    )


def _answer(config: WorkerConfig, handler: Handler, request: dict[str, Any]) -> bytes:
    try:
        if request.get("openapi"):
            answer: dict[str, Any] = {"result": module_openapi(config.handler)}
        else:
            context = LambdaContext(config.function_name, config.memory_mb, config.timeout_s)
            answer = {"result": handler(request["event"], context)}
    except Exception as exc:
        # The runner raises it to the caller (gateway, poller), which logs it with this stack trace.
        answer = {"error": error_payload(exc)}
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    try:
        return json.dumps(answer).encode()
    except (TypeError, ValueError) as exc:
        # What the runtime answers when a handler returns something JSON cannot carry.
        marshal = {"errorType": "Runtime.MarshalError", "errorMessage": str(exc), "stackTrace": []}
        return json.dumps({"error": marshal}).encode()
