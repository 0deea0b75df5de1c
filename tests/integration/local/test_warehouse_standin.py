"""The warehouse stand-in against a recording HTTP server in place of the local API: it packs what a
``FulfilmentRequested`` asks less what a ``FulfilmentCancelled`` withdrew, reports nothing for a shipment
withdrawn whole, and collects a store pickup on its own timer after packing it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from infra.local.warehouse_standin import WarehouseConfig, WarehouseStandin


@pytest.fixture
def api() -> Iterator[tuple[str, list[tuple[str, Any]]]]:
    posts: list[tuple[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            posts.append((self.path, json.loads(self.rfile.read(length) or b"{}")))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", posts
    server.shutdown()
    server.server_close()


def _batch(detail_type: str, data: dict[str, Any]) -> dict[str, Any]:
    body = {"detail-type": detail_type, "source": "shop.fulfilment", "detail": {"metadata": {}, "data": data}}
    return {"Records": [{"messageId": "m1", "body": json.dumps(body)}]}


def _until(check: Any, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_withdrawn_units_are_not_packed_and_a_pickup_is_collected_once_ready_in_the_store(api) -> None:
    url, posts = api
    standin = WarehouseStandin(WarehouseConfig(url, lambda: "token", delay_s=0.2, collect_after_s=0.1))
    lines = [{"sku": "PHN-B-BLK", "quantity": 2}]
    try:
        # GIVEN three requests: a pickup, a delivery one unit of which is cancelled, one cancelled whole
        standin(
            _batch("FulfilmentRequested", {"shipment_id": "shp_P", "kind": "store_pickup", "lines": lines})
        )
        standin(_batch("FulfilmentRequested", {"shipment_id": "shp_D", "kind": "delivery", "lines": lines}))
        standin(_batch("FulfilmentRequested", {"shipment_id": "shp_X", "kind": "delivery", "lines": lines}))
        partly = {
            "shipment_id": "shp_D",
            "whole_shipment": False,
            "lines": [{"sku": "PHN-B-BLK", "quantity": 1}],
        }
        standin(_batch("FulfilmentCancelled", partly))
        standin(
            _batch("FulfilmentCancelled", {"shipment_id": "shp_X", "whole_shipment": True, "lines": lines})
        )
        _until(lambda: len(posts) >= 2)
        # AND the pickup, then a transfer delivered to the store, announced ready for collection
        for shipment_id, kind in (("shp_P", "store_pickup"), ("shp_T", "transfer")):
            standin(_batch("ShipmentReadyForCollection", {"shipment_id": shipment_id, "kind": kind}))
        # WHEN its timers run
        _until(lambda: len(posts) >= 4)
        time.sleep(0.3)
    finally:
        standin.stop()
    # THEN the pickup was packed whole then collected, the transfer collected, the delivery packed less the
    # cancelled unit, the withdrawn shipment not reported at all
    by_path = dict(posts)
    assert by_path["/admin/fulfilment/shipments/shp_P/packed"] == {"lines": lines}
    assert by_path["/admin/fulfilment/shipments/shp_P/collected"] == {}
    assert by_path["/admin/fulfilment/shipments/shp_T/collected"] == {}
    assert by_path["/admin/fulfilment/shipments/shp_D/packed"] == {
        "lines": [{"sku": "PHN-B-BLK", "quantity": 1}]
    }
    assert not any("shp_X" in path for path, _ in posts)
    assert "/admin/fulfilment/shipments/shp_D/collected" not in by_path


def test_a_report_that_cannot_reach_the_api_warns_until_the_stand_in_is_stopped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from infra.local.moto_server import free_port

    # GIVEN a stand-in whose API is not listening (it stopped)
    standin = WarehouseStandin(WarehouseConfig(f"http://127.0.0.1:{free_port()}", lambda: "token"))
    request = {"shipment_id": "shp_1", "lines": [{"sku": "A", "quantity": 1}]}
    # WHEN a report fails while the stack runs, THEN it is a warning
    with caplog.at_level("WARNING", logger="infra.local.warehouse"):
        standin._report(request, attempt=3)
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    caplog.clear()
    # WHEN one fails once the stack stopped it, THEN nothing is said (the API goes down with the stack)
    standin.stop()
    with caplog.at_level("WARNING", logger="infra.local.warehouse"):
        standin._report(request, attempt=3)
    assert caplog.records == []


def test_the_stack_stops_its_warehouse_stand_in_before_its_api() -> None:
    from infra.local.runner import LocalStack, Options

    stopped: list[str] = []
    stack = LocalStack(Options(seed=False))
    stack.warehouse = type("Warehouse", (), {"stop": lambda self: stopped.append("warehouse")})()  # type: ignore[assignment]
    stack.api = type("Api", (), {"stop": lambda self: stopped.append("api")})()  # type: ignore[assignment]
    stack.stop()
    assert stopped == ["warehouse", "api"]
