"""Webhook delivery for the local Stripe stand-in: signing, background delivery with retries, a log.

Each event goes to the configured endpoint as Stripe sends it: a JSON body and a ``Stripe-Signature``
header ``t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the endpoint secret whsec_...>``,
signed afresh for every attempt. A non-2xx answer or a connection error is retried with exponential
backoff up to ``max_attempts``; later events are not held back by an endpoint's failing one, as in
Stripe. Every attempt is logged (``deliveries()``, served at ``GET /_standin/deliveries``).

``deliver_now`` is for hostile-use tests: one synchronous attempt, optionally with a chosen timestamp
(too old), a body changed after signing (tampered), another secret, or the very same bytes and
header as the last delivery (a replay).
"""

from __future__ import annotations

import copy
import hashlib
import heapq
import hmac
import itertools
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from infra.local.stripe_standin_wire import new_id

log = logging.getLogger("infra.local.stripe")

USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"


def signature_header(payload: str, secret: str, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def tamper(payload: str) -> str:
    """The same event with the amount inflated (or a metadata key slipped in): what an attacker would do."""
    event = json.loads(payload)
    obj = event.get("data", {}).get("object", {})
    if isinstance(obj.get("amount"), int):
        obj["amount"] = obj["amount"] * 100 + 1
    else:
        obj.setdefault("metadata", {})["tampered"] = "true"
    return json.dumps(event, indent=2)


@dataclass
class WebhookEndpoint:
    url: str
    secret: str
    enabled_events: tuple[str, ...] = ("*",)

    def wants(self, event_type: str) -> bool:
        return "*" in self.enabled_events or event_type in self.enabled_events


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay_s: float = 1.0
    max_delay_s: float = 30.0
    timeout_s: float = 5.0

    def delay(self, attempt: int) -> float:
        return float(min(self.base_delay_s * 2 ** (attempt - 1), self.max_delay_s))


@dataclass(order=True)
class _Job:
    due: float
    seq: int
    event: dict[str, Any] = field(compare=False)
    endpoint: WebhookEndpoint = field(compare=False)
    attempt: int = field(default=1, compare=False)


@dataclass
class _Sent:
    payload: str
    header: str
    timestamp: int


class WebhookDispatcher:
    """Delivers events to the endpoint from one background thread, in order of due time."""

    def __init__(self, policy: RetryPolicy, endpoint: WebhookEndpoint | None = None) -> None:
        self.policy = policy
        self.endpoint = endpoint
        self._jobs: list[_Job] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._in_flight = 0
        self._stopped = False
        self._log: list[dict[str, Any]] = []
        self._last_sent: dict[str, _Sent] = {}
        self._thread = threading.Thread(target=self._run, name="stripe-webhooks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout=self.policy.timeout_s + 1)

    def enqueue(self, event: dict[str, Any]) -> int:
        """Schedules ``event`` for the endpoint; the number of endpoints it will go to (Stripe's pending_webhooks)."""
        endpoint = self.endpoint
        if endpoint is None or not endpoint.wants(event["type"]):
            return 0
        event["pending_webhooks"] = 1
        with self._cond:
            heapq.heappush(self._jobs, _Job(time.monotonic(), next(self._seq), event, endpoint))
            self._cond.notify_all()
        return 1

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """True once nothing is queued or in flight (retries included), False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._jobs or self._in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def deliveries(self, event_id: str | None = None) -> list[dict[str, Any]]:
        with self._cond:
            return [copy.deepcopy(d) for d in self._log if event_id is None or d["event_id"] == event_id]

    def clear_log(self) -> None:
        with self._cond:
            self._log.clear()

    def _run(self) -> None:
        while True:
            with self._cond:
                job = self._next_due()
                if job is None:
                    return
                self._in_flight += 1
            try:
                ok = self._attempt(job.event, job.endpoint, job.attempt, kind="automatic")["ok"]
            finally:
                with self._cond:
                    self._in_flight -= 1
                    if not ok and job.attempt < self.policy.max_attempts and not self._stopped:
                        due = time.monotonic() + self.policy.delay(job.attempt)
                        heapq.heappush(
                            self._jobs, _Job(due, next(self._seq), job.event, job.endpoint, job.attempt + 1)
                        )
                    self._cond.notify_all()

    def _next_due(self) -> _Job | None:
        """Waits (holding the condition) for the earliest job to fall due; None once stopped."""
        while not self._stopped:
            if not self._jobs:
                self._cond.wait()
                continue
            wait = self._jobs[0].due - time.monotonic()
            if wait <= 0:
                return heapq.heappop(self._jobs)
            self._cond.wait(wait)
        return None

    def deliver_now(
        self,
        event: dict[str, Any],
        *,
        timestamp: int | None = None,
        tampered: bool = False,
        secret: str | None = None,
        replay_last: bool = False,
        url: str | None = None,
    ) -> dict[str, Any]:
        """One synchronous attempt outside the retry schedule (``POST /_standin/events/{id}/resend``)."""
        if self.endpoint is None and url is None:
            raise LookupError("no webhook endpoint is configured")
        base = self.endpoint or WebhookEndpoint(url or "", secret or "")
        endpoint = WebhookEndpoint(url or base.url, secret or base.secret, base.enabled_events)
        sent = self._last_sent.get(event["id"]) if replay_last else None
        return self._attempt(
            event, endpoint, 1, kind="resend", timestamp=timestamp, tampered=tampered, sent=sent
        )

    def _attempt(
        self,
        event: dict[str, Any],
        endpoint: WebhookEndpoint,
        attempt: int,
        *,
        kind: str,
        timestamp: int | None = None,
        tampered: bool = False,
        sent: _Sent | None = None,
    ) -> dict[str, Any]:
        if sent is None:
            signed_at = int(time.time()) if timestamp is None else timestamp
            payload = json.dumps(event, indent=2)
            sent = _Sent(payload, signature_header(payload, endpoint.secret, signed_at), signed_at)
            if not tampered:
                self._last_sent[event["id"]] = sent
        body = tamper(sent.payload) if tampered else sent.payload
        record = {
            "id": new_id("whdel", 16),
            "event_id": event["id"],
            "event_type": event["type"],
            "url": endpoint.url,
            "attempt": attempt,
            "kind": kind,
            "signature_timestamp": sent.timestamp,
            "stripe_signature": sent.header,
            "tampered": tampered,
        }
        record.update(self._post(endpoint.url, body, sent.header))
        with self._cond:
            self._log.append(record)
        log.info("webhook %s %s -> %s (attempt %d)", event["type"], event["id"], record["status"], attempt)
        return copy.deepcopy(record)

    def _post(self, url: str, body: str, header: str) -> dict[str, Any]:
        request = urllib.request.Request(  # noqa: S310 - the URL is the configured endpoint (http on localhost)
            url,
            data=body.encode(),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": header,
                "User-Agent": USER_AGENT,
            },
        )
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        text = ""
        try:
            with urllib.request.urlopen(request, timeout=self.policy.timeout_s) as response:  # noqa: S310
                status, text = response.status, response.read(2000).decode(errors="replace")
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read(2000).decode(errors="replace")
        except (OSError, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        return {
            "status": status,
            "ok": status is not None and 200 <= status < 300,
            "error": error,
            "response_body": text,
            "duration_ms": round((time.monotonic() - started) * 1000),
            "delivered_at": int(time.time()),
        }
