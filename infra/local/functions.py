"""The Lambda runtime stand-in: every function runs in its own process, with only its own environment.

A ``LocalFunction`` is one deployed function. Its execution environment is a worker process
(``infra.local.worker``) whose environment is exactly what Lambda would give it: the variables its
``FunctionSpec`` declares (``provision.function_environment``, the same ones the CDK ``ServiceFunction``
sets) plus what the runtime provides (region, credentials, the function's name and memory) and the local
stage's endpoints (moto's ``AWS_ENDPOINT_URL`` and its tables' ``AWS_ENDPOINT_URL_DYNAMODB...``; the
Stripe stand-in for a function that holds Stripe's key). Nothing from the runner's or another function's
environment leaks in, so a function that reads a resource its spec does not declare breaks locally as it
would in the cloud. The worker also carries the spec's grants (``infra.local.grants``): a call its role
would not be allowed is refused, as IAM would.

Workers are forked from one fork server that imported the shared libraries once, and start in parallel
(``start`` does not wait; ``wait_ready`` does). An environment serves one invocation at a time, as in
Lambda; a function may have several (``concurrency``). A worker that dies (a crash, ``os._exit``) fails
the invocation it was serving with ``Runtime.ExitError`` and is replaced at the next invocation, as
Lambda starts a new environment. Its stdout and stderr reach the runner's ``sys.stdout`` line by line
(the console routes JSON lines to ``.local/logs/functions.jsonl``).

A ``LocalFunction`` given a ``handler`` runs it in the caller's process instead: test doubles of the
gateway and the pollers, which inspect what their handler saw.
"""

from __future__ import annotations

import base64
import json
import logging
import multiprocessing
import os
import queue
import sys
import threading
import time
from collections.abc import Mapping
from multiprocessing.connection import Connection
from typing import Any, Protocol

from infra.local import ENDPOINT_VARIABLES, REGION, ensure_import_paths, request_stats
from infra.local.grants import Grants
from infra.local.provision import function_environment
from infra.local.worker import PRELOAD, Handler, LambdaContext, WorkerConfig, module_openapi, serve
from infra.resources import FunctionSpec, physical_name

log = logging.getLogger("infra.local.functions")

STOP_GRACE_S = 5.0  # how long stop() lets an invocation in flight finish
INIT_TIMEOUT_S = 120.0  # a loaded machine imports slowly; Lambda's init phase allows 10 s per environment
STRIPE_API_BASE = "STRIPE_API_BASE"  # the stand-in's URL (stripe_wiring exports it before functions start)
STRIPE_KEY_SECRET = "stripe-api-key"  # noqa: S105 - the secret's spec name, not a secret
CARRIER_STANDIN_URL = "CARRIER_STANDIN_URL"  # the carrier stand-in's URL (carrier_wiring exports it)
CARRIER_ACCOUNT_SECRET = "nova-poshta-api"  # noqa: S105 - functions holding it talk to carriers
# The runtime's own variables a function may see; everything else comes from its spec.
CREDENTIALS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


class FunctionError(Exception):
    """An invocation failed in the function's process: Lambda's ``errorType``, message and stack."""

    def __init__(self, error_type: str, message: str, stack: list[str] | None = None) -> None:
        self.error_type, self.message, self.stack = error_type, message, stack or []
        remote = "".join(self.stack).rstrip()
        super().__init__(f"{error_type}: {message}" + (f"\n{remote}" if remote else ""))

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> FunctionError:
        return cls(str(payload.get("errorType")), str(payload.get("errorMessage")), payload.get("stackTrace"))


class FunctionInitError(FunctionError):
    """The handler could not be imported (Lambda's init phase failed)."""


