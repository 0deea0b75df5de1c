"""Cold init of every function on this tree and on an earlier commit, interleaved in one run.

``python -m bench cold_compare`` (not in the default run: it exports a second tree). ``COLD_REFERENCE`` names the
earlier commit (default: main before issue 11's first merge, the tree its "no worse than today" refers to);
``COLD_RUNS`` the runs per function (default 9); ``COLD_ONLY`` a comma-separated list of function names.

Every run starts fresh interpreters in turn: the bare ``import boto3; boto3.client('dynamodb')`` baseline, then
the reference tree and this tree in alternating order, all against one local stack. The API functions serve a
real event (bench/cold_child.py); the stream, schedule and webhook functions import their handler and build what
their first event builds (bench/build_child.py), named per tree since the reference may predate the wiring
containers. Reported per function: median wall and CPU time (user + system of the child, which a shared
machine's load disturbs far less) as ratios to the baseline's, and the modules loaded.
"""

from __future__ import annotations

import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

from bench.catalog_api import _routes, _sample
from bench.checkout import LocalShop
from bench.customers_api import PROFILE
from bench.search_api import _event as search_event
from bench.search_api import _wait_until_indexed
from bench.stack import STAGE, proxy_event, running_stack
from infra.local.provision import function_environment
from infra.resources import function

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "import boto3; boto3.client('dynamodb')"
REFERENCE = "fc925cf^1"

# function: (parts on this tree, parts on a tree from before the containers)
BUILDS: dict[str, tuple[str, str]] = {
    "catalog-events": ("publisher", "handler.publisher"),
    "catalog-stock-projector": ("repository", "adapters.repository"),
    "search-indexer": ("indexer", "adapters.indexer"),
    "inventory-events": ("store,clock,publisher", "adapters.store,adapters.clock,handler.publisher"),
    "inventory-sweeper": ("reservations", "adapters.reservations"),
    "inventory-reconciler": (
        "clock,holds_reconciler,publisher",
        "adapters.clock,adapters.holds_reconciler,adapters.events_client,adapters.settings",
    ),
    "cart-catalog-projector": ("projection", "adapters.projection"),
    "stripe-webhooks": (
        "webhook_secret,settings,stripe_event_idempotency,payment_events",
        "adapters.webhook_secret,adapters.settings,adapters.idempotency_store:stripe-events,adapters.payment_events",
    ),
    "checkout-events": (
        "store,clock,publisher,fulfilment",
        "adapters.store,adapters.clock,handler.publisher,adapters.fulfilment",
    ),
    "checkout-sweeper": (
        "clock,store,payment_events",
        "adapters.clock,adapters.store,adapters.payment_events",
    ),
    "checkout-reconciler": (
        "clock,payments_reconciler,publisher",
        "adapters.clock,adapters.payments_reconciler,adapters.events_client,adapters.settings",
    ),
}


