"""The demo seed bench's expectation of search's in_stock totals, and its bounded wait for them.

The bench waits until search's totals equal what the seeded stock makes buyable. The expectation must come
from what the stack seeds: a list of its own missed the gift card, so the totals never matched and the bench
waited until it was killed, with no figure."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench import seed as bench_seed
from infra.local import seed_network
from infra.local.moto_server import free_port

TODAY = date(2026, 12, 3)
ANYWHERE = (None, None)
UA, PL = ("UA", None), ("PL", None)
STORES = [(None, store) for store in seed_network.STORES]


def test_the_gift_cards_the_stack_seeds_are_expected_where_they_can_be_bought() -> None:
    # GIVEN a seed of no demo products: the catalog seed still publishes the gift card, with blank cards
    # in stock at the Kyiv warehouse, and the e-certificate, which has no stock
    # WHEN the bench derives what in_stock=true should find
    expected = bench_seed.buyable_counts(0, TODAY)
    # THEN the gift card counts anywhere and for delivery to Ukraine, not to Poland nor for a pickup;
    # the e-certificate counts everywhere
    assert expected[ANYWHERE] == 2
    assert expected[UA] == 2
    assert expected[PL] == 1
    assert all(expected[store] == 1 for store in STORES)


def test_the_expectation_follows_the_stock_the_seed_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a seed whose opening stock has the gift cards sold out and the first demo product's SKUs
    # only in the Lviv store
    first_skus = [sku for sku in seed_network.demo_skus(1)]
    levels = [(sku, "lviv-rynok", 3) for sku in first_skus]
    levels += [(sku, place, 0) for sku, place, _ in seed_network.gift_card_stock()]
    monkeypatch.setattr(seed_network, "opening_stock", lambda products: levels)
    # WHEN the bench derives its expectation for one demo product
    expected = bench_seed.buyable_counts(1, TODAY)
    # THEN the demo product counts anywhere and for pickup in Lviv, and the e-certificate everywhere
    assert expected[ANYWHERE] == 2
    assert expected[(None, "lviv-rynok")] == 2
    assert expected[UA] == expected[PL] == 1
    assert expected[(None, "kyiv-khreshchatyk")] == expected[(None, "warsaw-centrum")] == 1


class _Search(BaseHTTPRequestHandler):
    total = 0

    def do_GET(self) -> None:
        body = json.dumps({"total": self.total, "items": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def search_answering_5() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Search)
    _Search.total = 5
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_wait_ends_when_every_total_is_as_expected(search_answering_5: str) -> None:
    # GIVEN a search whose in_stock totals are 5 wherever it is asked
    # WHEN the bench waits for 5 anywhere and in Ukraine
    result = bench_seed.await_search_current(search_answering_5, time.monotonic(), {ANYWHERE: 5, UA: 5}, 5.0)
    # THEN it says when they matched and what they were
    assert result["seconds"] is not None
    assert result["totals"] == {"anywhere": 5, "country UA": 5}


def test_a_wait_that_never_matches_ends_at_its_deadline_saying_what_it_saw(search_answering_5: str) -> None:
    # GIVEN a search that finds 5 where the seed makes 6 buyable
    # WHEN the bench waits for 6 anywhere and 5 in Ukraine, for at most 0.3 s
    started = time.monotonic()
    result = bench_seed.await_search_current(search_answering_5, started, {ANYWHERE: 6, UA: 5}, 0.3)
    # THEN it gives up near the deadline with no figure, naming what differed, what it saw and waited for
    assert time.monotonic() - started < 3.0
    assert result["seconds"] is None
    assert result["differ"] == {"anywhere": {"saw": 5, "expected": 6}}
    assert result["totals"] == {"anywhere": 5, "country UA": 5}
    assert result["waited_for"] == {"anywhere": 6, "country UA": 5}


def test_a_search_that_does_not_answer_is_reported_not_waited_for_forever() -> None:
    # GIVEN nothing listening where the bench asks search
    url = f"http://127.0.0.1:{free_port()}"
    # WHEN it waits for any total, for at most 0.3 s
    result = bench_seed.await_search_current(url, time.monotonic(), {ANYWHERE: 1}, 0.3)
    # THEN the wait ends with no figure and says that nothing was seen
    assert result["seconds"] is None
    assert result["differ"] == {"anywhere": {"saw": None, "expected": 1}}
