"""The carrier stand-in on its own: after a booking through carrier-tasks it posts signed webhooks on its
timers, and the webhook function moves the shipment to delivered with no step from the test (what
``make run`` does for a demo order). The stand-in posts to a small HTTP endpoint that hands each request to
carrier-webhooks as API Gateway would."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any

import pytest

from tests.integration.carriers.conftest import WEBHOOK_KEY, book_task, webhook_event
from tests.support import reply_from


@pytest.fixture
def gateway(functions: Any, lambda_context: Any) -> Iterator[tuple[str, list[int]]]:
    """``POST /webhooks/carriers/<carrier>`` on 127.0.0.1, answered by the carrier-webhooks handler."""
    answered: list[int] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            carrier = self.path.rsplit("/", 1)[-1]
            with lock:  # one invocation at a time, as one execution environment serves them
                event = webhook_event(carrier, body, self.headers.get("Carrier-Signature"))
                reply = reply_from(functions.invoke("carrier-webhooks", event, lambda_context))
            answered.append(reply.status)
            self.send_response(reply.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/webhooks/carriers/standin", answered
    server.shutdown()
    server.server_close()


def test_a_booked_parcel_reaches_delivered_on_the_stand_ins_own_webhooks(
    carriers_stack: SimpleNamespace, gateway: tuple[str, list[int]], functions: Any, lambda_context: Any
):
    from infra.local.carrier_standin import CarrierStandin, CarrierStandinConfig

    url, answered = gateway
    # GIVEN a stand-in whose parcels are picked up, in transit and delivered within a second
    standin = CarrierStandin(
        CarrierStandinConfig(webhook_url=url, webhook_key=WEBHOOK_KEY, timeline=(0.2, 0.4, 0.6))
    )
    standin.start()
    try:
        functions.override("carrier-tasks", CARRIER_STANDIN_URL=standin.url)
        # WHEN a shipment is booked with it
        booked = functions.invoke("carrier-tasks", book_task(), lambda_context)
        key = {"pk": {"S": f"SHIPMENT#{booked['shipment_id']}"}, "sk": {"S": "SHIPMENT"}}
        # THEN with nothing more from us, it is delivered within a few seconds
        deadline = time.monotonic() + 15
        status = "booked"
        while status != "delivered" and time.monotonic() < deadline:
            time.sleep(0.1)
            item = carriers_stack.dynamodb.get_item(
                TableName=carriers_stack.table, Key=key, ConsistentRead=True
            )
            status = item["Item"]["status"]["S"]
        assert status == "delivered"
        # AND each of the three webhooks was answered 200 once (the last answer follows its write)
        while len(answered) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert answered == [200, 200, 200]
        history = [h["M"]["status"]["S"] for h in item["Item"]["history"]["L"]]
        assert history == ["booking", "booked", "dispatched", "in_transit", "delivered"]
    finally:
        standin.stop()
