"""Assembles the local stack in order and takes it down in reverse.

start: local API (``/health`` says ``"stack": "starting"``) -> moto (processes of its own: DynamoDB and its
streams in one, the other services in the other; ``moto_server``) -> Stripe (the
stand-in, ``STRIPE_API_BASE``; see ``stripe_wiring``) -> the carrier stand-in (``CARRIER_STANDIN_URL``;
``carrier_wiring``) -> one process per function, each with only its own environment (see ``functions``):
the routes' functions import their handlers (forked from a thread) while -> a fresh search index (moto's
tables are new, so the index must be too) -> provision (from the specs) -> Stripe's key and webhook secret
and the carrier's webhook key in Secrets Manager -> pollers and the demo seed; once the routes' functions
are ready (``"routes": "ready"``) -> the event consumers' processes -> once the demo seed is over, the
others' (``"stack": "running"``; one invoked before starts then, as a cold start).
stop: warehouse stand-in -> API -> pollers -> functions -> Stripe -> carrier -> moto. A function whose handler cannot be imported
is reported (log and ``/health``) and its routes answer 502, so the rest of the stack still runs. The
seeding steps that write a table directly name it explicitly (``physical_name``): the runner's environment
holds no function's variables. Seeding (promotions, locations, stock, catalog, then the wait for the
catalog's events to reach the cart) runs while the API already answers; ``/health`` says ``"seed":
"pending"`` until it is done and ``seeding`` shows each step's state, seconds and progress.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import boto3

from infra.local import ACCOUNT_ID, DEFAULT_STAGE, REGION, REPO_ROOT, request_stats
from infra.local.api import LocalApi, LocalGateway
from infra.local.carrier_wiring import LocalCarrier, start_carrier
from infra.local.functions import FunctionError, LocalFunction, start_fork_server
from infra.local.lambda_tasks import LAMBDA_ENDPOINT_VARIABLE, FunctionFailed, LambdaEndpoint
from infra.local.moto_server import DEFAULT_MOTO_PORT, MotoProcess, choose_port, free_port
from infra.local.pollers import EventLogPrinter, ScheduleTimer, SqsPoller, StreamPoller
from infra.local.provision import discard_search_index, provision
from infra.local.stripe_wiring import LocalStripe, start_stripe
from infra.local.tokens import issue_token
from infra.local.warehouse_standin import WarehouseConfig, WarehouseStandin
from infra.resources import API_ROUTES, EVENT_LOG_TARGET, FUNCTIONS, FunctionSpec, physical_name

log = logging.getLogger("infra.local")

DEFAULT_API_PORT = 3000
WAREHOUSE_QUEUE = "warehouse-requests"  # the fulfilment-requests-to-warehouse rule's target
SEED_MODULE = "infra.local.seed_catalog"
STOCK_AHEAD_TIMEOUT_S = 20.0  # the longest the catalog seed waits for a chunk's stock to be projected
PROMOTIONS_SEED_MODULE = "infra.local.seed_promotions"
NETWORK_SEED_MODULE = "infra.local.seed_network"
# The seed's events have been applied everywhere when no poller is delivering, every stream has been read
# empty since the last delivery ended (a stream is read at least once a second: IDLE_INTERVAL_S), and no
# polled queue holds anything a poller will still deliver: waiting, received and not yet deleted, delayed.
# (It was half a second after the last delivery: a long-poll receive answers a message as it arrives and
# its poller marks itself working a moment later; the queue counts that message as not visible at once.)
QUEUE_DEPTH_ATTRIBUTES = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)
# The console's event log reads its queue at most twice a second unless a batch is full.
EVENT_LOG_REST_S = 0.5


class SeedProgress:
    """What the seed has done so far, for ``/health``: each step's state, seconds and summary."""

    def __init__(self, state: str) -> None:
        self.state = state
        self.current: str | None = None
        self.steps: dict[str, dict[str, Any]] = {}
        self.examples: dict[str, list[str]] = {}
        self._started = 0.0
        self._finished: float | None = None
        self._lock = threading.Lock()

    def begin(self) -> None:
        self.state, self._started = "running", time.monotonic()

    def finish(self) -> None:
        self.state, self.current, self._finished = "done", None, time.monotonic()

    def elapsed_s(self) -> float:
        if not self._started:
            return 0.0
        return round((self._finished or time.monotonic()) - self._started, 2)

    @contextmanager
    def step(self, name: str) -> Iterator[Callable[[Any], None]]:
        started = time.monotonic()
        with self._lock:
            self.current = name
            self.steps[name] = {"state": "running"}

        def record(summary: Any) -> None:
            with self._lock:
                self.steps[name]["summary"] = summary

        try:
            yield record
        except BaseException:
            with self._lock:
                self.steps[name]["state"] = "failed"
            raise
        with self._lock:
            self.steps[name].update(state="done", seconds=round(time.monotonic() - started, 2))

    def progress(self, name: str, done: int, total: int) -> None:
        with self._lock:
            self.steps.setdefault(name, {"state": "running"})["progress"] = f"{done}/{total}"

    def summaries(self) -> dict[str, Any]:
        return {name: step.get("summary") for name, step in self.steps.items()}

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {
                "state": self.state,
                "step": self.current,
                "elapsed_s": self.elapsed_s(),
                "steps": {name: dict(step) for name, step in self.steps.items()},
                **({"examples": self.examples} if self.examples else {}),
            }


