"""Search API: cold init of the search-api function (ratio to a bare boto3 client) and warm latency per route.

Runs against the local stack (embedded engine), with the demo catalog seeded through the admin API and
indexed by the search-indexer from the catalog's events through the queue poller, exactly as ``make run`` does.
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

from bench.cold_start import measure
from bench.stack import STAGE, running_stack
from infra.local.apigw import HttpRequest, build_proxy_event
from infra.local.provision import function_environment
from infra.resources import function

FUNCTION = "search-api"
PRODUCTS = 120
WARM_RUNS = 50
QUERIES = {
    "GET /search plain": "q=laptop",
    "GET /search typo": "q=lpatop",
    "GET /search transliterated": "q=noutbuk",
    "GET /search faceted listing": "facets=category,brand,price,attributes&currency=EUR",
    "GET /search/suggest prefix": "q=lap",
}


def search_event(path: str, query: str, locale: str = "en") -> dict[str, Any]:
    headers = (("Accept-Language", locale), ("Accept", "application/json"))
    request = HttpRequest(method="GET", path=path, query=query, headers=headers, body=b"")
    return build_proxy_event(request, prefix="search", stage=STAGE, claims=None)


def _event(name: str) -> dict[str, Any]:
    path = "/search/suggest" if "suggest" in name else "/search"
    return search_event(path, QUERIES[name])


def _wait_until_indexed(stack: Any, timeout_s: float = 60.0) -> int:
    from search import wiring

    # Wait until the event indexer is done (the count stops growing), so it does not compete with the
    # measured queries for the index and the CPU.
    deadline = time.monotonic() + timeout_s
    count, stable_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        now = wiring.container.search_index().count()
        if now != count:
            count, stable_since = now, time.monotonic()
        elif count >= PRODUCTS * 0.9 and time.monotonic() - stable_since > 2.0:
            return count
        time.sleep(0.5)
    return count


def run() -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    with running_stack(products=PRODUCTS) as stack:
        indexed = _wait_until_indexed(stack)
        latency: dict[str, Any] = {}
        for name in QUERIES:
            timings, status = [], 0
            stack.functions[FUNCTION].invoke(_event(name))  # warm-up: first use of this route's models
            for _ in range(WARM_RUNS):
                started = time.perf_counter()
                response = stack.functions[FUNCTION].invoke(_event(name))
                timings.append((time.perf_counter() - started) * 1000)
                status = response["statusCode"]
            total = json.loads(response["body"]).get("total")
            latency[name] = {
                "status": status,
                "total": total,
                "p50_ms": round(statistics.median(timings), 2),
                "p95_ms": round(statistics.quantiles(timings, n=20)[-1], 2),
            }
        env = function_environment(STAGE, function(FUNCTION))
        cold = measure(function(FUNCTION).handler, _event("GET /search plain"), env=env, runs=11)
    figures = {"indexed_products": indexed, "warm_latency": latency, "cold_start": cold}
    summary = [
        (
            "cold init, search-api (GET /search?q=laptop)",
            f"{cold['handler_ms_median']} ms vs {cold['baseline_ms_median']} ms bare boto3 client",
            f"ratio {cold['ratio']}",
        ),
        (
            "modules loaded at cold init",
            str(cold["modules"]),
            "forbidden: " + (", ".join(cold["forbidden_modules"]) or "none"),
        ),
    ]
    for name, figure in latency.items():
        summary.append(
            (
                f"warm {name}",
                f"p50 {figure['p50_ms']} ms, p95 {figure['p95_ms']} ms",
                f"{figure['total']} hits, {indexed} indexed",
            )
        )
    return figures, summary
