"""A local stand-in for a parcel carrier, so a demo order travels to "delivered" with no one clicking.

It is the carrier ``carriers.adapters.standin`` talks to: a small JSON API on 127.0.0.1 under ``/v1``:

* ``POST /v1/rates`` -> ``standard`` and ``express`` rates in UAH by weight, with delivery dates;
* ``GET /v1/estimates?ship_on=&service=`` -> a delivery date;
* ``GET /v1/branches?city=`` -> two branches and a parcel locker in any city;
* ``POST /v1/shipments`` -> a booking (tracking number, a PDF label, price); idempotent on ``reference``
  (our shipment id): the same reference answers the first booking, never a second label;
* ``POST /v1/shipments/<id>/cancel`` -> cancelled, or 409 once picked up;
* ``GET /v1/tracking?numbers=`` -> the events so far.

After a booking it acts on its own timers, as a carrier would: ``picked_up``, ``in_transit`` and
``delivered`` are each posted as a signed webhook (``Carrier-Signature: t=<unix>,v1=<HMAC-SHA256 hex of
"<t>.<body>">``) to the webhook URL, ``timeline`` seconds after the booking; a failed delivery is retried
with backoff. Test and demo helpers under ``/_standin/``: ``GET /_standin/deliveries`` (what was posted
and answered), ``POST /_standin/shipments/<tracking number>/events`` ``{"status"}`` (post one now).
Run alone: ``python -m infra.local.carrier_standin --port 12112 --webhook-url URL --key KEY``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import heapq
import hmac
import itertools
import json
import logging
import os
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger("infra.local.carrier")

DEFAULT_CARRIER_PORT = 12112
CARRIER_ID = "standin"
SIGNATURE_HEADER = "Carrier-Signature"
MAX_BODY_BYTES = 256 * 1024
DELIVERY_ATTEMPTS = 5
TIMELINE_VARIABLE = "CARRIER_STANDIN_TIMELINE"  # "picked_up,in_transit,delivered" seconds after booking
STEPS = ("picked_up", "in_transit", "delivered")
DESCRIPTIONS = {
    "picked_up": "Picked up from the warehouse",
    "in_transit": "On its way to the destination city",
    "out_for_delivery": "With the courier",
    "delivered": "Delivered",
    "delivery_failed": "Recipient not reached",
    "returned": "Returned to the sender",
}


@dataclass(frozen=True)
class CarrierStandinConfig:
    webhook_url: str | None = None
    webhook_key: str = field(default_factory=lambda: "whk_" + secrets.token_hex(24))
    # Seconds after booking at which the parcel is picked up, in transit, delivered.
    timeline: tuple[float, float, float] = (10.0, 20.0, 40.0)
    retry_delay_s: float = 1.0

    @classmethod
    def timeline_from_env(cls, environ: Mapping[str, str] | None = None) -> tuple[float, float, float] | None:
        text = (os.environ if environ is None else environ).get(TIMELINE_VARIABLE, "")
        if not text:
            return None
        parts = tuple(float(p) for p in text.split(","))
        if len(parts) != 3 or list(parts) != sorted(parts) or parts[0] < 0:
            raise ValueError(f"{TIMELINE_VARIABLE} is three ascending seconds, e.g. 10,20,40")
        return parts  # type: ignore[return-value]


def sign(body: bytes, key: str, timestamp: int) -> str:
    digest = hmac.new(key.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _label(tracking_number: str, reference: str) -> bytes:
    text = f"BT /F1 24 Tf 20 60 Td (STANDIN {tracking_number}) Tj ET % {reference}"
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 283 283]/Contents 4 0 R>>endobj\n"
        + f"4 0 obj<</Length {len(text)}>>stream\n{text}\nendstream endobj\n".encode()
        + b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


class CarrierStandin:
    """The stand-in's state and API; ``start()`` serves it, ``stop()`` ends it and its timers."""

    def __init__(self, config: CarrierStandinConfig, port: int = 0) -> None:
        self.config = config
        self._lock = threading.RLock()
        self._shipments: dict[str, dict[str, Any]] = {}
        self._by_reference: dict[str, str] = {}
        self._by_number: dict[str, str] = {}
        self._numbers = itertools.count(1)
        self._jobs: list[tuple[float, int, dict[str, Any]]] = []
        self._seq = itertools.count()
        self._wake = threading.Condition(self._lock)
        self._stopped = False
        self.deliveries: list[dict[str, Any]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self._threads = [
            threading.Thread(target=self._server.serve_forever, name="carrier-standin-http", daemon=True),
            threading.Thread(target=self._run_timers, name="carrier-standin-timers", daemon=True),
        ]

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def webhook_key(self) -> str:
        return self.config.webhook_key

    def start(self) -> None:
        for thread in self._threads:
            thread.start()
        log.info("carrier stand-in on %s (webhooks to %s)", self.url, self.config.webhook_url)

    def stop(self) -> None:
        with self._wake:
            self._stopped = True
            self._wake.notify_all()
        self._server.shutdown()
        self._server.server_close()

    # --- the API -----------------------------------------------------------------------------------

    def rates(self, body: dict[str, Any]) -> dict[str, Any]:
        grams = int(body["parcel"]["weight_g"])
        base = 60_00 + 5_00 * -(-grams // 1000)
        today = datetime.now(UTC).date()
        return {
            "rates": [
                {
                    "service": "standard",
                    "price": {"amount": base, "currency": "UAH"},
                    "estimated_delivery": _in_days(today, 2),
                },
                {
                    "service": "express",
                    "price": {"amount": base * 2, "currency": "UAH"},
                    "estimated_delivery": _in_days(today, 1),
                },
            ]
        }

    def estimate(self, query: dict[str, str]) -> dict[str, Any]:
        ship_on = date.fromisoformat(query.get("ship_on") or datetime.now(UTC).date().isoformat())
        return {"estimated_delivery": _in_days(ship_on, 1 if query.get("service") == "express" else 2)}

    def branches(self, query: dict[str, str]) -> dict[str, Any]:
        city = (query.get("city") or "").strip()
        if not city:
            raise _Refused(400, "city is required")
        slug = re.sub(r"[^a-z0-9]+", "-", city.casefold()).strip("-") or "city"
        rows = [
            (1, "branch", "Central branch"),
            (2, "branch", "Station branch"),
            (35, "locker", "Parcel locker"),
        ]
        return {
            "branches": [
                {
                    "branch_id": f"{slug}-{number}",
                    "kind": kind,
                    "name": f"{name} No {number}",
                    "address": f"{name}, {city}",
                    "city": city,
                    "max_weight_g": 20_000 if kind == "locker" else 30_000,
                }
                for number, kind, name in rows
            ]
        }

    def book(self, body: dict[str, Any]) -> dict[str, Any]:
        reference = str(body.get("reference") or "")
        if not reference:
            raise _Refused(400, "reference is required")
        with self._lock:
            if reference in self._by_reference:
                return self._booking(self._shipments[self._by_reference[reference]])
            number = f"SI{next(self._numbers):010d}"
            shipment_id = f"sis_{secrets.token_hex(8)}"
            grams = int(body["parcel"]["weight_g"])
            price = (60_00 + 5_00 * -(-grams // 1000)) * (2 if body.get("service") == "express" else 1)
            shipment = {
                "id": shipment_id,
                "reference": reference,
                "tracking_number": number,
                "status": "booked",
                "price": {"amount": price, "currency": "UAH"},
                "estimated_delivery": _in_days(datetime.now(UTC).date(), 2),
                "events": [],
                "booked_at": time.monotonic(),
            }
            self._shipments[shipment_id] = shipment
            self._by_reference[reference] = shipment_id
            self._by_number[number] = shipment_id
            for step, after in zip(STEPS, self.config.timeline, strict=True):
                self._schedule(after, {"kind": "step", "shipment_id": shipment_id, "status": step})
            return self._booking(shipment)

    def cancel(self, shipment_id: str) -> dict[str, Any]:
        with self._lock:
            shipment = self._shipments.get(shipment_id)
            if shipment is None:
                raise _Refused(404, f"no shipment {shipment_id}")
            if shipment["status"] not in ("booked", "cancelled"):
                raise _Refused(
                    409, f"shipment {shipment_id} is {shipment['status']}: it can no longer be cancelled"
                )
            shipment["status"] = "cancelled"
            return {"id": shipment_id, "status": "cancelled"}

    def tracking(self, query: dict[str, str]) -> dict[str, Any]:
        numbers = [n for n in (query.get("numbers") or "").split(",") if n]
        with self._lock:
            found = [self._shipments[self._by_number[n]] for n in numbers if n in self._by_number]
            return {"events": [s["events"][-1] for s in found if s["events"]]}

    def post_event(self, tracking_number: str, status: str) -> dict[str, Any]:
        """Moves a parcel now (the ``/_standin`` helper) and posts the webhook."""
        if status not in DESCRIPTIONS:
            raise _Refused(400, f"status is one of {', '.join(DESCRIPTIONS)}")
        with self._lock:
            shipment_id = self._by_number.get(tracking_number)
            if shipment_id is None:
                raise _Refused(404, f"no parcel {tracking_number}")
            return self._move(self._shipments[shipment_id], status)

    def _booking(self, shipment: dict[str, Any]) -> dict[str, Any]:
        label = _label(shipment["tracking_number"], shipment["reference"])
        return {
            "id": shipment["id"],
            "reference": shipment["reference"],
            "tracking_number": shipment["tracking_number"],
            "status": shipment["status"],
            "label": base64.b64encode(label).decode(),
            "label_format": "pdf",
            "price": shipment["price"],
            "estimated_delivery": shipment["estimated_delivery"],
        }

    # --- tracking and webhooks ---------------------------------------------------------------------

    def _move(self, shipment: dict[str, Any], status: str) -> dict[str, Any]:
        shipment["status"] = status
        event = {
            "id": f"trk_{secrets.token_hex(10)}",
            "tracking_number": shipment["tracking_number"],
            "status": status,
            "occurred_at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "description": DESCRIPTIONS[status],
        }
        shipment["events"].append(event)
        delivery = {"id": f"whd_{secrets.token_hex(10)}", "carrier": CARRIER_ID, "events": [event]}
        self._schedule(0, {"kind": "deliver", "delivery": delivery, "attempt": 1})
        return event

    def _schedule(self, after_s: float, job: dict[str, Any]) -> None:
        with self._wake:
            heapq.heappush(self._jobs, (time.monotonic() + after_s, next(self._seq), job))
            self._wake.notify_all()

    def _run_timers(self) -> None:
        while True:
            with self._wake:
                while not self._stopped and (not self._jobs or self._jobs[0][0] > time.monotonic()):
                    self._wake.wait(timeout=(self._jobs[0][0] - time.monotonic()) if self._jobs else None)
                if self._stopped:
                    return
                _, _, job = heapq.heappop(self._jobs)
                if job["kind"] == "step":
                    shipment = self._shipments[job["shipment_id"]]
                    if shipment["status"] == "cancelled":
                        continue
                    self._move(shipment, job["status"])
                    continue
            self._deliver(job["delivery"], job["attempt"])

    def _deliver(self, delivery: dict[str, Any], attempt: int) -> None:
        url = self.config.webhook_url
        if not url:
            return
        body = json.dumps(delivery, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(body, self.webhook_key, int(time.time())),
        }
        try:
            request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except OSError as exc:
            status = 0
            log.warning("carrier webhook %s not delivered: %s", delivery["id"], exc)
        with self._lock:
            self.deliveries.append({"delivery": delivery, "attempt": attempt, "status": status})
        if not 200 <= status < 300 and attempt < DELIVERY_ATTEMPTS:
            delay = self.config.retry_delay_s * 2 ** (attempt - 1)
            self._schedule(delay, {"kind": "deliver", "delivery": delivery, "attempt": attempt + 1})


def _in_days(start: date, days: int) -> str:
    return (start + timedelta(days=days)).isoformat()


def _handler(standin: CarrierStandin) -> type[BaseHTTPRequestHandler]:
    routes: list[tuple[str, re.Pattern[str], Any]] = [
        ("POST", re.compile(r"^/v1/rates$"), lambda m, q, b: standin.rates(b)),
        ("GET", re.compile(r"^/v1/estimates$"), lambda m, q, b: standin.estimate(q)),
        ("GET", re.compile(r"^/v1/branches$"), lambda m, q, b: standin.branches(q)),
        ("POST", re.compile(r"^/v1/shipments$"), lambda m, q, b: standin.book(b)),
        ("POST", re.compile(r"^/v1/shipments/([^/]+)/cancel$"), lambda m, q, b: standin.cancel(m.group(1))),
        ("GET", re.compile(r"^/v1/tracking$"), lambda m, q, b: standin.tracking(q)),
        (
            "GET",
            re.compile(r"^/_standin/deliveries$"),
            lambda m, q, b: {"deliveries": list(standin.deliveries)},
        ),
        (
            "POST",
            re.compile(r"^/_standin/shipments/([^/]+)/events$"),
            lambda m, q, b: standin.post_event(m.group(1), str(b.get("status"))),
        ),
    ]

    class Handler(BaseHTTPRequestHandler):
        server_version = "CarrierStandin/1.0"

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("carrier stand-in: " + format, *args)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            try:
                body = self._body() if method == "POST" else {}
                for route_method, pattern, action in routes:
                    match = pattern.match(parts.path)
                    if match and route_method == method:
                        self._answer(200, action(match, query, body))
                        return
                raise _Refused(404, f"no route {method} {parts.path}")
            except _Refused as refused:
                self._answer(refused.status, {"error": refused.message})
            except (KeyError, TypeError, ValueError) as exc:
                self._answer(400, {"error": f"bad request: {exc}"})

        def _body(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                raise _Refused(413, "body too large")
            data = json.loads(self.rfile.read(length) or b"{}")
            if not isinstance(data, dict):
                raise _Refused(400, "the body is a JSON object")
            return data

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=int, default=DEFAULT_CARRIER_PORT)
    parser.add_argument("--webhook-url")
    parser.add_argument("--key", help="the webhook signing key (generated if left out)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    config = CarrierStandinConfig(
        webhook_url=args.webhook_url, **({"webhook_key": args.key} if args.key else {})
    )
    timeline = CarrierStandinConfig.timeline_from_env()
    if timeline:
        config = CarrierStandinConfig(config.webhook_url, config.webhook_key, timeline)
    standin = CarrierStandin(config, args.port)
    standin.start()
    print(f"carrier stand-in on {standin.url}; webhook key {standin.webhook_key}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        standin.stop()


if __name__ == "__main__":
    main()