class Poller(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...


@dataclass(frozen=True)
class Options:
    stage: str = DEFAULT_STAGE
    api_port: int | None = None
    moto_port: int | None = None
    stripe_port: int | None = None
    seed: bool = True
    seed_products: int = 240
    print_event_log: bool = True


def _consumes_events(spec: FunctionSpec) -> bool:
    """A stream or queue consumer: the seed's events flow through these, so they start right after the
    routes' functions."""
    return spec.stream is not None or spec.queue is not None


def compile_sources() -> None:
    """Writes the bytecode of our own packages that is missing or stale, once, before the processes start.

    ``make`` exports ``PYTHONDONTWRITEBYTECODE`` (no ``__pycache__`` written as a side effect), so without
    this every function process compiled the kernel and its context from source at every start, 41 times
    over: compiling was about half of a handler's import. A file changed since is compiled again here;
    Python checks each ``.pyc`` against its source anyway. The libraries' bytecode comes from
    ``uv sync --compile-bytecode`` (``make install``)."""
    import compileall

    for folder in (REPO_ROOT / "layers" / "kernel" / "python", REPO_ROOT / "functions", REPO_ROOT / "infra"):
        compileall.compile_dir(folder, quiet=1, workers=1)


def _queues_empty(sqs: Any, urls: list[str]) -> bool:
    for url in urls:
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(QUEUE_DEPTH_ATTRIBUTES))
        if any(int(attributes["Attributes"].get(name, "0")) for name in QUEUE_DEPTH_ATTRIBUTES):
            return False
    return True


