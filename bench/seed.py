"""Demo seed: from a fresh start of ``make run``, how soon ``/health`` answers and how soon the demo
shop (240 products, promotions, the network, stock) is seeded.

Each run starts ``python -m infra.local run`` as a new process on free ports (imports, moto, provisioning,
the Stripe stand-in, the functions, pollers and the API: everything ``make run`` does) and polls
``/health`` every 50 ms. Figures per run: seconds from process start until ``/health`` first answers,
until ``"seed": "done"``, each seeding step's seconds (as ``/health`` reports them), and the CPU seconds
the process used until then (user + system, from ``/proc``: unlike wall time, not inflated by other
work on the machine). The 1-minute load average at the start says how busy the machine was. Medians
of ``RUNS`` runs.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from infra.local.moto_server import free_port

RUNS = 3
PRODUCTS = 240
TIMEOUT_S = 180.0
HEALTH_TARGET_S = 5.0
SEEDED_TARGET_S = 20.0
REPO = Path(__file__).resolve().parents[1]


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU of the process and its threads so far (Linux ``/proc``; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _health(url: str) -> dict[str, Any] | None:
    try:
        response = requests.get(f"{url}/health", timeout=1)
    except requests.RequestException:
        return None
    return response.json() if response.status_code == 200 else None  # type: ignore[no-any-return]


def one_run(products: int = PRODUCTS) -> dict[str, Any]:
    api_port, moto_port, stripe_port = free_port(), free_port(), free_port()
    command = [sys.executable, "-m", "infra.local", "run", "--api-port", str(api_port)]
    command += ["--moto-port", str(moto_port), "--stripe-port", str(stripe_port)]
    command += ["--seed-products", str(products)]
    load = os.getloadavg()[0]
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{api_port}"
    answered: float | None = None
    running: float | None = None
    try:
        while time.monotonic() - started < TIMEOUT_S:
            if process.poll() is not None:
                raise RuntimeError(f"the local stack exited with {process.returncode}")
            health = _health(url)
            if health is not None and answered is None:
                answered = time.monotonic() - started
            if health is not None and running is None and health.get("stack") == "running":
                running = time.monotonic() - started
            if health is not None and health.get("seed") not in ("pending", None):
                seeded = time.monotonic() - started
                return {
                    "load_average_1m": round(load, 2),
                    "health_s": round(answered or seeded, 2),
                    "running_s": round(running or seeded, 2),
                    "seeded_s": round(seeded, 2),
                    "seed": health["seed"],
                    "cpu_s": _cpu_seconds(process.pid),
                    "steps_s": {k: v.get("seconds") for k, v in health["seeding"]["steps"].items()},
                    "summaries": {k: v.get("summary") for k, v in health["seeding"]["steps"].items()},
                }
            time.sleep(0.05)
        raise RuntimeError(f"not seeded within {TIMEOUT_S} s")
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return round(statistics.median(r[key] for r in runs if r.get(key) is not None), 2)


def run() -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    runs = [one_run() for _ in range(RUNS)]
    steps = {
        name: round(statistics.median(r["steps_s"][name] for r in runs), 2) for name in runs[0]["steps_s"]
    }
    figures: dict[str, Any] = {
        "runs": runs,
        "median": {
            key: _median(runs, key)
            for key in ("health_s", "running_s", "seeded_s", "cpu_s", "load_average_1m")
        },
        "median_steps_s": steps,
    }
    return figures, summary(figures)


def _verdict(value: float, target: float) -> str:
    return f"target <= {target:g} s" + ("" if value <= target else " NOT MET")


def summary(figures: dict[str, Any]) -> list[tuple[str, str, str]]:
    runs = figures["runs"]
    steps = figures["median_steps_s"]
    median: dict[str, float] = figures["median"]
    return [
        (
            "fresh start -> /health answers",
            f"{median['health_s']} s",
            f"{_verdict(median['health_s'], HEALTH_TARGET_S)}; median of {RUNS}; load average {median['load_average_1m']}",
        ),
        (
            "fresh start -> every function loaded, pollers running",
            f"{median['running_s']} s",
            f'{_verdict(median["running_s"], HEALTH_TARGET_S)} for every route; /health "stack": "running"',
        ),
        (
            f"fresh start -> demo seeded ({PRODUCTS} products, promotions, network, stock)",
            f"{median['seeded_s']} s",
            f"{_verdict(median['seeded_s'], SEEDED_TARGET_S)} on 2 cores; seed state {runs[0]['seed']}; "
            "until the cart knows every demo SKU",
        ),
        ("CPU seconds used until seeded", f"{median['cpu_s']} s", "user + system of the whole process"),
        (
            "seeding steps",
            ", ".join(f"{name} {seconds} s" for name, seconds in steps.items()),
            f"stock: {runs[0]['summaries'].get('stock')}",
        ),
    ]
