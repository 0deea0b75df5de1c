"""The warehouse stand-in: picks and packs every ``FulfilmentRequested`` on its own, after a delay.

In the cloud a warehouse system consumes the ``warehouse-requests`` queue (rule -> queue) and, once its
staff packed a shipment, reports the packed quantities to ``POST /admin/fulfilment/shipments/{id}/packed``
as a machine user of the ``ops`` group. Locally this stand-in is that system: the runner feeds it the
queue (an ``SqsPoller``, as for any consumer) and it answers each request later, on its own timer, through
the local API with a locally signed ops token, so a demo order moves from paid to packed with no manual
step, asynchronously (never inside the task that asked).

A ``FulfilmentCancelled`` on the same queue (a cancellation request before packing) withdraws units:
the stand-in packs the rest, or nothing at all (no report) when the whole shipment was withdrawn. It
also plays the pickup store: a store pickup (packed there) or a transfer (delivered there by the carrier)
announced by ``ShipmentReadyForCollection`` is collected by its shopper ``WAREHOUSE_STANDIN_COLLECT_S``
(default 10) seconds later: the store's staff confirm it (``POST /admin/fulfilment/shipments/{id}/collected``);
a negative value never collects (the hold period runs out instead), and a pickup cancelled meanwhile is
refused (409) and dropped.

``WAREHOUSE_STANDIN_DELAY_S`` (default 5) is how long packing takes; ``WAREHOUSE_STANDIN_SHORT`` (default
0) how many units of each shipment's first line it cannot find (a short pick, to watch one locally). A
report the API refuses for good (404, 409: the order was cancelled meanwhile) is dropped; a failure to
reach it is retried a few times.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

log = logging.getLogger("infra.local.warehouse")

DELAY_VARIABLE = "WAREHOUSE_STANDIN_DELAY_S"
SHORT_VARIABLE = "WAREHOUSE_STANDIN_SHORT"
COLLECT_VARIABLE = "WAREHOUSE_STANDIN_COLLECT_S"
ATTEMPTS = 5


@dataclass(frozen=True)
class WarehouseConfig:
    api_url: str
    token: Callable[[], str]  # a fresh ops bearer token
    delay_s: float = 5.0
    short_units: int = 0
    collect_after_s: float = 10.0  # negative: the shopper never comes

    @classmethod
    def from_env(
        cls, api_url: str, token: Callable[[], str], environ: Mapping[str, str] | None = None
    ) -> WarehouseConfig:
        env = os.environ if environ is None else environ
        return cls(
            api_url=api_url,
            token=token,
            delay_s=float(env.get(DELAY_VARIABLE, "5")),
            short_units=int(env.get(SHORT_VARIABLE, "0")),
            collect_after_s=float(env.get(COLLECT_VARIABLE, "10")),
        )


def packed_lines(
    request: Mapping[str, Any], short_units: int, withdrawn: Mapping[str, int] | None = None
) -> list[dict[str, Any]]:
    """What the stand-in packs for a ``FulfilmentRequested``: everything, less ``short_units`` of the
    first line, less the units a ``FulfilmentCancelled`` withdrew."""
    lines = [{"sku": line["sku"], "quantity": int(line["quantity"])} for line in request.get("lines", [])]
    if lines and short_units:
        lines[0]["quantity"] = max(0, lines[0]["quantity"] - short_units)
    for line in lines:
        line["quantity"] = max(0, line["quantity"] - (withdrawn or {}).get(line["sku"], 0))
    return lines


class WarehouseStandin:
    """The ``warehouse-requests`` queue's consumer (called by an ``SqsPoller`` with SQS batches)."""

    def __init__(self, config: WarehouseConfig) -> None:
        self.config = config
        self.reported: list[tuple[str, int]] = []  # (shipment id, HTTP status), for tests and /health
        self.collected: list[tuple[str, int]] = []  # store pickups handed over (shipment id, HTTP status)
        self._timers: set[threading.Timer] = set()
        self._lock = threading.Lock()
        self._stopped = False
        self._withdrawn: dict[str, dict[str, int]] = {}  # units cancelled per shipment
        self._closed: set[str] = set()  # shipments withdrawn whole: nothing to report

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        for record in event.get("Records", []):
            body = json.loads(record["body"])
            request = (body.get("detail") or {}).get("data") or {}
            if not request.get("shipment_id"):
                continue
            if body.get("detail-type") == "FulfilmentCancelled":
                self._withdraw(request)
            elif body.get("detail-type") == "ShipmentReadyForCollection":
                if self.config.collect_after_s >= 0:
                    self._later(self.config.collect_after_s, request, 1, "collected")
            else:
                self._later(self.config.delay_s, request, 1)
        return {"batchItemFailures": []}

    def _withdraw(self, cancelled: Mapping[str, Any]) -> None:
        shipment_id = str(cancelled["shipment_id"])
        with self._lock:
            if cancelled.get("whole_shipment"):
                self._closed.add(shipment_id)
            units = self._withdrawn.setdefault(shipment_id, {})
            for line in cancelled.get("lines", []):
                units[line["sku"]] = units.get(line["sku"], 0) + int(line["quantity"])
        log.info("warehouse stand-in withdrew units of %s", shipment_id)

    def _later(
        self, delay_s: float, request: Mapping[str, Any], attempt: int, action: str = "packed"
    ) -> None:
        with self._lock:
            if self._stopped:
                return
            call = self._report if action == "packed" else self._collect
            timer = threading.Timer(delay_s, call, args=(request, attempt))
            timer.daemon = True
            self._timers.add(timer)
        timer.start()

    def _report(self, request: Mapping[str, Any], attempt: int) -> None:
        shipment_id = str(request["shipment_id"])
        with self._lock:
            if shipment_id in self._closed:
                return
            withdrawn = dict(self._withdrawn.get(shipment_id, {}))
        body = {"lines": packed_lines(request, self.config.short_units, withdrawn)}
        status = self._post(shipment_id, "packed", body)
        if status == 0 or status >= 500:
            if attempt < ATTEMPTS:
                self._later(2.0 * attempt, request, attempt + 1)
            return
        self.reported.append((shipment_id, status))
        log.info("warehouse stand-in packed %s: %s", shipment_id, status)

    def _collect(self, request: Mapping[str, Any], attempt: int) -> None:
        """The shopper came: the store's staff confirm the collection."""
        shipment_id = str(request["shipment_id"])
        status = self._post(shipment_id, "collected", {})
        if (status == 0 or status >= 500) and attempt < ATTEMPTS:
            self._later(2.0 * attempt, request, attempt + 1, "collected")
            return
        self.collected.append((shipment_id, status))
        log.info("store stand-in handed over %s: %s", shipment_id, status)

    def _post(self, shipment_id: str, action: str, body: dict[str, Any]) -> int:
        url = f"{self.config.api_url}/admin/fulfilment/shipments/{shipment_id}/{action}"
        try:
            answer = requests.post(
                url, json=body, headers={"Authorization": f"Bearer {self.config.token()}"}, timeout=30
            )
        except requests.RequestException as exc:
            # Once the stack stops, a report under way may find the API gone: that is no news.
            level = logging.DEBUG if self._stopped else logging.WARNING
            log.log(level, "warehouse stand-in could not report %s %s: %s", action, shipment_id, exc)
            return 0
        return answer.status_code

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            timers, self._timers = set(self._timers), set()
        for timer in timers:
            timer.cancel()
