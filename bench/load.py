"""Load: 64 concurrent clients for 30 s through the local API, as a small load test of a storefront.

Starts ``python -m infra.local run`` in a subprocess on free loopback ports (the runner a developer
starts, seeded as ``make run`` seeds it), stocks a few seeded SKUs through the ops API, then runs
``CLIENTS`` client threads for ``DURATION_S``. Each client keeps one HTTP/1.1 connection, as a browser
or a storefront's backend does, and loops over a shopper's mix: search (with and without a query),
catalog reads (category tree, a category page, a product) and guest cart adds into its own cart.

Counted per route: requests, status classes, p50/p95/p99/max latency; overall: dropped connections
(reset, refused, closed without an answer), timeouts and 5xx. A dropped connection is never retried
silently: it is counted, then the client reconnects. Results go to ``bench/results/load.json``.

The short version (64 clients x 3 s against the e2e stack) is ``tests/e2e/test_local_stack.py``.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

CLIENTS = 64
DURATION_S = 30.0
SEED_PRODUCTS = 120
REQUEST_TIMEOUT_S = 60.0  # a request waiting longer than this counts as a timeout, not as an answer
STOCK_SKUS = 12
STARTUP_TIMEOUT_S = 300.0
REPO_ROOT = Path(__file__).resolve().parents[1]
SEARCH_WORDS = ("laptop", "phone", "headphones", "noutbuk", "lpatop", "black", "pro")
DROPPED = (ConnectionResetError, ConnectionAbortedError, BrokenPipeError, ConnectionRefusedError)


@dataclass(frozen=True)
class Targets:
    """What the clients ask for, discovered from the running API."""

    categories: tuple[str, ...]
    products: tuple[str, ...]
    skus: tuple[str, ...]


@dataclass
class Tally:
    """Everything one client saw; merged at the end (no lock on the hot path)."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    dropped: Counter[str] = field(default_factory=Counter)
    timeouts: int = 0
    server_errors: list[str] = field(default_factory=list)


class Client:
    """One shopper's connection: keep-alive, reconnects after a dropped connection (and counts it)."""

    def __init__(self, api: str, tally: Tally) -> None:
        parts = urlsplit(api)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.tally = tally
        self.connection: http.client.HTTPConnection | None = None

    def request(
        self, route: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any, dict[str, str]] | None:
        sent = {"Accept": "application/json", **(headers or {})}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        started = time.perf_counter()
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=REQUEST_TIMEOUT_S)
            self.connection.request(method, path, body=payload, headers=sent)
            response = self.connection.getresponse()
            raw = response.read()
            answer_headers = {k.lower(): v for k, v in response.getheaders()}
            if response.will_close:
                self._close()
        except TimeoutError:
            self.tally.timeouts += 1
            self._close()
            return None
        except (*DROPPED, http.client.RemoteDisconnected, http.client.BadStatusLine) as exc:
            self.tally.dropped[type(exc).__name__] += 1
            self._close()
            return None
        self.tally.latencies[route].append((time.perf_counter() - started) * 1000)
        self.tally.statuses[route][response.status] += 1
        if response.status >= 500:
            self.tally.server_errors.append(f"{method} {path} {response.status} {raw[:200]!r}")
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        return response.status, parsed, answer_headers

    def _close(self) -> None:
        if self.connection is not None:
            self.connection.close()
        self.connection = None


def shopper(api: str, targets: Targets, deadline: float, seed: int) -> Tally:
    """One client's loop until ``deadline``: 40 % search, 40 % catalog reads, 20 % cart adds."""
    rng = random.Random(seed)
    tally = Tally()
    client = Client(api, tally)
    cart_token: str | None = None
    while time.monotonic() < deadline:
        roll = rng.random()
        if roll < 0.3:
            word = rng.choice(SEARCH_WORDS)
            client.request("GET /search?q=", "GET", f"/search?q={quote(word)}&limit=20")
        elif roll < 0.4:
            client.request("GET /search (listing)", "GET", "/search?limit=20&facets=category,brand,price")
        elif roll < 0.5:
            client.request("GET /catalog/categories", "GET", "/catalog/categories")
        elif roll < 0.65:
            category = quote(rng.choice(targets.categories))
            client.request(
                "GET /catalog/categories/{id}/products", "GET", f"/catalog/categories/{category}/products"
            )
        elif roll < 0.8:
            product = quote(rng.choice(targets.products))
            client.request("GET /catalog/products/{id}", "GET", f"/catalog/products/{product}")
        else:
            if cart_token is None:
                created = client.request(
                    "POST /cart", "POST", "/cart", {"currency": "EUR", "destination_country": "DE"}
                )
                if created is None or created[0] != 201:
                    continue
                cart_token = created[1]["token"]
            client.request(
                "POST /cart/lines",
                "POST",
                "/cart/lines",
                {"sku": rng.choice(targets.skus), "quantity": 1},
                headers={"X-Cart-Token": cart_token},
            )
    client._close()
    return tally


