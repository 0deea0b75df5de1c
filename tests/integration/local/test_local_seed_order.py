"""What the local stack orders around the demo seed: the functions the seed never reaches start once it is
over (``LocalStack._await_functions``), and each catalog chunk waits until catalog's and search's copies of
the stock hold its products' levels (``LocalStack._await_stock_of``)."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from infra.local.runner import LocalStack, Options, _consumes_events
from infra.local.seed_catalog import demo_product
from infra.local.seed_network import opening_stock
from infra.resources import API_ROUTES, FUNCTIONS, physical_name
from shop_kernel.availability import LocationStock, StockUpdate
from tests.stage import STAGE


class _Function:
    """Stands for a LocalFunction: records when it was started; its import is instant."""

    def __init__(self, spec: Any) -> None:
        self.spec = spec
        self.started_at: float | None = None

    def start(self) -> None:
        self.started_at = time.monotonic()

    def wait_ready(self, timeout_s: float = 0) -> None:
        assert self.started_at is not None


def test_the_functions_the_seed_never_reaches_start_only_once_it_is_over() -> None:
    # GIVEN a stack that seeds, with the routes' functions started and the seed still running
    stack = LocalStack(Options(seed=True))
    routed = {route.function for route in API_ROUTES}
    starting: dict[str, Any] = {spec.name: _Function(spec) for spec in FUNCTIONS}
    for name in routed:
        starting[name].start()
    awaiting = threading.Thread(target=stack._await_functions, args=(starting,), daemon=True)
    awaiting.start()
    time.sleep(0.5)
    consumers = {n for n in starting if n not in routed and _consumes_events(starting[n].spec)}
    later = set(starting) - routed - consumers
    assert later, "schedules and workflow tasks exist"

    # THEN the routes are ready and the event consumers started (the seed's events flow through them),
    # but nothing the seed never reaches, and the stack is not "running" yet
    assert stack.routes_state == "ready"
    assert all(starting[n].started_at is not None for n in consumers)
    assert [n for n in later if starting[n].started_at is not None] == []
    assert stack.stack_state == "starting"

    # WHEN the seed ends
    seed_over = time.monotonic()
    stack._seed_over.set()
    awaiting.join(timeout=10)

    # THEN the rest start, after it, and the stack runs
    assert all((starting[n].started_at or 0) >= seed_over for n in later)
    assert stack.stack_state == "running"


def test_without_a_seed_every_function_starts_at_once() -> None:
    stack = LocalStack(Options(seed=False))
    starting: dict[str, Any] = {spec.name: _Function(spec) for spec in FUNCTIONS}
    for name in {route.function for route in API_ROUTES}:
        starting[name].start()
    stack._await_functions(starting)  # returns: nothing waits for a seed that will not run
    assert all(f.started_at is not None for f in starting.values())
    assert stack.stack_state == "running"


@pytest.fixture
def copies(moto_stage: SimpleNamespace) -> tuple[Any, Any]:
    """Catalog's and search's stock adapters on the test stage's tables (as their projectors write them)."""
    from catalog.adapters.dynamo_stock import DynamoListingAvailability
    from search.adapters.dynamo import DynamoSearchProjection
    from shop_kernel.clock import SystemClock

    client = boto3.client("dynamodb", region_name="eu-west-1")
    return (
        DynamoListingAvailability(client, physical_name(STAGE, "catalog")),
        DynamoSearchProjection(client, physical_name(STAGE, "search"), SystemClock()),
    )


def _levels_of(sku: str, products: int) -> list[StockUpdate]:
    return [
        StockUpdate(
            stock=LocationStock(
                sku=sku,
                location_id=location,
                kind="warehouse",
                country="UA",
                pickup=False,
                available=on_hand,
                threshold=5,
            ),
            sequence=f"{n:020d}",
        )
        for n, (level_sku, location, on_hand) in enumerate(opening_stock(products))
        if level_sku == sku
    ]


def test_a_catalog_chunk_waits_until_both_copies_hold_its_last_skus_levels(copies: tuple[Any, Any]) -> None:
    catalog, search = copies
    stack = LocalStack(Options(stage=STAGE, seed=True, seed_products=4))
    chunk = [demo_product(n) for n in (1, 2)]
    last = chunk[-1]["variants"][-1]["sku"]
    # GIVEN the chunk's last SKU stocked in catalog's copy only
    catalog.save_stocks(_levels_of(last, 4))
    waiting = threading.Thread(target=stack._await_stock_of, args=(chunk,), kwargs={"timeout_s": 20})
    waiting.start()
    time.sleep(0.5)
    # THEN the chunk waits
    assert waiting.is_alive()
    # WHEN search's copy gets the levels too
    search.save_stocks(_levels_of(last, 4))
    # THEN it goes on
    waiting.join(timeout=5)
    assert not waiting.is_alive()


def test_a_catalog_chunk_goes_on_after_its_timeout_whatever_it_found(copies: tuple[Any, Any]) -> None:
    # GIVEN no stock projected at all (a level arriving later is still applied, only more slowly)
    stack = LocalStack(Options(stage=STAGE, seed=True, seed_products=4))
    began = time.monotonic()
    stack._await_stock_of([demo_product(1)], timeout_s=0.5)
    assert 0.45 <= time.monotonic() - began < 3
