"""Counts the local moto server's requests, and the CPU each costs, by caller and operation.

Switched on by ``LOCAL_MOTO_STATS=<file>`` in the runner's environment (``bench/seed.py`` sets it): the moto
process then counts every request by caller and operation (``DynamoDB.PutItem``, ``AWSEvents.PutEvents``,
``AmazonSQS.ReceiveMessage``; the ``X-Amz-Target`` header, else the method and the path's first segment)
with the thread CPU seconds moto spent answering it, and rewrites ``<file>`` as JSON once a second and when
it stops; moto's tables process writes its own file beside it (``stats_path``). The caller is the
``X-Local-Caller`` header: each function's process tags its clients with the function's name, and the
runner's clients with the thread's name (``stream-catalog-events``, ``sqs-search-indexer``, ``seed``);
untagged requests count as ``-``. A measurement aid only: without the variable nothing is counted and no
header is sent.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

STATS_VARIABLE = "LOCAL_MOTO_STATS"
CALLER_HEADER = "X-Local-Caller"
_ENVIRON_CALLER = "HTTP_" + CALLER_HEADER.upper().replace("-", "_")


def enabled(environ: Any = None) -> bool:
    return bool((os.environ if environ is None else environ).get(STATS_VARIABLE))


def stats_path(environ: Any = None, *, tables: bool = False) -> Path:
    """Where a moto process writes its counts: ``<file>``, and ``<file stem>-tables<suffix>`` beside it for
    moto's tables process (DynamoDB and its streams), which counts its own requests."""
    path = Path((os.environ if environ is None else environ)[STATS_VARIABLE])
    return path.with_name(f"{path.stem}-tables{path.suffix}") if tables else path


def caller_tag(caller: str | None = None) -> Callable[..., None]:
    """A botocore ``before-send`` handler naming the caller on each request: ``caller``, or the calling
    thread's name when none is given (the runner's pollers and seed)."""

    def add_header(request: Any, **_: Any) -> None:
        request.headers[CALLER_HEADER] = caller or threading.current_thread().name

    return add_header


def _operation(environ: dict[str, Any]) -> str:
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        service, _, action = target.partition(".")
        return f"{service.split('_')[0]}.{action}"
    path = environ.get("PATH_INFO", "/").strip("/").split("/")[0]
    return f"{environ.get('REQUEST_METHOD', '?')} /{path}"


class RequestStats:
    """Counts and CPU seconds per (caller, operation); thread-safe, dumped as JSON."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0.0])

    def record(self, caller: str, operation: str, cpu_s: float) -> None:
        with self._lock:
            entry = self._counts[(caller, operation)]
            entry[0] += 1
            entry[1] += cpu_s

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            rows: list[dict[str, Any]] = [
                {"caller": caller, "operation": operation, "count": int(count), "cpu_s": round(cpu, 3)}
                for (caller, operation), (count, cpu) in self._counts.items()
            ]
        rows.sort(key=lambda row: -row["cpu_s"])
        return {"at": time.time(), "process_cpu_s": round(time.process_time(), 2), "requests": rows}

    def dump(self) -> None:
        partial = self.path.with_suffix(".partial")
        partial.write_text(json.dumps(self.snapshot()))
        partial.replace(self.path)

    def wrap(self, app: Any) -> Any:
        """A WSGI application counting the requests ``app`` answers."""

        def counted(environ: dict[str, Any], start_response: Any) -> Any:
            started = time.thread_time()
            try:
                return app(environ, start_response)
            finally:
                caller = environ.get(_ENVIRON_CALLER, "-")
                self.record(caller, _operation(environ), time.thread_time() - started)

        return counted


def install_in_moto(path: str | Path) -> RequestStats:
    """Counts every request of the moto server about to start in this process; dumps once a second."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    stats = RequestStats(Path(path))
    original = DomainDispatcherApplication.__call__

    def call(self: Any, environ: dict[str, Any], start_response: Any) -> Any:
        return stats.wrap(lambda e, s: original(self, e, s))(environ, start_response)

    DomainDispatcherApplication.__call__ = call  # type: ignore[method-assign]

    def dump_every_second() -> None:
        while True:
            time.sleep(1.0)
            stats.dump()

    threading.Thread(target=dump_every_second, name="moto-stats", daemon=True).start()
    return stats
