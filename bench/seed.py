"""Demo seed: from a fresh start of ``make run``, how soon ``/health`` answers and how soon the demo
shop (240 products, promotions, the network, stock) is seeded.

Each run starts ``python -m infra.local run`` as a new process on free ports (imports, moto, provisioning,
the Stripe stand-in, the functions, pollers and the API: everything ``make run`` does) and polls
``/health`` every 50 ms (every 250 ms once every route answers). Figures per run: seconds from process start until ``/health`` first answers,
until ``"seed": "done"``, each seeding step's seconds (as ``/health`` reports them), and the CPU seconds
the process used until then (user + system, from ``/proc``: unlike wall time, not inflated by other
work on the machine). The 1-minute load average at the start says how busy the machine was. Medians
of ``RUNS`` runs.

After the seed, "availability current in search": seconds from start until search's ``in_stock=true``
totals, for anywhere, each country and each pickup store, equal what the seeded stock makes buyable there
(computed here from ``seed_network``'s stock classes with the kernel's availability rules). Inventory's
~1,500 ``StockLevelChanged`` events reach search through the bus and a queue after the seed wrote them,
so this is when a shopper's search and ``in_stock`` filter show the demo's real stock.
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
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import requests

from infra.local import ensure_import_paths, request_stats
from infra.local.moto_server import free_port

RUNS = 3
PRODUCTS = 240
# A machine shared with other work can be very slow (CPU seconds are the comparable figure), but a bench
# must end: past these a run reports what it waited for and what it saw, and no further run starts.
TIMEOUT_S = 300.0  # until /health says the seed is done (or failed)
SEARCH_CURRENT_TIMEOUT_S = 420.0  # from start, until search's in_stock totals equal the seeded stock's
BUDGET_S = 600.0
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


def _process_tree_cpu(root: int) -> dict[str, float]:
    """CPU seconds (user + system) of ``root`` and every live descendant, by role: ``runner``, ``moto``, the
    fork server, and each function's worker by its process title (its spec name, 15 bytes)."""
    parents: dict[int, int] = {}
    names: dict[int, str] = {}
    cpu: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            head, tail = stat.read_text().rsplit(")", 1)
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        pid, fields = int(stat.parent.name), tail.split()
        parents[pid] = int(fields[1])
        cpu[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        comm = head.split("(", 1)[1]
        names[pid] = (
            "moto (tables)"
            if b"infra.local.moto_server" in cmdline and b"--tables\0" in cmdline + b"\0"
            else "moto"
            if b"infra.local.moto_server" in cmdline
            else "fork server"
            if b"forkserver" in cmdline and comm.startswith("python")
            else comm
        )
    tree, frontier = {root}, [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier and pid not in tree]
        tree.update(children)
        frontier = children
    totals: dict[str, float] = {}
    for pid in tree:
        role = "runner" if pid == root else names.get(pid, "?")
        totals[role] = round(totals.get(role, 0.0) + cpu.get(pid, 0.0), 2)
    return dict(sorted(totals.items(), key=lambda item: -item[1]))


def _moto_calls(path: Path) -> dict[str, Any]:
    """The moto server's request counts so far (``infra.local.request_stats``): totals per operation and
    per caller, with the CPU seconds moto spent on them."""
    rows: list[dict[str, Any]] = []
    for process in (path, request_stats.stats_path({request_stats.STATS_VARIABLE: str(path)}, tables=True)):
        try:
            rows += json.loads(process.read_text())["requests"]
        except (OSError, ValueError):
            continue
    if not rows:
        return {}
    by_operation: dict[str, list[float]] = {}
    by_caller: dict[str, list[float]] = {}
    for row in rows:
        for key, table in ((row["operation"], by_operation), (row["caller"], by_caller)):
            entry = table.setdefault(key, [0, 0.0])
            entry[0] += row["count"]
            entry[1] += row["cpu_s"]

    def ranked(table: dict[str, list[float]]) -> dict[str, dict[str, float]]:
        return {
            key: {"count": int(count), "cpu_s": round(cpu_s, 2)}
            for key, (count, cpu_s) in sorted(table.items(), key=lambda item: -item[1][1])
        }

    return {
        "requests": sum(row["count"] for row in rows),
        "request_cpu_s": round(sum(row["cpu_s"] for row in rows), 2),
        "by_operation": ranked(by_operation),
        "by_caller": ranked(by_caller),
        "rows": rows,
    }


def _health(url: str) -> dict[str, Any] | None:
    try:
        response = requests.get(f"{url}/health", timeout=1)
    except requests.RequestException:
        return None
    return response.json() if response.status_code == 200 else None  # type: ignore[no-any-return]


def buyable_counts(
    products: int = PRODUCTS, today: date | None = None
) -> dict[tuple[str | None, str | None], int]:
    """(country, store) -> how many seeded products ``in_stock=true`` should find there; (None, None) is
    anywhere. From what the stack seeds (``seed_catalog.seeded_products``: the demo products and the gift
    card; ``seed_network.opening_stock``: every level ``seed_stock`` writes), reduced by the kernel's
    availability rules: a second list here would drift from the seed, as the gift card showed. The
    e-certificate (``fulfilment`` ``digital``) has no stock and counts everywhere."""
    from infra.local.seed_catalog import seeded_products
    from infra.local.seed_network import locations, opening_stock

    ensure_import_paths()
    from shop_kernel.availability import (
        DIGITAL,
        FULFILMENT_ATTRIBUTE,
        LocationStock,
        buyable_contexts,
        buyable_filter,
        country_context,
        product_availability,
        store_context,
    )

    places = locations(today or datetime.now(UTC).date())
    countries = sorted({p["address"]["country"] for p in places.values() if p["kind"] == "warehouse"})
    stores = sorted(k for k, p in places.items() if p["kind"] == "store" and p.get("pickup"))
    asks: dict[tuple[str | None, str | None], str] = {(None, None): "any"}
    asks.update({(c, None): country_context(c) for c in countries})
    asks.update({(None, s): store_context(s) for s in stores})
    stock: dict[str, list[LocationStock]] = {}
    for sku, place, on_hand in opening_stock(products):
        location = places[place]
        stock.setdefault(sku, []).append(
            LocationStock(
                sku=sku,
                location_id=place,
                kind=location["kind"],
                country=location["address"]["country"],
                pickup=bool(location.get("pickup")),
                available=on_hand,
            )
        )
    counts = dict.fromkeys(asks, 0)
    for product in seeded_products(products):
        if product.get("status") != "published":
            continue  # search holds only published products
        skus = [v["sku"] for v in product["variants"]]
        levels = [level for sku in skus for level in stock.get(sku, [])]
        # The import's attributes are a mapping; the product's value wins over the variant's, as in the snapshot.
        digital = [
            v["sku"]
            for v in product["variants"]
            if (product.get("attributes") or {}).get(
                FULFILMENT_ATTRIBUTE, (v.get("attributes") or {}).get(FULFILMENT_ATTRIBUTE)
            )
            == DIGITAL
        ]
        buyable = set(buyable_contexts(product_availability(skus, levels, digital)))
        for ask, context in asks.items():
            counts[ask] += bool(buyable.intersection(buyable_filter([context])))  # as search's filter matches
    return counts


def _search_totals(
    url: str, expected: dict[tuple[str | None, str | None], int], *, every: bool = False
) -> dict[tuple[str | None, str | None], int]:
    """Search's in_stock totals per ask; stops at the first that differs from ``expected`` (the stack is
    busy: the others need not be asked yet) unless ``every``."""
    totals: dict[tuple[str | None, str | None], int] = {}
    for country, store in expected:
        params = {"q": "", "in_stock": "true", "limit": "1"}
        params.update({"country": country} if country else {})
        params.update({"store": store} if store else {})
        try:
            response = requests.get(f"{url}/search", params=params, timeout=5)
        except requests.RequestException:
            return totals
        if response.status_code != 200:
            return totals
        totals[(country, store)] = int(response.json()["total"])
        if totals[(country, store)] != expected[(country, store)] and not every:
            return totals
    return totals


def await_search_current(
    url: str, started: float, expected: dict[tuple[str | None, str | None], int], deadline_s: float
) -> dict[str, Any]:
    """Waits, until ``deadline_s`` after ``started``, for search's in_stock totals to equal ``expected``.
    Says when they did (``seconds``), or that they did not (``seconds`` None) with every total it saw last
    next to what it waited for: a bench that never ends shows nothing."""
    totals: dict[tuple[str | None, str | None], int] = {}
    while time.monotonic() - started < deadline_s:
        totals = _search_totals(url, expected)
        if totals == expected:
            return {"seconds": round(time.monotonic() - started, 2), "totals": _named(totals)}
        time.sleep(max(0.0, min(1.0, deadline_s - (time.monotonic() - started))))
    totals = _search_totals(url, expected, every=True)
    return {
        "seconds": None,
        "timed_out_after_s": deadline_s,
        "totals": _named(totals),
        "waited_for": _named(expected),
        "differ": {
            _ask_name(k): {"saw": totals.get(k), "expected": v}
            for k, v in expected.items()
            if totals.get(k) != v
        },
    }


def _named(totals: dict[tuple[str | None, str | None], int]) -> dict[str, int]:
    return {_ask_name(k): v for k, v in totals.items()}


def _ask_name(ask: tuple[str | None, str | None]) -> str:
    country, store = ask
    return f"country {country}" if country else f"store {store}" if store else "anywhere"


def _routes_ready(health: dict[str, Any]) -> bool:
    """Every route's function imported (before ``routes`` was reported: every function, the stack running)."""
    return health.get("routes", "ready" if health.get("stack") == "running" else None) == "ready"


class _Timeline:
    """When each seeding step and each function was first seen running and done (seconds from start)."""

    def __init__(self, started: float) -> None:
        self.started = started
        self.steps: dict[str, dict[str, float]] = {}
        self.functions: dict[str, float] = {}

    def see(self, health: dict[str, Any]) -> None:
        now = round(time.monotonic() - self.started, 2)
        for name, step in health.get("seeding", {}).get("steps", {}).items():
            seen = self.steps.setdefault(name, {"started_s": now})
            if step.get("state") == "done":
                seen.setdefault("done_s", now)
        for name, state in health.get("functions", {}).items():
            if state == "ready":
                self.functions.setdefault(name, now)

    def describe(self) -> dict[str, Any]:
        return {"seed_steps": self.steps, "last_function_ready_s": max(self.functions.values(), default=None)}


def one_run(products: int = PRODUCTS) -> dict[str, Any]:
    """One fresh start, measured; never raises for a stack that is slow or stuck: the run's ``outcome``
    says what it waited for and what it saw instead."""
    api_port, moto_port, stripe_port = free_port(), free_port(), free_port()
    command = [sys.executable, "-m", "infra.local", "run", "--api-port", str(api_port)]
    command += ["--moto-port", str(moto_port), "--stripe-port", str(stripe_port)]
    command += ["--seed-products", str(products)]
    expected = buyable_counts(products)
    load = os.getloadavg()[0]
    stats_file = Path(tempfile.mkdtemp(prefix="demo-seed-")) / "moto-requests.json"
    environment = {**os.environ, request_stats.STATS_VARIABLE: str(stats_file)}
    started = time.monotonic()
    process = subprocess.Popen(
        command, cwd=REPO, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{api_port}"
    timeline = _Timeline(started)
    marks: dict[str, float] = {}
    health: dict[str, Any] | None = None
    routes_tree: dict[str, float] = {}
    last_seen: dict[str, Any] | None = None
    try:
        while time.monotonic() - started < TIMEOUT_S:
            if process.poll() is not None:
                return _unfinished(load, f"the local stack exited with {process.returncode}", last_seen)
            health = _health(url)
            if health is not None:
                last_seen = health
                timeline.see(health)
                marks.setdefault("health_s", time.monotonic() - started)
                if _routes_ready(health) and "routes_s" not in marks:
                    marks["routes_s"] = time.monotonic() - started
                    # What the start cost until every route answers, whatever the machine's load did to it.
                    routes_tree = _process_tree_cpu(process.pid)
                if health.get("stack") == "running":
                    marks.setdefault("running_s", time.monotonic() - started)
                if health.get("seed") not in ("pending", None):
                    break
            # Finely until every route answers; then four times a second: /health is served by the runner,
            # whose CPU is measured, and 20 requests a second for two minutes were seconds of it.
            time.sleep(0.05 if "routes_s" not in marks else 0.25)
        else:
            return _unfinished(load, f"not seeded within {TIMEOUT_S} s", last_seen, timeline)
        assert health is not None
        seeded = time.monotonic() - started
        seeded_cpu = _cpu_seconds(process.pid)
        seeded_tree = _process_tree_cpu(process.pid)
        if health["seed"] != "done":
            return _unfinished(load, f"seed {health['seed']}", health, timeline)
        # Search is asked at once: it was asked only after the second the moto counts below need, which
        # put that second into "availability current in search".
        search = await_search_current(url, started, expected, SEARCH_CURRENT_TIMEOUT_S)
        current_tree = _process_tree_cpu(process.pid)
        # The functions the seed never reaches start once it is over: "stack": "running" comes after it.
        while "running_s" not in marks and time.monotonic() - started < TIMEOUT_S:
            if (_health(url) or {}).get("stack") == "running":
                marks["running_s"] = time.monotonic() - started
            else:
                time.sleep(0.25)
        time.sleep(1.1)  # the moto process rewrites its counts once a second
        # Until seeded, and the search checks' few calls (the in_stock totals are read from the index)
        seeded_calls = _moto_calls(stats_file)
        time.sleep(1.1)
        current_calls = _moto_calls(stats_file)
        return {
            "outcome": "search current" if search["seconds"] is not None else "search not current",
            "load_average_1m": round(load, 2),
            **{key: round(marks.get(key, seeded), 2) for key in ("health_s", "routes_s", "running_s")},
            "seeded_s": round(seeded, 2),
            "search_current_s": search["seconds"],
            "search": search,
            "seed": health["seed"],
            "cpu_s": seeded_cpu,
            "search_current_cpu_s": _cpu_seconds(process.pid),
            "tree_cpu_s": {"routes": routes_tree, "seeded": seeded_tree, "search_current": current_tree},
            "tree_cpu_total_s": {
                "routes": round(sum(routes_tree.values()), 2),
                "seeded": round(sum(seeded_tree.values()), 2),
                "search_current": round(sum(current_tree.values()), 2),
            },
            "moto_calls": {"seeded": seeded_calls, "search_current": current_calls},
            "search_in_stock_totals": search["totals"],
            "timeline": timeline.describe(),
            "steps_s": {k: v.get("seconds") for k, v in health["seeding"]["steps"].items()},
            "summaries": {k: v.get("summary") for k, v in health["seeding"]["steps"].items()},
        }
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _unfinished(
    load: float, outcome: str, health: dict[str, Any] | None, timeline: _Timeline | None = None
) -> dict[str, Any]:
    """A run that produced no seeding figure: why, and the last ``/health`` it saw (which step, which
    functions were still starting)."""
    seeding = (health or {}).get("seeding", {})
    starting = [name for name, state in (health or {}).get("functions", {}).items() if state != "ready"]
    return {
        "outcome": outcome,
        "load_average_1m": round(load, 2),
        "last_health": {
            "stack": (health or {}).get("stack"),
            "seed": (health or {}).get("seed"),
            "step": seeding.get("step"),
            "steps": seeding.get("steps"),
            "functions_not_ready": starting,
        },
        **({"timeline": timeline.describe()} if timeline else {}),
    }


def _median(runs: list[dict[str, Any]], key: str | Callable[[dict[str, Any]], Any]) -> float | None:
    values = [v for r in runs if (v := (key(r) if callable(key) else r.get(key))) is not None]
    return round(statistics.median(values), 2) if values else None


def run() -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    """``RUNS`` runs, fewer when another would end after ``BUDGET_S``: a figure late beats none."""
    runs: list[dict[str, Any]] = []
    began = time.monotonic()
    while len(runs) < RUNS:
        run_started = time.monotonic()
        runs.append(one_run())
        if time.monotonic() - began + (time.monotonic() - run_started) > BUDGET_S:
            break
    measured = [r for r in runs if "steps_s" in r]
    steps = {
        name: round(statistics.median(r["steps_s"][name] or 0.0 for r in measured), 2)
        for name in (measured[0]["steps_s"] if measured else {})
    }
    figures: dict[str, Any] = {
        "runs": runs,
        "median": {
            key: _median(measured, key)
            for key in (
                "health_s",
                "routes_s",
                "running_s",
                "seeded_s",
                "search_current_s",
                "cpu_s",
                "search_current_cpu_s",
                "load_average_1m",
            )
        },
        "median_steps_s": steps,
    }
    return figures, summary(figures)


def _phase_figure(group: str, phase: str, key: str | None = None) -> Callable[[dict[str, Any]], Any]:
    """A run's figure ``group`` -> ``phase`` (-> ``key``), for ``_median``."""

    def figure(run: dict[str, Any]) -> Any:
        value = run.get(group, {}).get(phase)
        return value.get(key) if key is not None and isinstance(value, dict) else value

    return figure


def _verdict(value: float | None, target: float) -> str:
    if value is None:
        return f"target <= {target:g} s NOT MEASURED"
    return f"target <= {target:g} s" + ("" if value <= target else " NOT MET")


def _seconds(value: float | None) -> str:
    return "none" if value is None else f"{value} s"


def summary(figures: dict[str, Any]) -> list[tuple[str, str, str]]:
    runs = figures["runs"]
    steps = figures["median_steps_s"]
    median: dict[str, float | None] = figures["median"]
    measured = [r for r in runs if "steps_s" in r]
    first: dict[str, Any] = measured[0] if measured else {"seed": None, "summaries": {}}
    outcomes = ", ".join(r["outcome"] for r in runs)
    return [
        (
            "fresh start -> /health answers",
            _seconds(median["health_s"]),
            f"{_verdict(median['health_s'], HEALTH_TARGET_S)}; median of {len(measured)} of {len(runs)} runs ({outcomes}); load average {median['load_average_1m']}",
        ),
        (
            "fresh start -> every route's function loaded",
            _seconds(median["routes_s"]),
            f'{_verdict(median["routes_s"], HEALTH_TARGET_S)} for every route; /health "routes": "ready"',
        ),
        (
            "fresh start -> every function loaded",
            _seconds(median["running_s"]),
            '/health "stack": "running": the routes\' functions first, then the event consumers (pollers run '
            "from provisioning on, their invocations waiting for the import), then, once the seed is over, the "
            "dozen it never reaches",
        ),
        (
            f"fresh start -> demo seeded ({PRODUCTS} products, promotions, network, stock)",
            _seconds(median["seeded_s"]),
            f"{_verdict(median['seeded_s'], SEEDED_TARGET_S)} on 2 cores; seed state {first['seed']}; "
            "until the cart knows every demo SKU",
        ),
        (
            "fresh start -> availability current in search",
            _seconds(median["search_current_s"]),
            f"{_verdict(median['search_current_s'], SEEDED_TARGET_S)}; in_stock=true totals anywhere, per "
            f"country and per pickup store equal the seeded stock's: {first.get('search_in_stock_totals')}",
        ),
        (
            "the runner's CPU seconds until seeded / until search is current",
            f"{_seconds(median['cpu_s'])} / {_seconds(median['search_current_cpu_s'])}",
            "user + system of the runner's own process (its API, pollers and seed); the tree's figure is below",
        ),
        (
            "CPU seconds of the whole process tree until every route answers / seeded / search is current",
            " / ".join(
                _seconds(_median(measured, _phase_figure("tree_cpu_total_s", phase)))
                for phase in ("routes", "seeded", "search_current")
            ),
            "runner, moto, fork server and every function process (the figures to compare on a shared machine)",
        ),
        (
            "moto requests until seeded / until search is current",
            " / ".join(
                str(_median(measured, _phase_figure("moto_calls", phase, "requests")))
                for phase in ("seeded", "search_current")
            ),
            "by operation and caller in the results file",
        ),
        (
            "seeding steps",
            ", ".join(f"{name} {seconds} s" for name, seconds in steps.items()),
            f"stock: {first['summaries'].get('stock')}",
        ),
    ]
