"""A second ``make run`` gives the same working search as the first: tables and index live and die together.

Starts the runner, waits until search shows exactly the seeded catalog, stops it, starts it again on the
same local state directory and checks that search shows only the new run's products, with totals that
match what the pages show (the index of the first run is gone with its tables).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from infra.local import tokens
from infra.local.moto_server import free_port
from tests.e2e.test_local_stack import Stack, _auth, _ok, _ready, _start, _stop, _wait_until

pytestmark = [pytest.mark.xdist_group("e2e"), pytest.mark.slow, pytest.mark.timeout(300)]

SEEDED = 6


@pytest.fixture
def state(tmp_path: Path) -> Iterator[Path]:
    previous = os.environ.get("SHOP_LOCAL_DIR")
    os.environ["SHOP_LOCAL_DIR"] = str(tmp_path)  # tokens signed here are the ones the stack trusts
    tokens._load_private_key.cache_clear()
    yield tmp_path
    tokens._load_private_key.cache_clear()
    if previous is None:
        os.environ.pop("SHOP_LOCAL_DIR", None)
    else:
        os.environ["SHOP_LOCAL_DIR"] = previous


def _published_ids(stack: Stack) -> set[str]:
    body = _ok(
        requests.get(
            f"{stack.api}/admin/catalog/products",
            params={"status": "published", "limit": "100"},
            headers=_auth("merchandisers"),
            timeout=10,
        )
    )
    return {item["id"] for item in body["items"]}


def _search(stack: Stack, **params: str) -> dict[str, Any]:
    return _ok(requests.get(f"{stack.api}/search", params={"limit": "100", **params}, timeout=10))  # type: ignore[no-any-return]


def _search_shows_exactly_the_catalog(stack: Stack) -> set[str]:
    published = _wait_until(lambda: _published_ids(stack), 60, "the seeded catalog", stack)

    def indexed() -> bool:
        found = _search(stack)
        return found["total"] == len(published) and {i["id"] for i in found["items"]} == published

    _wait_until(indexed, 60, "search to show exactly the published catalog", stack)
    return published  # type: ignore[no-any-return]


def test_after_a_restart_search_shows_only_the_new_runs_products_with_true_totals(state: Path) -> None:
    # GIVEN a first run, seeded and indexed
    first = _start(state, free_port(), free_port(), "--seed-products", str(SEEDED))
    try:
        _ready(first)
        first_ids = _search_shows_exactly_the_catalog(first)
    finally:
        assert _stop(first, signal.SIGINT) == 0, first.output()[-4000:]
    # WHEN make run starts again on the same local state
    second = _start(state, free_port(), free_port(), "--seed-products", str(SEEDED))
    try:
        _ready(second)
        second_ids = _search_shows_exactly_the_catalog(second)
        # THEN search knows only this run's products: none of the first run's ids, totals equal to what
        # the pages show, and a text query's first page is full while more matches exist
        assert not first_ids & second_ids
        listed = _search(second)
        word = max(listed["items"][0]["name"].split(), key=len)
        found = _search(second, q=word, limit="2")
        assert found["total"] >= 1
        assert len(found["items"]) == min(2, found["total"])
        assert {i["id"] for i in found["items"]} <= second_ids
        assert listed["total"] == len(listed["items"]) == len(second_ids)
    finally:
        assert _stop(second, signal.SIGTERM) == 0, second.output()[-4000:]
