"""Workflow ``lambda:invoke`` tasks run by the local stack's functions, not by moto's Docker Lambda.

moto's Step Functions interpreter executes a Task whose ``Resource`` is ``arn:aws:states:::lambda:invoke``
(or a plain function ARN) by calling Lambda's ``Invoke``, and moto's Lambda runs code only in Docker. This
module replaces the interpreter's one call site (``lambda_eval_utils._invoke_lambda_function``) with an
``Invoker``: the function's name (as the ``FunctionName`` parameter gave it: an ARN, a partial ARN or a
name, a ``:qualifier`` ignored) and its JSON payload in, its JSON answer out. Two invokers:

- ``HarnessInvoker`` (tests, moto in-process): the handler runs as its function in the test's process
  (``tests.harness.Functions``: only its spec's environment and grants);
- ``HttpInvoker`` (the local stack, moto in its own process): Lambda's ``Invoke`` REST call to the
  runner's ``LambdaEndpoint``, which hands the payload to the function's own process
  (``infra.local.functions.LocalFunction``).

A handler that raises answers as Lambda does for an unhandled error: ``FunctionError: Unhandled`` and the
payload ``{"errorType": <exception class>, "errorMessage", "stackTrace"}``, so the interpreter fails the
state with the class name as its error (``Retry``/``Catch`` on ``"CarrierUnavailable"``, or
``States.TaskFailed``, match as in the cloud). A name that is no function of the stage fails the state
with ``Lambda.ResourceNotFoundException``, as Step Functions reports Lambda's 404.
"""

from __future__ import annotations

import json
import logging
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import unquote

import requests
from botocore.exceptions import ClientError

from infra.resources import FUNCTIONS, physical_name

log = logging.getLogger("infra.local.lambda_tasks")

LAMBDA_ENDPOINT_VARIABLE = "SHOP_LOCAL_LAMBDA_ENDPOINT"  # the runner's endpoint, for moto's process
INVOKE_TIMEOUT_S = 900.0  # Lambda's own ceiling; the function's timeout is its runtime's business
_INVOCATIONS = "/2015-03-31/functions/"


class FunctionFailed(Exception):
    """A handler raised: Lambda's ``errorType`` and ``errorMessage`` (and stack) for the interpreter."""

    def __init__(self, error_type: str, message: str, stack: list[str] | None = None) -> None:
        super().__init__(f"{error_type}: {message}")
        self.error_type, self.message, self.stack = error_type, message, stack or []

    def payload(self) -> dict[str, Any]:
        return {"errorType": self.error_type, "errorMessage": self.message, "stackTrace": self.stack}


class UnknownFunction(LookupError):
    """The task names no function of this stage."""


class Invoker(Protocol):
    def __call__(self, reference: str, payload: Any) -> Any: ...


def function_name(reference: str) -> str:
    """The function's physical name from what a task's ``FunctionName`` may hold: a name, a partial ARN
    (``123456789012:function:name``) or an ARN, each perhaps with a ``:version`` or ``:alias``."""
    parts = reference.split(":")
    if "function" in parts:
        return parts[parts.index("function") + 1]
    return parts[0]


def spec_name(stage: str, reference: str) -> str:
    """The ``FunctionSpec`` name behind ``reference`` in ``stage``; ``UnknownFunction`` if none."""
    physical = function_name(reference)
    for spec in FUNCTIONS:
        if physical_name(stage, spec.name) == physical:
            return spec.name
    raise UnknownFunction(f"Function not found: {reference}")


def _failure(exc: BaseException) -> FunctionFailed:
    from infra.local.grants import UngrantedAccess

    if isinstance(exc, FunctionFailed):
        return exc
    if isinstance(exc, UngrantedAccess):  # what botocore raises for IAM's AccessDeniedException
        return FunctionFailed("ClientError", str(exc), traceback.format_exception(exc))
    error_type = getattr(exc, "error_type", None) or type(exc).__name__
    message = getattr(exc, "message", None) or str(exc)
    return FunctionFailed(str(error_type), str(message), traceback.format_exception(exc))


def _as_json(payload: Any) -> Any:
    if isinstance(payload, bytes | bytearray):
        payload = payload.decode("utf-8")
    if isinstance(payload, str):
        try:
            return json.loads(payload) if payload else {}
        except json.JSONDecodeError:
            return payload
    return {} if payload is None else payload


