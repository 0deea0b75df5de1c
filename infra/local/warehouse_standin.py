"""The warehouse stand-in: picks and packs every ``FulfilmentRequested`` on its own, after a delay.

In the cloud a warehouse system consumes the ``warehouse-requests`` queue (rule -> queue) and, once its
staff packed a shipment, reports the packed quantities to ``POST /admin/fulfilment/shipments/{id}/packed``
as a machine user of the ``ops`` group. Locally this stand-in is that system: the runner feeds it the
queue (an ``SqsPoller``, as for any consumer) and it answers each request later, on its own timer, through
the local API with a locally signed ops token, so a demo order moves from paid to packed with no manual
step, asynchronously (never inside the task that asked).

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
ATTEMPTS = 5


@dataclass(frozen=True)
class WarehouseConfig:
    api_url: str
    token: Callable[[], str]  # a fresh ops bearer token
    delay_s: float = 5.0
    short_units: int = 0

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
        )


def packed_lines(request: Mapping[str, Any], short_units: int) -> list[dict[str, Any]]:
    """What the stand-in packs for a ``FulfilmentRequested``: everything, less ``short_units`` of the
    first line."""
    lines = [{"sku": line["sku"], "quantity": int(line["quantity"])} for line in request.get("lines", [])]
    if lines and short_units:
        lines[0]["quantity"] = max(0, lines[0]["quantity"] - short_units)
    return lines


class WarehouseStandin:
    """The ``warehouse-requests`` queue's consumer (called by an ``SqsPoller`` with SQS batches)."""

    def __init__(self, config: WarehouseConfig) -> None:
        self.config = config
        self.reported: list[tuple[str, int]] = []  # (shipment id, HTTP status), for tests and /health
        self._timers: set[threading.Timer] = set()
        self._lock = threading.Lock()
        self._stopped = False

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        for record in event.get("Records", []):
            detail = json.loads(record["body"]).get("detail") or {}
            request = detail.get("data") or {}
            if request.get("shipment_id"):
                self._later(self.config.delay_s, request, 1)
        return {"batchItemFailures": []}

    def _later(self, delay_s: float, request: Mapping[str, Any], attempt: int) -> None:
        with self._lock:
            if self._stopped:
                return
            timer = threading.Timer(delay_s, self._report, args=(request, attempt))
            timer.daemon = True
            self._timers.add(timer)
        timer.start()

    def _report(self, request: Mapping[str, Any], attempt: int) -> None:
        shipment_id = str(request["shipment_id"])
        url = f"{self.config.api_url}/admin/fulfilment/shipments/{shipment_id}/packed"
        body = {"lines": packed_lines(request, self.config.short_units)}
        try:
            answer = requests.post(
                url, json=body, headers={"Authorization": f"Bearer {self.config.token()}"}, timeout=30
            )
            status = answer.status_code
        except requests.RequestException as exc:
            log.warning("warehouse stand-in could not report %s: %s", shipment_id, exc)
            status = 0
        if status == 0 or status >= 500:
            if attempt < ATTEMPTS:
                self._later(2.0 * attempt, request, attempt + 1)
            return
        self.reported.append((shipment_id, status))
        log.info("warehouse stand-in packed %s: %s", shipment_id, status)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            timers, self._timers = set(self._timers), set()
        for timer in timers:
            timer.cancel()