def runtime_environment(
    stage: str, spec: FunctionSpec, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The whole environment of ``spec``'s process: its spec's variables, the runtime's, the stage's endpoints.

    ``environ`` is the runner's (default ``os.environ``): only the credentials, the region and the local
    endpoints are taken from it.
    """
    env = os.environ if environ is None else environ
    name = physical_name(stage, spec.name)
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or REGION
    runtime = {
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        **{variable: env[variable] for variable in CREDENTIALS if variable in env},
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
        "LANG": "en_US.UTF-8",
        "PATH": env.get("PATH", os.defpath),
        "TZ": ":UTC",
    }
    # The local stage's endpoints, standing in for the cloud's public ones.
    runtime.update({variable: env[variable] for variable in ENDPOINT_VARIABLES if variable in env})
    if STRIPE_API_BASE in env and STRIPE_KEY_SECRET in spec.secrets:
        runtime[STRIPE_API_BASE] = env[STRIPE_API_BASE]
    if CARRIER_STANDIN_URL in env and CARRIER_ACCOUNT_SECRET in spec.secrets:
        runtime[CARRIER_STANDIN_URL] = env[CARRIER_STANDIN_URL]
    return {**runtime, **function_environment(stage, spec)}


_fork_server_lock = threading.Lock()
_fork_server: Any = None


def fork_server() -> Any:
    """The multiprocessing context every worker is forked from; its server has imported ``PRELOAD``."""
    global _fork_server
    with _fork_server_lock:
        if _fork_server is None:
            ensure_import_paths()  # the fork server takes the runner's sys.path
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(list(PRELOAD))
            _fork_server = context
        return _fork_server


def start_fork_server() -> None:
    """Start the fork server now (it imports the libraries while the runner does other work)."""
    from multiprocessing import forkserver

    fork_server()
    forkserver.ensure_running()


class ExecutionEnvironment(Protocol):
    @property
    def alive(self) -> bool: ...
    @property
    def ready(self) -> bool: ...
    def wait_ready(self, timeout_s: float) -> None: ...
    def invoke(self, event: dict[str, Any]) -> Any: ...
    def openapi(self) -> dict[str, Any] | None: ...
    def stop(self) -> None: ...


class InProcessEnvironment:
    """A handler called in the caller's process: for test doubles that inspect what they received."""

    def __init__(self, spec: FunctionSpec, name: str, handler: Handler) -> None:
        self.spec, self.name, self.handler = spec, name, handler
        self.alive = True
        self.ready = True

    def wait_ready(self, timeout_s: float) -> None:
        return None

    def invoke(self, event: dict[str, Any]) -> Any:
        return self.handler(event, LambdaContext(self.name, self.spec.memory_mb, self.spec.timeout_s))

    def openapi(self) -> dict[str, Any] | None:
        return module_openapi(self.spec.handler)

    def stop(self) -> None:
        return None


def _wire_default(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()  # binary attributes travel base64-encoded, as in Lambda
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class WorkerProcess:
    """One execution environment: a worker process, its request pipe and the thread relaying its output."""

    def __init__(self, config: WorkerConfig) -> None:
        context = fork_server()
        self.name = config.function_name
        self._requests, child_requests = context.Pipe()
        output, child_output = context.Pipe(duplex=False)
        self.process = context.Process(
            target=serve, args=(config, child_requests, child_output), name=self.name, daemon=True
        )
        self.process.start()
        # Only the worker holds these now, so its exit closes them and the runner sees EOF.
        child_requests.close()
        child_output.close()
        self._relay = threading.Thread(
            target=_relay_output, args=(output,), name=f"output-{self.name}", daemon=True
        )
        self._relay.start()
        self._ready = False
        self._stopped = False
        # The runner's wait and a first invocation may both wait for the "ready" message: one reads it.
        self._ready_lock = threading.Lock()

    @property
    def alive(self) -> bool:
        return not self._stopped and self.process.is_alive()

    @property
    def ready(self) -> bool:
        return self._ready

    def wait_ready(self, timeout_s: float = INIT_TIMEOUT_S) -> None:
        if self._ready:
            return
        with self._ready_lock:
            self._wait_ready(timeout_s)

    def _wait_ready(self, timeout_s: float) -> None:
        if self._ready:
            return
        if self._stopped:
            raise FunctionInitError("Runtime.ExitError", f"{self.name} exited while starting")
        try:
            if not self._requests.poll(timeout_s):
                raise FunctionInitError("Runtime.InitTimeout", f"{self.name} did not start in {timeout_s} s")
            answer = json.loads(self._requests.recv_bytes())
        except (EOFError, OSError) as exc:
            self.stop()
            raise FunctionInitError("Runtime.ExitError", f"{self.name} exited while starting") from exc
        except FunctionInitError:
            self.stop()
            raise
        if not answer.get("ready"):
            self.stop()
            raise FunctionInitError.from_payload(answer["error"])
        self._ready = True

    def invoke(self, event: dict[str, Any]) -> Any:
        return self._call({"event": event})

    def openapi(self) -> dict[str, Any] | None:
        document: dict[str, Any] | None = self._call({"openapi": True})
        return document

    def _call(self, request: dict[str, Any]) -> Any:
        self.wait_ready()
        try:
            self._requests.send_bytes(json.dumps(request, default=_wire_default).encode())
            answer = json.loads(self._requests.recv_bytes())
        except (EOFError, OSError) as exc:
            self.stop()
            raise FunctionError(
                "Runtime.ExitError",
                f"{self.name} exited (code {self.process.exitcode}) during the invocation",
            ) from exc
        if "error" in answer:
            raise FunctionError.from_payload(answer["error"])
        return answer["result"]

    def stop(self) -> None:
        """Close the pipe (the worker exits on EOF); terminate it if it does not."""
        if self._stopped:
            return
        self._stopped = True
        self._requests.close()
        self.process.join(timeout=2)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout=2)


def _relay_output(output: Connection) -> None:
    """The worker's stdout and stderr, line by line, into the runner's ``sys.stdout`` (the console)."""
    with open(output.fileno(), "rb", closefd=False) as stream:
        for line in stream:
            sys.stdout.write(line.decode("utf-8", "replace"))
    output.close()


class LocalFunction:
    """One deployed function: its spec, its execution environments and how to invoke it.

    With ``start=False`` no process is started until ``start()`` or the first invocation, which starts it and
    waits for its import, as a Lambda cold start does (the runner starts the functions the API routes need
    first, then the event consumers, and the rest once the demo seed is done).
    """

    def __init__(
        self,
        stage: str,
        spec: FunctionSpec,
        handler: Handler | None = None,
        *,
        concurrency: int = 1,
        environ: Mapping[str, str] | None = None,
        start: bool = True,
    ) -> None:
        self.stage = stage
        self.spec = spec
        self.physical_name = physical_name(stage, spec.name)
        self.environment = runtime_environment(stage, spec, environ)
        self.grants = Grants.of(spec, stage)
        self._handler = handler
        self._concurrency = concurrency
        self.environments: list[ExecutionEnvironment] = []
        # Idle environments: an invocation takes one and gives it back, so one never serves two at once
        # (handlers rely on that: Powertools keeps the current event on the resolver).
        self._idle: queue.LifoQueue[ExecutionEnvironment] = queue.LifoQueue()
        self._started = threading.Event()
        self._start_lock = threading.Lock()
        self._stopped = False
        if start or handler is not None:
            self.start()

    def start(self) -> None:
        """Start the function's execution environments (their processes import the handler meanwhile)."""
        with self._start_lock:
            if self._started.is_set() or self._stopped:
                return
            environments: list[ExecutionEnvironment] = (
                [InProcessEnvironment(self.spec, self.physical_name, self._handler)]
                if self._handler is not None
                else [self._new_environment() for _ in range(self._concurrency)]
            )
            self.environments.extend(environments)
            for environment in environments:
                self._idle.put(environment)
            self._started.set()

    @property
    def ready(self) -> bool:
        """Whether every environment has imported its handler (``wait_ready`` has seen it)."""
        return self._started.is_set() and all(e.ready for e in self.environments)

    def _new_environment(self) -> ExecutionEnvironment:
        return WorkerProcess(
            WorkerConfig(
                function_name=self.physical_name,
                handler=self.spec.handler,
                memory_mb=self.spec.memory_mb,
                timeout_s=self.spec.timeout_s,
                environment=self.environment,
                grants=self.grants,
                title=self.spec.name,
                tag_requests=request_stats.enabled(),
            )
        )

    def wait_ready(self, timeout_s: float = INIT_TIMEOUT_S) -> None:
        """Until every environment has imported its handler; ``FunctionInitError`` if one cannot."""
        if not self._started.wait(timeout_s):
            raise FunctionInitError(
                "Runtime.InitTimeout", f"{self.spec.name} was not started in {timeout_s} s"
            )
        try:
            for environment in self.environments:
                environment.wait_ready(timeout_s)
        except FunctionError:
            self.stop()
            raise

    def new_context(self) -> LambdaContext:
        return LambdaContext(
            function_name=self.physical_name,
            memory_limit_in_mb=self.spec.memory_mb,
            timeout_s=self.spec.timeout_s,
        )

    def invoke(self, event: dict[str, Any]) -> Any:
        """The handler's result; ``FunctionError`` (or a test double's own exception) when it raised."""
        environment = self._acquire()
        started = time.monotonic()
        try:
            return environment.invoke(event)
        finally:
            self._idle.put(environment)
            elapsed = time.monotonic() - started
            if elapsed > self.spec.timeout_s:
                # Lambda would have killed it; locally we only say so, the answer still goes back.
                log.warning(
                    "%s ran %.1fs, over its %ss timeout", self.spec.name, elapsed, self.spec.timeout_s
                )

    def openapi(self) -> dict[str, Any] | None:
        """The OpenAPI document of the handler module's resolver, built in the function's own process."""
        environment = self._acquire()
        try:
            return environment.openapi()
        finally:
            self._idle.put(environment)

    def _acquire(self) -> ExecutionEnvironment:
        if not self._started.is_set():
            try:
                self.start()  # a cold start: nothing if shut down (the wait below then says so)
            except Exception as exc:  # its process could not be made: the invocation fails as Lambda's would
                raise FunctionInitError(
                    "Runtime.Unavailable", f"{self.spec.name} could not start: {exc}"
                ) from exc
        while True:
            try:
                environment = self._idle.get(timeout=0.5)
                break
            except queue.Empty:
                # Not started yet (or every environment busy): wait, unless it was shut down meanwhile.
                if self._stopped and not self._started.is_set():
                    raise FunctionError("Runtime.ExitError", f"{self.spec.name} is shut down") from None
        if environment.alive:
            return environment
        if self._stopped:
            self._idle.put(environment)
            raise FunctionError("Runtime.ExitError", f"{self.spec.name} is shut down")
        # The previous invocation crashed it: a new environment takes its place, with a cold start.
        log.warning("%s: its execution environment exited; starting a new one", self.spec.name)
        self.environments.remove(environment)
        replacement = self._new_environment()
        self.environments.append(replacement)
        try:
            replacement.wait_ready(INIT_TIMEOUT_S)
        except FunctionError:
            self._idle.put(replacement)  # dead too: the next invocation tries again
            raise
        return replacement

    def stop(self) -> None:
        """Shut every environment down, once the invocations in flight have finished (or after a grace)."""
        with self._start_lock:
            self._stopped = True
        deadline = time.monotonic() + STOP_GRACE_S
        idle: list[ExecutionEnvironment] = []
        for _ in self.environments:
            try:
                idle.append(self._idle.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                break
        for environment in self.environments:
            environment.stop()
        for environment in idle:
            self._idle.put(environment)