def drive(
    api: str, targets: Targets, clients: int = CLIENTS, duration_s: float = DURATION_S
) -> dict[str, Any]:
    """Runs ``clients`` shoppers at once for ``duration_s`` against ``api``; returns the figures."""
    if urlsplit(api).hostname not in ("127.0.0.1", "localhost"):
        raise ValueError("the load test only runs against the local stack on the loopback interface")
    tallies: list[Tally] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    deadline_box: list[float] = []

    def run(index: int) -> None:
        start.wait()
        tally = shopper(api, targets, deadline_box[0], seed=index)
        with lock:
            tallies.append(tally)

    threads = [threading.Thread(target=run, args=(i,), name=f"shopper-{i}") for i in range(clients)]
    for thread in threads:
        thread.start()
    deadline_box.append(time.monotonic() + duration_s)
    began = time.monotonic()
    start.wait()
    for thread in threads:
        # Bounded: a client stops starting requests at the deadline; one still waiting ends by its timeout.
        thread.join(timeout=duration_s + REQUEST_TIMEOUT_S + 10)
    wall_s = time.monotonic() - began
    return summarise(tallies, clients, duration_s, wall_s, unfinished=sum(t.is_alive() for t in threads))


def _percentile(values: list[float], q: float) -> float:
    if len(values) == 1:
        return round(values[0], 1)
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1], 1)


def summarise(
    tallies: list[Tally], clients: int, duration_s: float, wall_s: float, unfinished: int = 0
) -> dict[str, Any]:
    latencies: dict[str, list[float]] = defaultdict(list)
    statuses: dict[str, Counter[int]] = defaultdict(Counter)
    dropped: Counter[str] = Counter()
    for tally in tallies:
        for route, values in tally.latencies.items():
            latencies[route].extend(values)
        for route, counts in tally.statuses.items():
            statuses[route].update(counts)
        dropped.update(tally.dropped)
    every = [value for values in latencies.values() for value in values]
    routes = {
        route: {
            "requests": len(values),
            "statuses": {str(code): n for code, n in sorted(statuses[route].items())},
            "p50_ms": _percentile(values, 50),
            "p95_ms": _percentile(values, 95),
            "p99_ms": _percentile(values, 99),
            "max_ms": round(max(values), 1),
        }
        for route, values in sorted(latencies.items())
    }
    server_errors = [line for tally in tallies for line in tally.server_errors]
    return {
        "clients": clients,
        "duration_s": duration_s,
        "wall_s": round(wall_s, 1),
        "requests": len(every),
        "throughput_rps": round(len(every) / wall_s, 1) if wall_s else 0.0,
        "errors_5xx": len(server_errors),
        "client_errors_4xx": sum(n for c in statuses.values() for code, n in c.items() if 400 <= code < 500),
        "dropped_connections": sum(dropped.values()),
        "dropped_by_kind": dict(dropped),
        "timeouts": sum(t.timeouts for t in tallies),
        "clients_unfinished": unfinished,
        "p50_ms": _percentile(every, 50) if every else None,
        "p95_ms": _percentile(every, 95) if every else None,
        "p99_ms": _percentile(every, 99) if every else None,
        "routes": routes,
        "server_error_samples": server_errors[:10],
    }


def _get(api: str, path: str, headers: dict[str, str] | None = None) -> Any:
    client = Client(api, Tally())
    answer = client.request(path, "GET", path, headers=headers)
    client._close()
    if answer is None or answer[0] != 200:
        raise RuntimeError(f"GET {path}: {answer}")
    return answer[1]


def _ids(tree: Any) -> list[str]:
    """Every category id in the tree answer, children included."""
    found: list[str] = []
    items = tree.get("items", []) if isinstance(tree, dict) else tree
    for item in items or []:
        found.append(item["id"])
        found.extend(_ids({"items": item.get("children") or []}))
    return found


def discover(api: str, products: int = 20) -> Targets:
    """Category ids, product ids and SKUs from the running API (what a storefront would follow)."""
    categories = _ids(_get(api, "/catalog/categories"))
    hits = _get(api, f"/search?limit={products}")["items"]
    product_ids = [hit["id"] for hit in hits]
    skus: list[str] = []
    for product_id in product_ids[:STOCK_SKUS]:
        product = _get(api, f"/catalog/products/{quote(product_id)}")
        skus.append(product["variants"][0]["sku"])
    if not (categories and product_ids and skus):
        raise RuntimeError("the local stack has no seeded catalog to load-test")
    return Targets(tuple(categories), tuple(product_ids), tuple(skus))


