"""moto in server mode on 127.0.0.1, and the environment that points every AWS client at it.

Handlers keep their cloud code: boto3 reads ``AWS_ENDPOINT_URL``. ``MOTO_PORT`` is set too because
moto's Step Functions interpreter calls back into the server on that port.

Two ways to run it: ``MotoServer`` is a thread of the calling process (tests that reach into moto's
patches), ``MotoProcess`` a process of its own (``python -m infra.local.moto_server``), which the local
stack uses. moto is pure Python: as a thread it shares one interpreter lock with the local API, the
pollers and the seed, so every DynamoDB call waited for them and they for it; as a process it has a core
of its own, and the runner does not import moto at all.

The local stack runs two: DynamoDB and DynamoDB Streams in a process of their own (``tables_port``), the
other services in the first. One process answers one request at a time (the interpreter lock), and while
the demo seeds it was busy 0.9 of every second: the seed waited on moto's single core while the second sat
partly idle. Nothing in moto crosses between the two (the workflows call no DynamoDB; EventBridge delivers
to SQS, both in the first process). botocore sends a service to its own endpoint variable when there is one
(``AWS_ENDPOINT_URL_DYNAMODB``, ``..._DYNAMODB_STREAMS``), so the stack's functions and pollers reach the
tables process directly; a client that knows only ``AWS_ENDPOINT_URL`` (the AWS CLI, a script) still gets
its tables, which the first process forwards (``moto_http``).
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import requests

from infra.local import REGION, TABLES_ENDPOINT_VARIABLES, request_stats

log = logging.getLogger("infra.local.moto")

DEFAULT_MOTO_PORT = 5000
HOST = "127.0.0.1"


class PortInUse(RuntimeError):
    pass


def port_is_free(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
        return True


def free_port(host: str = HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def choose_port(requested: int | None, default: int, what: str) -> int:
    """``requested`` if free (else ``PortInUse``); with none requested, ``default`` or any free port."""
    if requested is not None:
        if not port_is_free(requested):
            raise PortInUse(f"port {requested} for {what} is in use: stop what holds it or pass another port")
        return requested
    if port_is_free(default):
        return default
    chosen = free_port()
    log.warning("port %d for %s is in use; using %d instead", default, what, chosen)
    return chosen


def aws_environment(port: int, tables_port: int | None = None) -> dict[str, str]:
    """Dummy credentials, the local region and the moto endpoints for every AWS SDK in the process: DynamoDB
    and its streams on ``tables_port`` when moto's tables have a process of their own, else on ``port``."""
    tables = f"http://{HOST}:{tables_port or port}"
    return {
        "AWS_ENDPOINT_URL": f"http://{HOST}:{port}",
        **dict.fromkeys(TABLES_ENDPOINT_VARIABLES, tables),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "MOTO_PORT": str(port),
    }


MOTO_CONFIG: dict[str, Any] = {"stepfunctions": {"execute_state_machine": True}}
READY_TIMEOUT_S = 60.0
REPO = Path(__file__).resolve().parents[2]


def _patch_and_configure(tables: str | None = None, *, tables_only: bool = False) -> None:
    """In the process moto serves from: the local patches, and Step Functions running the workflows' states
    (off by default in moto). ``tables``: the URL of moto's tables process, which this one forwards
    DynamoDB's and its streams' requests to; ``tables_only``: this is that process, which runs no workflow
    (and so does not import the interpreter: a second of CPU while the stack starts)."""
    from moto.moto_api._internal.models import moto_api_backend

    from infra.local import child_workflows, lambda_tasks, moto_http, moto_patches

    moto_patches.install()
    # One connection per caller, not one per request (``moto_http``).
    moto_http.install(tables=tables)
    if tables_only:
        return
    # A Task that runs a child workflow (states:startExecution.sync:2) as the cloud does.
    child_workflows.install()
    moto_api_backend.set_config(MOTO_CONFIG)
    # Workflow lambda:invoke tasks go to the runner's functions (moto's own Lambda would need Docker).
    lambda_tasks.install_from_environment(os.environ)
    # moto's ASL interpreter logs an ERROR line (not JSON, to the console) for every path a state tests that
    # is absent, e.g. a Choice's IsPresent on an optional field: the workflow's normal course, and the
    # execution history records real failures. The console (and --json-logs) stays one line per request.
    logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)


class _Endpoint:
    """What both ways of running moto share: the port, its URL, and claiming it for this process's SDKs."""

    def __init__(self, port: int) -> None:
        self.port = port

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def _claim(self, tables_port: int | None = None) -> None:
        for port in filter(None, (self.port, tables_port)):
            if not port_is_free(port):
                raise PortInUse(f"port {port} for moto is in use")
        # MOTO_PORT first: moto reads it when the Step Functions interpreter calls back.
        os.environ.update(aws_environment(self.port, tables_port))