def invocation_response(invoker: Invoker, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """What Lambda's ``Invoke`` answers for ``parameters``, the handler run through ``invoker``."""
    reference = str(parameters.get("FunctionName", ""))
    payload = _as_json(parameters.get("Payload"))
    try:
        result = invoker(reference, payload)
    except UnknownFunction as exc:
        raise ClientError(
            {
                "Error": {"Code": "ResourceNotFoundException", "Message": str(exc)},
                "ResponseMetadata": {"HTTPStatusCode": 404, "RequestId": "local"},
            },
            "Invoke",
        ) from exc
    except Exception as exc:
        failure = _failure(exc)
        log.info("task %s failed: %s", reference, failure)
        return {"StatusCode": 200, "FunctionError": "Unhandled", "Payload": failure.payload()}
    return {"StatusCode": 200, "Payload": _as_json(result), "ExecutedVersion": "$LATEST"}


@contextmanager
def routed_to(invoker: Invoker) -> Iterator[None]:
    """Every ``lambda:invoke`` task of moto's interpreter in this process goes to ``invoker`` while the
    block runs (``install``/``uninstall`` for a process that routes for good)."""
    install(invoker)
    try:
        yield
    finally:
        uninstall()


_original: Any = None


def install(invoker: Invoker) -> None:
    global _original
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    if _original is None:
        _original = lambda_eval_utils._invoke_lambda_function

    def invoke(parameters: dict[str, Any], region: str, state_credentials: Any) -> dict[str, Any]:
        return invocation_response(invoker, parameters)

    lambda_eval_utils._invoke_lambda_function = invoke


def uninstall() -> None:
    global _original
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    if _original is not None:
        lambda_eval_utils._invoke_lambda_function = _original
        _original = None


class HarnessInvoker:
    """Runs a task's handler as its function through ``functions`` (``tests.harness.Functions``).

    Invocations are serialised with the test's own (``lock``): the harness swaps the process's
    environment for the function it runs, so the interpreter's thread and the test must take turns."""

    def __init__(self, functions: Any, lock: threading.RLock | None = None) -> None:
        self.functions = functions
        self.lock = lock or threading.RLock()
        self.calls: list[tuple[str, Any]] = []  # (function spec name, payload) of each answered call
        # Called before each invocation with (function spec name, payload): a test's fault injection
        # raises here, as a function failing in the cloud would (before or instead of its handler).
        self.before: list[Callable[[str, Any], None]] = []
        # Called after each invocation's handler answered, with (function spec name, payload, answer): a raise
        # here fails an invocation whose work was done (its response lost, a timeout after the work), as the
        # cloud may; a task that answers its own token has answered it by then.
        self.after: list[Callable[[str, Any, Any], None]] = []

    def __call__(self, reference: str, payload: Any) -> Any:
        from infra.local.worker import LambdaContext
        from infra.resources import function

        name = spec_name(self.functions.stage, reference)
        spec = function(name)
        context = LambdaContext(physical_name(self.functions.stage, name), spec.memory_mb, spec.timeout_s)
        with self.lock:
            for hook in self.before:
                hook(name, payload)
            # Through JSON both ways, as Lambda carries events and answers.
            answer = json.loads(json.dumps(self.functions.invoke(name, payload, context)))
            self.calls.append((name, payload))
            for after in self.after:
                after(name, payload, answer)
            return answer


class HttpInvoker:
    """Lambda's ``Invoke`` over HTTP to ``endpoint`` (the runner's ``LambdaEndpoint``)."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint.rstrip("/")

    def __call__(self, reference: str, payload: Any) -> Any:
        url = f"{self.endpoint}{_INVOCATIONS}{reference}/invocations"
        response = requests.post(url, data=json.dumps(payload), timeout=INVOKE_TIMEOUT_S)
        if response.status_code == 404:
            raise UnknownFunction(response.text)
        body = response.json() if response.content else None
        if response.headers.get("X-Amz-Function-Error") and isinstance(body, dict):
            raise FunctionFailed(
                str(body.get("errorType")), str(body.get("errorMessage")), body.get("stackTrace")
            )
        response.raise_for_status()
        return body


class LambdaEndpoint:
    """Lambda's ``Invoke`` API (``POST /2015-03-31/functions/<name>/invocations``) in front of the local
    stack's functions, for moto's process: 200 with the answer, ``X-Amz-Function-Error: Unhandled`` and
    Lambda's error payload when the handler raised, 404 for a name that is no function of the stage."""

    def __init__(self, stage: str, invoke: Callable[[str, Any], Any], host: str = "127.0.0.1") -> None:
        self.stage, self.invoke = stage, invoke
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                endpoint._serve(self)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="lambda-endpoint", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        path = unquote(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        payload = _as_json(request.rfile.read(length))
        if not (path.startswith(_INVOCATIONS) and path.endswith("/invocations")):
            return self._answer(request, 404, {"message": f"no such resource {path}"})
        reference = path[len(_INVOCATIONS) : -len("/invocations")]
        try:
            name = spec_name(self.stage, reference)
        except UnknownFunction as exc:
            return self._answer(request, 404, {"Type": "User", "message": str(exc)})
        try:
            result = self.invoke(name, payload)
        except Exception as exc:
            failure = _failure(exc)
            return self._answer(request, 200, failure.payload(), error=True)
        return self._answer(request, 200, result)

    @staticmethod
    def _answer(request: BaseHTTPRequestHandler, status: int, body: Any, *, error: bool = False) -> None:
        raw = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(raw)))
        if error:
            request.send_header("X-Amz-Function-Error", "Unhandled")
        request.end_headers()
        request.wfile.write(raw)


def install_from_environment(environ: Mapping[str, str]) -> bool:
    """In moto's process: route to the runner's endpoint when the runner named one."""
    endpoint = environ.get(LAMBDA_ENDPOINT_VARIABLE)
    if not endpoint:
        return False
    install(HttpInvoker(endpoint))
    return True