def stock_up(
    api: str, skus: tuple[str, ...], ops_token: str, location: str | None = None, on_hand: int = 1_000_000
) -> None:
    """Plenty of every SKU the clients add, in ``location`` (a new bench warehouse when None), and a cart
    that takes them (waits until the catalog's events reached the cart: the first add answers 200)."""
    client = Client(api, Tally())
    auth = {"Authorization": f"Bearer {ops_token}"}
    if location is None:
        location = "load-dc"
        warehouse = {
            "kind": "warehouse",
            "name": {"en": "Load test DC", "uk": "Склад навантаження"},
            "address": {"line1": "Promyslova 1", "city": "Berlin", "country": "DE"},
            "timezone": "Europe/Berlin",
            "opening_hours": {"mon": [{"opens": "09:00", "closes": "18:00"}]},
            "carrier_cutoff": "15:00",
        }
        client.request("setup", "PUT", f"/admin/inventory/locations/{location}", warehouse, headers=auth)
    for sku in skus:
        path = f"/admin/inventory/stock/{quote(sku)}/{location}"
        answer = client.request("setup", "PUT", path, {"on_hand": on_hand}, headers=auth)
        if answer is not None and answer[0] == 428:
            # The level exists already: set it with the ETag of what is there, as an operator would.
            levels = client.request("setup", "GET", f"/admin/inventory/stock/{quote(sku)}", headers=auth)
            level = next(
                (
                    lv
                    for lv in (levels[1] if levels else {}).get("levels", [])
                    if lv.get("location_id") == location
                ),
                None,
            )
            if level is not None:
                matched = {**auth, "If-Match": f'"{level["version"]}"'}
                answer = client.request("setup", "PUT", path, {"on_hand": on_hand}, headers=matched)
        if answer is None or answer[0] not in (200, 201):
            raise RuntimeError(f"stocking {sku}: {answer}")
    created = client.request("setup", "POST", "/cart", {"currency": "EUR", "destination_country": "DE"})
    if created is None or created[0] != 201:
        raise RuntimeError(f"creating a cart: {created}")
    token = {"X-Cart-Token": created[1]["token"]}
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    pending = list(skus)
    while pending and time.monotonic() < deadline:
        answer = client.request(
            "setup", "POST", "/cart/lines", {"sku": pending[0], "quantity": 1}, headers=token
        )
        if answer is not None and answer[0] == 200:
            pending.pop(0)
        else:
            time.sleep(0.2)
    client._close()
    if pending:
        raise RuntimeError(f"the cart never took {pending}: the catalog's events did not reach it")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_seeded(api: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the local stack exited with {process.returncode}")
        try:
            health = _get(api, "/health")
        except (RuntimeError, OSError):
            health = None
        # Seeded, and every function loaded (those the seed never reaches load once it is over): no import
        # competes with the load for the CPU.
        if health and health.get("seed") not in (None, "pending") and health.get("stack") != "starting":
            return
        time.sleep(0.5)
    raise RuntimeError("the local stack did not finish seeding in time")


def run() -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    from infra.local import ENDPOINT_VARIABLES, tokens

    state = Path(tempfile.mkdtemp(prefix="shop-load-"))
    os.environ["SHOP_LOCAL_DIR"] = str(state)  # the tokens signed here are the ones the stack trusts
    tokens._load_private_key.cache_clear()
    api_port = _free_port()
    api = f"http://127.0.0.1:{api_port}"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for variable in ENDPOINT_VARIABLES:
        env.pop(variable, None)
    command = [sys.executable, "-m", "infra.local", "run", "--api-port", str(api_port)]
    command += ["--moto-port", str(_free_port()), "--seed-products", str(SEED_PRODUCTS)]
    log = state / f"run-{uuid.uuid4().hex[:6]}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        _wait_until_seeded(api, process)
        targets = discover(api)
        stock_up(api, targets.skus, tokens.issue_token("ops"))
        figures = drive(api, targets)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    figures["seed_products"] = SEED_PRODUCTS
    summary = [
        (
            f"{CLIENTS} clients x {DURATION_S:.0f} s: requests",
            f"{figures['requests']} ({figures['throughput_rps']}/s)",
            "search, catalog reads, guest cart adds through the local API",
        ),
        ("dropped connections", str(figures["dropped_connections"]), "target 0"),
        ("5xx answers", str(figures["errors_5xx"]), "target 0"),
        ("timeouts", str(figures["timeouts"]), f"no answer within {REQUEST_TIMEOUT_S:.0f} s"),
        (
            "latency p50 / p95 / p99",
            f"{figures['p50_ms']} / {figures['p95_ms']} / {figures['p99_ms']} ms",
            "all routes",
        ),
    ]
    summary += [
        (f"p95 {route}", f"{numbers['p95_ms']} ms", f"{numbers['requests']} requests")
        for route, numbers in figures["routes"].items()
    ]
    return figures, summary
