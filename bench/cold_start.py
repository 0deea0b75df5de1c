"""Cold init of a function: a fresh interpreter imports the handler and serves one event.

Each run is timed from the parent (process start to exit, what Lambda's init + first invoke costs on top
of the runtime's own start) and alternates with the baseline ``import boto3; boto3.client('dynamodb')`` in
the same run, so machine load affects both alike. Reported: medians, the ratio handler/baseline, the
number of modules loaded, and whether any forbidden heavy module was imported.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "import boto3; boto3.client('dynamodb')"


def _timed(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False, cwd=ROOT)
    elapsed = (time.perf_counter() - start) * 1000
    if done.returncode != 0:
        raise RuntimeError(f"{argv} failed: {done.stderr[-2000:]}")
    return elapsed, done.stdout


def measure(
    handler: str,
    event: dict[str, Any],
    env: dict[str, str],
    runs: int = 11,
    next_event: Callable[[], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """``next_event``, when given, makes the event of every run after the first (a write that must not
    be a replay of the previous run, e.g. a checkout: a new cart and a new Idempotency-Key each time)."""
    child_env = {
        **os.environ,
        **env,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "layers/kernel/python"), str(ROOT / "functions")]),
    }
    child_env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(event, fh)
        event_path = fh.name
    child = [sys.executable, str(ROOT / "bench/cold_child.py"), handler, event_path]
    baseline = [sys.executable, "-c", BASELINE]
    # One warm-up of each so both read compiled bytecode, as a deployed package does.
    _timed(baseline, child_env)
    _timed(child, child_env)
    handler_ms, baseline_ms, reports = [], [], []
    for _ in range(runs):
        if next_event is not None:
            Path(event_path).write_text(json.dumps(next_event()))
        elapsed, _ = _timed(baseline, child_env)
        baseline_ms.append(elapsed)
        elapsed, out = _timed(child, child_env)
        handler_ms.append(elapsed)
        reports.append(json.loads(out.strip().splitlines()[-1]))
    os.unlink(event_path)
    median_handler = statistics.median(handler_ms)
    median_baseline = statistics.median(baseline_ms)
    return {
        "handler": handler,
        "runs": runs,
        "handler_ms_median": round(median_handler, 1),
        "baseline_ms_median": round(median_baseline, 1),
        "ratio": round(median_handler / median_baseline, 3),
        "handler_ms": [round(v, 1) for v in handler_ms],
        "baseline_ms": [round(v, 1) for v in baseline_ms],
        "import_ms_median": statistics.median(r["import_ms"] for r in reports),
        "first_event_ms_median": statistics.median(r["first_event_ms"] for r in reports),
        "modules": reports[-1]["modules"],
        "forbidden_modules": reports[-1]["forbidden_modules"],
        "statuses": sorted({r["status"] for r in reports}),
    }