class LocalStack:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.moto: MotoProcess | None = None
        self.api: LocalApi | None = None
        self.stripe: LocalStripe | None = None
        self.carrier: LocalCarrier | None = None
        self.resources: dict[str, Any] = {}
        self.functions: dict[str, LocalFunction] = {}
        self.failed_functions: dict[str, str] = {}
        self.pollers: list[Poller] = []
        self.lambda_endpoint: LambdaEndpoint | None = None
        self.warehouse: WarehouseStandin | None = None
        # "pending" until every step is done ("done", "failed"); ``seeding`` says which step runs.
        self.seed_state = "pending" if options.seed else "skipped"
        self.seeding = SeedProgress("pending" if options.seed else "skipped")
        self.stack_state = "starting"
        self.routes_state = "starting"
        self._stopping = False
        self._awaiting: threading.Thread | None = None
        self._starter: threading.Thread | None = None
        self._pollers_of: dict[str, list[Poller]] = {}
        # Set once the demo seed has ended (at once without one): the functions the seed does not reach
        # start then, so their imports do not take the seed's CPU (see _await_functions).
        self._seed_over = threading.Event()
        if not options.seed:
            self._seed_over.set()

    def start(self) -> None:
        stage = self.options.stage
        # The API listens first, so /health answers ("stack": "starting") while moto, the resources and
        # the functions come up; a route whose function is not loaded yet answers 502 naming /health.
        api_port = choose_port(self.options.api_port, DEFAULT_API_PORT, "the API")
        gateway = LocalGateway(stage, self.functions, health=self.health)
        self.api = LocalApi(gateway, api_port)
        self.api.start()
        compile_sources()
        # The fork server imports the functions' libraries while moto and the resources come up.
        start_fork_server()
        # Workflow lambda:invoke tasks reach the functions' processes through Lambda's Invoke API here;
        # moto's process learns the endpoint from its environment (infra.local.lambda_tasks).
        self.lambda_endpoint = LambdaEndpoint(stage, self._invoke_task)
        self.lambda_endpoint.start()
        os.environ[LAMBDA_ENDPOINT_VARIABLE] = self.lambda_endpoint.url
        # moto starts in its own process; its endpoint is in the environment from here on.
        if request_stats.enabled():
            # The runner's own clients (pollers, seed) name their thread on each request to moto.
            boto3.setup_default_session()
            boto3.DEFAULT_SESSION.events.register("before-send", request_stats.caller_tag())  # type: ignore[union-attr]
        # DynamoDB and its streams in a second moto process (``moto_server``), on any free port: the stack's
        # SDKs learn it from the environment, and the first process forwards what reaches it anyway.
        moto = MotoProcess(choose_port(self.options.moto_port, DEFAULT_MOTO_PORT, "moto"), free_port())
        self.moto = moto
        moto.start()
        # Stripe's endpoint goes into the functions' environments too; its secrets wait for provision.
        self.stripe = start_stripe(stage, api_port, self.options.stripe_port, store=False)
        # The carrier stand-in likewise: its URL for the functions now, its webhook key after provision.
        self.carrier = start_carrier(stage, api_port, store=False)
        # The routes' functions import their handlers while moto starts and the resources are made:
        # handlers touch no AWS resource at import, and no route reaches a function before provision is
        # done. The fork server forks them one after another (after its own imports), so they are started
        # from a thread of their own: provisioning, on the routes' critical path too, does not wait.
        starting = self._create_functions()
        self._starter = threading.Thread(
            target=self._start_routes_functions, args=(starting,), name="start-functions", daemon=True
        )
        self._starter.start()
        moto.wait_ready()
        # moto is in memory: its tables start empty, so the index on disk must too (see provision).
        discard_search_index(stage)
        self.resources = provision(stage)
        self.stripe.store_credentials(stage)
        self.carrier.store_credentials(stage)
        # From here routes, pollers and workflow tasks reach every function; an invocation of one still
        # importing waits for it, as a request waits for a Lambda cold start. Stream pollers are positioned
        # now, so no record written from here on is missed while their function imports.
        self.functions.update(starting)
        self._start_pollers()
        self._awaiting = threading.Thread(
            target=self._await_functions, args=(starting,), name="await-functions", daemon=True
        )
        self._awaiting.start()
        log.info("local API on %s", self.api.url)

    def wait_running(self, timeout_s: float | None = None) -> None:
        """Until every function has imported its handler (or failed to): ``"stack": "running"``."""
        if self._awaiting is not None:
            self._awaiting.join(timeout_s)

    def _invoke_task(self, name: str, payload: Any) -> Any:
        """A workflow task's invocation of function ``name`` (from moto's Step Functions interpreter)."""
        function = self.functions.get(name)
        if function is None:
            reason = self.failed_functions.get(name, "not started yet")
            raise FunctionFailed("Runtime.Unavailable", f"{name} is not running: {reason}")
        return function.invoke(payload)

    def _create_functions(self) -> dict[str, LocalFunction]:
        """Every function, none started yet: pollers and workflow tasks can be given them at once; an
        invocation of one not started yet starts it, and one still importing waits for it, as for a Lambda
        cold start."""
        starting: dict[str, LocalFunction] = {}
        for spec in FUNCTIONS:
            try:
                starting[spec.name] = LocalFunction(self.options.stage, spec, start=False)
            except Exception as exc:
                self._failed_to_load(spec.name, spec.handler, exc)
        return starting

    def _start_routes_functions(self, starting: dict[str, LocalFunction]) -> None:
        """Starts the processes of the functions the API routes need (each imports its handler on its own).
        On 2 cores, 29 imports at once (routes and event consumers) made every route wait for all of them
        and for the provisioning they slowed down; the consumers start once the routes' functions are in."""
        routed = {route.function for route in API_ROUTES}
        for name, function in starting.items():
            if name in routed and not self._stopping:
                self._start_function(name, function)

    def _start_function(self, name: str, function: LocalFunction) -> None:
        try:
            function.start()
        except Exception as exc:  # its wait then fails, and it is taken off the routes and pollers
            self._failed_to_load(name, function.spec.handler, exc)

    def _await_functions(self, starting: dict[str, LocalFunction]) -> None:
        """Waits for the routes' functions to import (``"routes": "ready"``), then starts the event consumers
        (the seed's events flow through them; their pollers run from provisioning on) and waits for them,
        then, once the demo seed has ended, the others (schedules, workflow tasks, triggers): the seed
        reaches none of them, and their imports (a fifth of a core-second each, a dozen of them) took the
        seed's CPU on 2 cores. One invoked meanwhile starts then, as a Lambda cold start. A function that
        cannot import is taken off the routes and pollers. Then ``"stack": "running"``."""
        routed = [name for name in starting if name in {route.function for route in API_ROUTES}]
        if self._starter is not None:
            self._starter.join()
        for name in routed:
            self._await_function(name, starting[name])
        self.routes_state = "ready"
        consumers = [
            name for name in starting if name not in routed and _consumes_events(starting[name].spec)
        ]
        later = [name for name in starting if name not in routed and name not in consumers]
        self._start_wave(consumers, starting)
        while not self._seed_over.wait(0.5):
            if self._stopping:
                return
        self._start_wave(later, starting)
        if not self._stopping:
            self.stack_state = "running"

    def _start_wave(self, names: list[str], starting: dict[str, LocalFunction]) -> None:
        """Starts these functions together, then waits for each to import."""
        for name in names:
            if not self._stopping:
                self._start_function(name, starting[name])
        for name in names:
            self._await_function(name, starting[name])

    def _await_function(self, name: str, function: LocalFunction) -> None:
        if name not in self.failed_functions:  # else its process could not even be started
            try:
                function.wait_ready()
                return
            except FunctionError as exc:
                if self._stopping:
                    return
                self._failed_to_load(name, function.spec.handler, exc)
        self.functions.pop(name, None)
        for poller in self._pollers_of.pop(name, []):
            poller.stop()

    def _failed_to_load(self, name: str, handler: str, exc: Exception) -> None:
        # A FunctionError names the exception the handler's import raised in its own process.
        kind = exc.error_type if isinstance(exc, FunctionError) else type(exc).__name__
        detail = exc.message if isinstance(exc, FunctionError) else str(exc)
        self.failed_functions[name] = f"{kind}: {detail}"
        log.error("cannot load %s (%s): %s", name, handler, exc)

    def _start_pollers(self) -> None:
        for name, function in self.functions.items():
            trigger = function.spec.stream
            if trigger is None:
                continue
            stream_arn = self.resources["tables"][trigger.table]["stream_arn"]
            self._add_poller(name, StreamPoller(function, stream_arn, self.resources["dlqs"][name]["url"]))
        for name, function in self.functions.items():
            if function.spec.schedule_minutes is not None:
                rule_arn = f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{function.physical_name}-schedule"
                dlq_url = self.resources["dlqs"][function.spec.name]["url"]
                minutes = function.spec.schedule_minutes
                self._add_poller(name, ScheduleTimer(function.invoke, rule_arn, minutes, dlq_url))
        for name, function in self.functions.items():
            if function.spec.queue is not None:
                queue = self.resources["queues"][function.spec.queue.queue]
                consumer = SqsPoller(
                    function.spec.name,
                    queue["url"],
                    queue["arn"],
                    function.invoke,
                    batch_size=function.spec.queue.batch_size,
                    batching_window_s=function.spec.queue.max_batching_window_s,
                )
                self._add_poller(name, consumer)
        if self.options.print_event_log:
            queue = self.resources["queues"][EVENT_LOG_TARGET]
            # Half a second behind at most, and full batches of ten while the demo seed's ~2,000 events flow:
            # each receive and delete is a request to moto, which the seed waits on (half as many as before).
            self.pollers.append(
                SqsPoller(
                    EVENT_LOG_TARGET, queue["url"], queue["arn"], EventLogPrinter(), rest_s=EVENT_LOG_REST_S
                )
            )
        self._start_warehouse()
        for poller in self.pollers:
            poller.start()

    def _add_poller(self, function: str, poller: Poller) -> None:
        self.pollers.append(poller)
        self._pollers_of.setdefault(function, []).append(poller)

    def _start_warehouse(self) -> None:
        """The warehouse stand-in consumes the warehouse queue and reports packed shipments on its own."""
        if self.api is None or WAREHOUSE_QUEUE not in self.resources.get("queues", {}):
            return
        config = WarehouseConfig.from_env(self.api.url, lambda: issue_token("ops"))
        self.warehouse = WarehouseStandin(config)
        queue = self.resources["queues"][WAREHOUSE_QUEUE]
        self.pollers.append(SqsPoller(WAREHOUSE_QUEUE, queue["url"], queue["arn"], self.warehouse))

    def seed(self) -> None:
        """Seeds the demo shop: promotions, the network's locations, opening stock for every SKU, the catalog
        (through the admin API, as a merchandiser would), then waits until the catalog's events have
        reached the cart. Progress is on ``/health``."""
        try:
            self._seed()
        finally:
            self._seed_over.set()

    def _seed(self) -> None:
        if not self.options.seed or self.api is None:
            return
        if importlib.util.find_spec(SEED_MODULE) is None:
            self.seed_state = "unavailable"
            log.warning("no demo catalog: %s does not exist yet", SEED_MODULE.replace(".", "/") + ".py")
            return
        self.seeding.begin()
        # Two lanes side by side: what nothing else waits for (the cart's promotions, loyalty's rules), and
        # the chain the shop's products need in order.
        lanes: list[list[tuple[str, Callable[[], Any]]]] = [
            [
                ("promotions", self._seed_promotions),
                ("loyalty", self._seed_loyalty),
            ],
            [
                ("locations", self._seed_locations),
                # Stock before the catalog: catalog and search store each level for a SKU no product has
                # yet (no listing or document to rewrite), and the publication then builds listings and
                # documents with their availability at once. Stock after the catalog rewrote every
                # product's listings and document again, one product at a time, a minute after the
                # catalog was seeded.
                ("stock", self._seed_stock),
                ("catalog", self._seed_catalog),
                ("cart projection", self._await_cart_projection),
                ("search and projections", self._await_settled),
            ],
        ]
        with ThreadPoolExecutor(max_workers=len(lanes), thread_name_prefix="seed") as pool:
            outcomes = list(pool.map(self._seed_lane, lanes))
        if any(outcomes):
            self.seed_state = self.seeding.state = "interrupted" if "interrupted" in outcomes else "failed"
            return
        self.seed_state = "done"
        self.seeding.finish()
        log.info("demo shop seeded in %.1f s: %s", self.seeding.elapsed_s(), self.seeding.summaries())
        log.info("demo stock classes, e.g. %s", self.seeding.examples)

    def _seed_lane(self, steps: list[tuple[str, Callable[[], Any]]]) -> str | None:
        """Runs ``steps`` in order; None when all were done, else "failed" or "interrupted"."""
        for name, step in steps:
            try:
                with self.seeding.step(name) as record:
                    record(step())
            except Exception:
                if self._stopping:
                    return "interrupted"
                log.exception("seeding the demo %s failed; the stack keeps running", name)
                return "failed"
        return None

    def _seed_catalog(self) -> Any:
        assert self.api is not None
        module = importlib.import_module(SEED_MODULE)
        total = self.options.seed_products
        return module.seed(
            self.api.url,
            issue_token("merchandisers"),
            products=total,
            progress=lambda done: self.seeding.progress("catalog", done, total),
            before_chunk=self._await_stock_of,
        )

    def _await_stock_of(
        self, products: list[dict[str, Any]], timeout_s: float = STOCK_AHEAD_TIMEOUT_S
    ) -> None:
        """Until catalog's and search's copies of the stock hold every level of the last SKU of ``products``
        (read through their own adapters), or ``timeout_s``. The opening stock is written in product order
        just before, and its events arrive in that order: a product published after its levels has its
        listings and document built with its availability once; published before them, each level that
        arrives rewrites them (a seed on 2 cores did 740 more listing updates and took 40 % more CPU when
        the import overtook the stock's events). Only the order changes: a level arriving late is still
        applied, so the wait ends at ``timeout_s`` whatever it found."""
        locations, copies = self._stock_copies
        stocked = [v["sku"] for product in products for v in product["variants"] if v["sku"] in locations]
        if not stocked:
            return
        sku, wanted = stocked[-1], locations[stocked[-1]]
        deadline = time.monotonic() + timeout_s
        while not self._stopping and time.monotonic() < deadline:
            if all(wanted <= {level.location_id for level in copy.stock([sku])} for copy in copies):
                return
            time.sleep(0.1)

    @functools.cached_property
    def _stock_copies(self) -> tuple[dict[str, set[str]], list[Any]]:
        """The opening stock's locations per SKU, and catalog's and search's stock adapters: made once for
        every chunk's wait (``_await_stock_of``)."""
        from catalog.adapters.dynamo_stock import DynamoListingAvailability
        from search.adapters.dynamo import DynamoSearchProjection
        from shop_kernel.clock import SystemClock

        network = importlib.import_module(NETWORK_SEED_MODULE)
        locations: dict[str, set[str]] = {}
        for sku, location, _ in network.opening_stock(self.options.seed_products):
            locations.setdefault(sku, set()).add(location)
        client = boto3.client("dynamodb", region_name=REGION)
        copies: list[Any] = [
            DynamoListingAvailability(client, physical_name(self.options.stage, "catalog")),
            DynamoSearchProjection(client, physical_name(self.options.stage, "search"), SystemClock()),
        ]
        return locations, copies

    def _seed_promotions(self) -> Any:
        """Demo promotions, codes and gift certificates for the cart."""
        return importlib.import_module(PROMOTIONS_SEED_MODULE).seed(self.options.stage)

    def _seed_loyalty(self) -> Any:
        """The loyalty rule set and a demo campaign (``infra/local/seed_loyalty.py``)."""
        return importlib.import_module("infra.local.seed_loyalty").seed(self.options.stage)

    def _seed_locations(self) -> Any:
        assert self.api is not None
        network = importlib.import_module(NETWORK_SEED_MODULE)
        return network.seed_locations(self.api.url, issue_token("ops"))

    def _await_cart_projection(self, timeout_s: float = 120.0) -> Any:
        """Until the cart knows the last demo SKU: the catalog's events reach the cart's SKU facts through
        the bus and a queue, a little after the import answered. "done" means a shopper can add to cart."""
        from cart.adapters.records import facts_key
        from infra.local.seed_catalog import demo_product

        client = boto3.client("dynamodb", region_name=REGION)
        table = physical_name(self.options.stage, "carts")
        last = demo_product(self.options.seed_products)["variants"][-1]["sku"]
        deadline = time.monotonic() + timeout_s
        while "Item" not in client.get_item(TableName=table, Key=facts_key(last), ConsistentRead=True):
            if self._stopping or time.monotonic() > deadline:
                raise RuntimeError(
                    f"the cart did not learn {last} from the catalog's events in {timeout_s} s"
                )
            time.sleep(0.2)
        return {"last_sku": last}

    def _await_settled(self, timeout_s: float = 300.0) -> Any:
        """Until the seed's events have reached every projection they drive (search's documents and their
        availability above all), so the README's first search finds what the seed wrote. Each hop (bus ->
        queue -> function -> table stream -> function) is a poller's delivery: nothing is in flight once no
        poller delivers, every stream was read empty after the last delivery ended, and every queue a
        function polls is empty, counting what a receive holds (not visible) or delays; the pollers are
        looked at again after the queues, so a delivery that ended meanwhile (and may have sent more) is
        seen. The event log's queue is not counted: it only prints."""
        pollers = [p for p in self.pollers if isinstance(p, (StreamPoller, SqsPoller))]
        streams = [p for p in pollers if isinstance(p, StreamPoller)]
        queues = [p.queue_url for p in pollers if isinstance(p, SqsPoller) and p.name != EVENT_LOG_TARGET]
        sqs = boto3.client("sqs", region_name=REGION) if queues else None
        began = time.monotonic()

        def activity() -> tuple[list[StreamPoller | SqsPoller], list[StreamPoller], float]:
            busy = [p for p in pollers if p.activity.working]
            latest = max([began, *(p.activity.last_work for p in pollers)])
            return busy, [p for p in streams if p.activity.quiet_since <= latest], latest

        while True:
            busy, unread, latest = activity()
            if not busy and not unread and _queues_empty(sqs, queues) and activity() == ([], [], latest):
                return {"settled_after_s": round(time.monotonic() - began, 2)}
            if not busy:
                for stream in unread:  # a quiet stream is read once a second: ask for the read now
                    stream.read_now()
            if self._stopping or time.monotonic() - began > timeout_s:
                names = [p.name if isinstance(p, SqsPoller) else p.function.spec.name for p in busy + unread]
                raise RuntimeError(
                    f"the seed's events were still being delivered after {timeout_s} s: {names or 'queued'}"
                )
            time.sleep(0.1)

    def _seed_stock(self) -> Any:
        network = importlib.import_module(NETWORK_SEED_MODULE)
        from inventory.adapters.dynamo import InventoryStore

        client = boto3.client("dynamodb", region_name=REGION)
        store = InventoryStore(client, physical_name(self.options.stage, "inventory"))
        summary = network.seed_stock(store, self.options.seed_products)
        self.seeding.examples = network.examples(self.options.seed_products)
        return summary

    def health(self) -> dict[str, Any]:
        functions = {name: "ready" if f.ready else "starting" for name, f in list(self.functions.items())}
        functions.update({name: f"failed: {reason}" for name, reason in self.failed_functions.items()})
        return {
            "stack": self.stack_state,
            "routes": self.routes_state,
            "seed": self.seed_state,
            "seeding": self.seeding.describe(),
            "functions": functions,
            "moto": self.moto.url if self.moto else None,
            "stripe": self.stripe.describe() if self.stripe else None,
            "carrier": self.carrier.describe() if self.carrier else None,
            "eventBus": self.resources.get("event_bus", {}).get("name"),
        }

    def stop(self) -> None:
        self._stopping = True
        # The warehouse stand-in first: a report it has scheduled would otherwise reach the API as it stops.
        if self.warehouse is not None:
            self.warehouse.stop()
        if self.api is not None:
            self.api.stop()
        # Together: each waits for its receive or invocation under way.
        stopping = [threading.Thread(target=poller.stop, daemon=True) for poller in self.pollers]
        for thread in stopping:
            thread.start()
        for thread in stopping:
            thread.join()
        for function in self.functions.values():
            function.stop()
        # After the pollers: a consumer still running may call Stripe.
        if self.stripe is not None:
            self.stripe.stop()
        if self.carrier is not None:
            self.carrier.stop()
        if self.moto is not None:
            self.moto.stop()
        if self.lambda_endpoint is not None:
            self.lambda_endpoint.stop()
        log.info("local stack stopped")

    def banner(self) -> str:
        if self.api is None or self.moto is None:
            return ""
        api = self.api.url
        public = next((r.prefix for r in API_ROUTES if not r.authorized), "catalog")
        admin = next((r.prefix for r in API_ROUTES if r.authorized), "admin/catalog")
        return "\n".join(
            [
                "",
                "The shop runs locally (Ctrl-C stops it):",
                f"  API            {api}",
                f"  Swagger UI     {api}/docs",
                f"  OpenAPI        {api}/openapi.json",
                f"  Health         {api}/health",
                f"  moto dashboard {self.moto.url}/moto-api/ (the tables: {self.moto.tables_url}/moto-api/)",
                *self._stripe_banner(),
                *(
                    [f"  Carrier        {self.carrier.url} (stand-in; tracking webhooks on its own timers)"]
                    if self.carrier
                    else []
                ),
                "",
                "Try:",
                f"  curl -s {api}/{public}/categories",
                f"  curl -s '{api}/{public}/categories/laptops/products?limit=3'",
                f"  curl -s '{api}/search?q=laptop&country=UA&in_stock=true&limit=3'",
                "  The README's 'Try it' section walks a whole purchase and a merchandiser's product.",
                "  TOKEN=$(make token ROLE=merchandisers)",
                f'  curl -s -H "Authorization: Bearer $TOKEN" {api}/{admin}/products',
                "",
                f"  AWS CLI against moto: AWS_ENDPOINT_URL={self.moto.url} AWS_ACCESS_KEY_ID=testing "
                "AWS_SECRET_ACCESS_KEY=testing aws --region eu-west-1 dynamodb list-tables",
                *self._workflow_banner(),
                *self._stripe_try(),
                "",
            ]
        )

    def _workflow_banner(self) -> list[str]:
        """Where to watch a paid order's fulfilment: its execution is named after the order."""
        arn = self.resources.get("workflows", {}).get("order-fulfilment", {}).get("arn")
        if not arn or self.moto is None:
            return []
        return [
            "",
            "  Watch an order's fulfilment (the execution is named after the order id):",
            f"  AWS_ENDPOINT_URL={self.moto.url} aws --region {REGION} stepfunctions get-execution-history "
            f"--execution-arn {arn.replace(':stateMachine:', ':execution:')}:<order id>",
        ]

    def _stripe_banner(self) -> list[str]:
        if self.stripe is None:
            return []
        if self.stripe.url is None:
            return [f"  Stripe         test mode (stripe listen --forward-to {self.stripe.webhook_url})"]
        return [f"  Stripe         {self.stripe.url} (stand-in; webhooks to {self.stripe.webhook_url})"]

    def _stripe_try(self) -> list[str]:
        if self.stripe is None or self.stripe.url is None:
            return []
        # The stand-in's helper, not Stripe's API: what Stripe.js does in the shopper's browser.
        return [
            "",
            "  Pay for a checkout as the shopper's browser would (pm_card_de, pm_card_chargeDeclined, ...):",
            f"  curl -s -X POST {self.stripe.url}/_standin/payment_intents/<pi id>/simulate "
            '-d \'{"payment_method": "pm_card_visa"}\'',
        ]