class MotoServer(_Endpoint):
    """A moto server thread; ``start`` also exports the AWS environment and enables Step Functions."""

    def __init__(self, port: int) -> None:
        from moto.server import ThreadedMotoServer

        super().__init__(port)
        self._server = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)

    def start(self) -> None:
        self._claim()
        _patch_and_configure()
        self._server.start()
        log.info("moto server on %s", self.url)

    def stop(self) -> None:
        self._server.stop()
        # ThreadedMotoServer.stop() only shuts the loop down; close the socket so the port is free now.
        inner = getattr(self._server, "_server", None)
        if inner is not None:
            inner.server_close()


class MotoProcess(_Endpoint):
    """moto in a process of its own on ``port`` (and DynamoDB with its streams in a second on ``tables_port``,
    when given): ``start`` exports the AWS environment at once and returns; ``wait_ready`` blocks until the
    servers answer (so the caller can do other work meanwhile)."""

    def __init__(self, port: int, tables_port: int | None = None) -> None:
        super().__init__(port)
        self.tables_port = tables_port
        self._processes: list[tuple[str, subprocess.Popen[bytes]]] = []

    @property
    def tables_url(self) -> str:
        return f"http://{HOST}:{self.tables_port or self.port}"

    def start(self) -> None:
        self._claim(self.tables_port)
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        }
        front = ["--port", str(self.port)]
        if self.tables_port:
            self._spawn(self.tables_url, ["--port", str(self.tables_port), "--tables"], env)
            front += ["--tables-port", str(self.tables_port)]
        self._spawn(self.url, front, env)

    def _spawn(self, url: str, arguments: list[str], env: dict[str, str]) -> None:
        process = subprocess.Popen(  # noqa: S603 - this interpreter and this module, no input
            [sys.executable, "-m", "infra.local.moto_server", *arguments],
            env=env,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            # Ctrl-C goes to the runner, which stops moto last (after the functions that still call it).
            start_new_session=True,
        )
        self._processes.append((url, process))

    def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        if not self._processes:
            raise RuntimeError("the moto server was not started")
        for url, process in self._processes:
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"the moto server exited while starting (code {process.returncode})")
                try:
                    # ``serve`` configures moto before it listens: any answer means ready.
                    if requests.get(f"{url}/moto-api/config", timeout=1).ok:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the moto server did not answer on {url} in {timeout_s} s")
                time.sleep(0.05)
        log.info("moto server on %s", self.url)

    def stop(self) -> None:
        # The first process (which forwards to the tables) first.
        processes, self._processes = self._processes, []
        for _, process in reversed(processes):
            if process.poll() is not None:
                continue
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


# Young objects the collector lets pile up before it looks (Python's default is 700): a request makes a
# few thousand (its parsed body, items, answer), nearly all freed by reference counting as it ends.
GC_YOUNG_THRESHOLD = 50_000


def _collect_less() -> None:
    """moto holds every table, stream, queue and event of the stack in this heap, and Python's cyclic
    collector walked it again and again as requests allocated: 13-21 % of a transaction's CPU with a heap like
    the seeded demo's. What was imported is frozen out of the collector's sight, and it looks at young objects
    every 50,000 allocations instead of every 700; moto's objects rarely form cycles, and those still get
    collected."""
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


def serve(port: int, tables_port: int | None = None, tables: bool = False) -> None:
    """``MotoProcess``'s main: the patched moto server on ``port`` until SIGTERM or SIGINT; it forwards
    DynamoDB and its streams to ``tables_port`` when given. ``tables``: this is the tables process."""
    from moto.server import ThreadedMotoServer

    os.environ.update(aws_environment(port))
    _patch_and_configure(tables=f"http://{HOST}:{tables_port}" if tables_port else None, tables_only=tables)
    stats = (
        request_stats.install_in_moto(request_stats.stats_path(os.environ, tables=tables))
        if request_stats.enabled()
        else None
    )
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request: the runner's console logs
    _collect_less()
    server = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)
    server.start()
    stopped = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopped.set())
    # In its own session, Ctrl-C does not reach it; if the runner dies without stopping it, it goes too.
    runner = os.getppid()
    while not stopped.wait(1.0):
        if os.getppid() != runner:
            break
    server.stop()
    if stats is not None:
        stats.dump()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="the local stack's moto server")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--tables-port", type=int, help="forward DynamoDB and its streams to this port")
    parser.add_argument(
        "--tables", action="store_true", help="this is the process of DynamoDB and its streams"
    )
    arguments = parser.parse_args()
    serve(arguments.port, arguments.tables_port, arguments.tables)