def _export(revision: str, into: Path) -> Path:
    archive = subprocess.run(["git", "archive", revision], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def _environment(tree: Path, name: str) -> dict[str, str]:
    path = os.pathsep.join([str(tree / "layers/kernel/python"), str(tree / "functions")])
    env = {**os.environ, **function_environment(STAGE, function(name)), "PYTHONPATH": path}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _timed(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False, cwd=cwd)
    wall = (time.perf_counter() - start) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = ((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)) * 1000
    if done.returncode != 0:
        raise RuntimeError(f"{argv} failed: {done.stderr[-3000:]}")
    return wall, cpu, done.stdout


def _compare(
    label: str, name: str, trees: dict[str, Path], argv_of: Callable[[str], list[str]], runs: int
) -> dict:
    wall: dict[str, list[float]] = {"baseline": [], "reference": [], "head": []}
    cpu: dict[str, list[float]] = {"baseline": [], "reference": [], "head": []}
    modules: dict[str, int] = {}
    answers: dict[str, set[str]] = {"reference": set(), "head": set()}
    baseline = [sys.executable, "-c", BASELINE]
    for tree in trees:  # one warm-up each, so every tree reads compiled bytecode as a deployed package does
        _timed(argv_of(tree), _environment(trees[tree], name), trees[tree])
    _timed(baseline, _environment(ROOT, name), ROOT)
    for run in range(runs):
        w, c, _ = _timed(baseline, _environment(ROOT, name), ROOT)
        wall["baseline"].append(w)
        cpu["baseline"].append(c)
        for tree in ("reference", "head") if run % 2 == 0 else ("head", "reference"):
            w, c, out = _timed(argv_of(tree), _environment(trees[tree], name), trees[tree])
            wall[tree].append(w)
            cpu[tree].append(c)
            reported = json.loads(out.strip().splitlines()[-1])
            modules[tree] = reported["modules"]
            answers[tree].add(str(reported.get("status", "-")))
    mw = {k: statistics.median(v) for k, v in wall.items()}
    mc = {k: statistics.median(v) for k, v in cpu.items()}
    return {
        "function": label,
        "baseline_ms": round(mw["baseline"], 1),
        "wall_ratio_reference": round(mw["reference"] / mw["baseline"], 3),
        "wall_ratio_head": round(mw["head"] / mw["baseline"], 3),
        "cpu_ratio_reference": round(mc["reference"] / mc["baseline"], 3),
        "cpu_ratio_head": round(mc["head"] / mc["baseline"], 3),
        "modules_reference": modules["reference"],
        "modules_head": modules["head"],
        # what the served event answered on each tree: a ratio compares like with like only when both served it
        "answers_reference": sorted(answers["reference"]),
        "answers_head": sorted(answers["head"]),
    }


def _from_new_address(event: dict[str, Any]) -> dict[str, Any]:
    identity = event.setdefault("requestContext", {}).setdefault("identity", {})
    identity["sourceIp"] = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
    return event


def _event_file(event: dict[str, Any]) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(event, fh)
        return fh.name


def run() -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    reference = os.environ.get("COLD_REFERENCE", REFERENCE)
    runs = int(os.environ.get("COLD_RUNS", "9"))
    only = {n for n in os.environ.get("COLD_ONLY", "").split(",") if n}
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp, running_stack(products=12) as stack:
        trees = {"reference": _export(reference, Path(tmp)), "head": ROOT}
        shop = LocalShop(stack)
        sample = _sample(stack)
        _wait_until_indexed(stack)
        cart_token = shop.filled_cart()
        order_token = shop.filled_cart()
        placed = shop.invoke("checkout-api", shop.checkout_event(order_token))
        order_path = f"/checkout/orders/{placed['body']['order']['id']}"
        # a customer with a profile and a cart: customers-api and a member's priced cart answer 200
        shop.invoke("customers-api", proxy_event("PUT", "/me/profile", body=PROFILE, role="customers"))
        line = {"sku": shop.sku, "quantity": 1}
        shop.invoke("cart-api", proxy_event("POST", "/me/cart/lines", body=line, role="customers"))
        api: dict[str, tuple[str, Callable[[], dict[str, Any]]]] = {  # label: (function, event)
            "catalog-api GET /catalog/products/{id}": (
                "catalog-api",
                lambda: _routes(sample)["GET product by id"],
            ),
            "search-api GET /search?q=laptop": ("search-api", lambda: search_event("GET /search plain")),
            "inventory-api GET /inventory/availability/{sku}": (
                "inventory-api",
                lambda: proxy_event("GET", f"/inventory/availability/{shop.sku}"),
            ),
            "cart-api GET /cart": (
                "cart-api",
                lambda: proxy_event("GET", "/cart", headers={"X-Cart-Token": cart_token}),
            ),
            "cart-api GET /me/cart (a member: points shown)": (
                "cart-api",
                lambda: proxy_event("GET", "/me/cart", role="customers"),
            ),
            "loyalty-api GET /me/loyalty": (
                "loyalty-api",
                lambda: proxy_event("GET", "/me/loyalty", role="customers"),
            ),
            "customers-api GET /me/profile": (
                "customers-api",
                lambda: proxy_event("GET", "/me/profile", role="customers"),
            ),
            "checkout-api GET /checkout/orders/{id}": (
                "checkout-api",
                lambda: proxy_event("GET", order_path, headers={"X-Cart-Token": order_token}),
            ),
            # a write: every run checks out a new cart with a new Idempotency-Key
            # from an address of its own: every attempt counts against its address (decision 29), and runs from
            # one address were answered 429 after the first few, which the ratio then measured
            "checkout-api POST /checkout": (
                "checkout-api",
                lambda: _from_new_address(shop.checkout_event(shop.filled_cart())),
            ),
        }
        for label, (name, event_of) in api.items():
            if only and name not in only:
                continue
            fixed = None if label.startswith("checkout-api POST") else _event_file(event_of())
            handler = function(name).handler

            def served(
                tree: str, handler: str = handler, fixed: str | None = fixed, event_of: Any = event_of
            ) -> list[str]:
                path = fixed or _event_file(event_of())
                return [sys.executable, str(trees[tree] / "bench/cold_child.py"), handler, path]

            rows.append(_compare(label, name, trees, served, runs))
        for name, (head_parts, reference_parts) in BUILDS.items():
            if only and name not in only:
                continue
            handler = function(name).handler

            def built(
                tree: str, handler: str = handler, h: str = head_parts, r: str = reference_parts
            ) -> list[str]:
                tree_root = trees[tree]
                context = handler.split(".")[0]
                parts = h if (tree_root / "functions" / context / "wiring.py").exists() else r
                return [sys.executable, str(ROOT / "bench/build_child.py"), handler, parts]

            rows.append(_compare(f"{name} (import + first event's parts)", name, trees, built, runs))
    summary = [
        (
            f"cold init, {row['function']}",
            f"CPU ratio {row['cpu_ratio_reference']} -> {row['cpu_ratio_head']}; "
            f"wall ratio {row['wall_ratio_reference']} -> {row['wall_ratio_head']}",
            f"reference `{reference}` -> this tree; modules {row['modules_reference']} -> {row['modules_head']}"
            + (
                ""
                if row["answers_reference"] == row["answers_head"]
                else f"; NOT COMPARABLE: answered {row['answers_reference']} -> {row['answers_head']}"
            ),
        )
        for row in rows
    ]
    return {"reference": reference, "runs": runs, "functions": rows}, summary
