"""The runner's console: one readable line per request and per event, or JSON lines with ``--json-logs``.

Every function in the local stack runs in its own process (``functions``), whose stdout and stderr the
runner relays line by line to its own stdout: their Powertools logger and metrics write JSON (log
records, EMF metric lines) there. Readable by default: those JSON lines
go to a file (``.local/logs/functions.jsonl``, what CloudWatch Logs would hold), and only a function's
warnings and errors reach the console, one line each. ``--json-logs`` keeps every JSON line on stdout
and writes the runner's own lines (access, events, lifecycle) as JSON objects too, for ``jq`` or a log
shipper.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Any, TextIO

READABLE_FORMAT = "%(asctime)s %(levelname)-5s %(name)s: %(message)s"
QUIET = ("werkzeug", "botocore", "urllib3")
FUNCTION_LEVELS = {"WARNING": logging.WARNING, "ERROR": logging.ERROR, "CRITICAL": logging.CRITICAL}
# The standard attributes of a LogRecord; anything else on it came through ``extra=``.
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC), level, logger, message and the ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        moment = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        entry: dict[str, Any] = {
            "timestamp": f"{moment}.{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _RECORD_FIELDS})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class FunctionOutput:
    """Stands in for ``sys.stdout``: JSON lines (the functions' logs and metrics) go to ``sink``, their
    warnings and errors are summarised on the console, every other line goes to ``console``. Without a
    sink (``--json-logs``) every line goes to the console. Lines are written whole: a function's metrics
    line never gets another thread's log record in its middle."""

    def __init__(self, console: TextIO, sink: TextIO | None) -> None:
        self.console = console
        self.sink = sink
        self.log = logging.getLogger("function")
        self._pending = threading.local()
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        # print() writes the text and the newline separately, and threads interleave: buffer per thread.
        buffered = getattr(self._pending, "text", "") + text
        *lines, rest = buffered.split("\n")
        self._pending.text = rest
        for line in lines:
            self._route(line)
        return len(text)

    def flush(self) -> None:
        with self._lock:
            self.console.flush()
            if self.sink is not None:
                self.sink.flush()

    def isatty(self) -> bool:
        return self.console.isatty()

    @property
    def encoding(self) -> str:
        return getattr(self.console, "encoding", None) or "utf-8"

    def fileno(self) -> int:
        return self.console.fileno()

    def __getattr__(self, name: str) -> Any:
        # Anything else a library asks of sys.stdout (buffer, errors, ...) is the console's.
        if name == "console":
            raise AttributeError(name)
        return getattr(self.console, name)

    def _route(self, line: str) -> None:
        record = _json_object(line) if self.sink is not None else None
        with self._lock:
            stream = self.console if record is None or self.sink is None else self.sink
            stream.write(line + "\n")
            stream.flush()
        if record is None:
            return
        level = FUNCTION_LEVELS.get(str(record.get("level", "")).upper())
        if level is not None:
            self.log.log(level, "%s", summarise_function_record(record))


def _json_object(line: str) -> dict[str, Any] | None:
    if not line.startswith("{"):
        return None
    try:
        parsed = json.loads(line)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def summarise_function_record(record: dict[str, Any]) -> str:
    """A function's Powertools log record as one line: who, what, and the exception's last line."""
    who = record.get("function_name") or record.get("service") or "function"
    text = f"{who}: {record.get('message', '')}"
    exception = record.get("exception")
    if isinstance(exception, str) and exception.strip():
        text += f" ({exception.strip().splitlines()[-1]})"
    correlation = record.get("correlation_id")
    if correlation:
        text += f" correlation={correlation}"
    return text


def configure(json_logs: bool, log_dir: Path) -> Path | None:
    """Sets up the runner's logging; returns the file the functions' JSON lines go to (readable mode)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if json_logs else logging.Formatter(READABLE_FORMAT, "%H:%M:%S"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    for noisy in QUIET:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # Most reads publish no business metric on purpose; Powertools warns on each such request.
    warnings.filterwarnings("ignore", "No application metrics to publish", UserWarning)
    # Any other warning becomes one log line rather than a two-line dump on stderr.
    logging.captureWarnings(True)
    # Before any function is imported: Powertools' logger keeps the stream it finds at creation.
    if json_logs:
        sys.stdout = FunctionOutput(sys.stdout, None)  # type: ignore[assignment]
        return None
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / "functions.jsonl"
    sink = path.open("w", encoding="utf-8")  # one run's logs; closed with the process
    sys.stdout = FunctionOutput(sys.stdout, sink)  # type: ignore[assignment]
    return path
