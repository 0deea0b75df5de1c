"""Gift certificate use cases: merchandisers issue (one, or a batch), list, read and void; anyone checks a
balance by code (a limited number of times per client address); a confirmed order issues what it bought.

An order's certificates wait for two facts, in either order: its lines (``OrderPlaced``) and its
confirmation (``OrderConfirmed``: fraud review passed or was not needed, the order went to be fulfilled).
A cancellation that comes first stops the issue; one that comes later voids what was issued.

The codes are drawn here and handed out once: in the answer that issued a certificate, or derived again
from a batch's or an order's secret seed (``certificates.batch_code``) for an export or a notification.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from loyalty.domain.certificates import (
    BatchRequest,
    CertificateBatch,
    GiftCertificate,
    IssueRequest,
    Origin,
    SoldLine,
    SoldOrder,
    UnknownCertificate,
    batch_code,
    check_expiry,
    new_certificate,
    new_code,
    normalise,
    unit_indexes,
)
from shop_kernel.clock import Clock
from shop_kernel.ids import new_id
from shop_kernel.limits import AttemptKey, TooManyAttempts, attempt_key, normalise_ip
from shop_kernel.money import Money

CHUNK = 200  # certificates a batch writes per stream record (each a conditional put)
MAX_DRAWS = 5  # a fresh code is taken with probability ~1e-23 per draw; five in a row is a broken source


class CertificateStore(Protocol):
    def issue(self, code: str, certificate: GiftCertificate) -> bool: ...
    def by_code(self, code: str) -> GiftCertificate | None: ...
    def by_codes(self, codes: Sequence[str]) -> dict[str, GiftCertificate]: ...
    def by_id(self, certificate_id: str) -> GiftCertificate: ...
    def page(
        self, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[GiftCertificate], dict[str, Any] | None]: ...
    def void(self, certificate_id: str, by: str, at: datetime) -> GiftCertificate: ...
    def count_attempt(self, key: AttemptKey) -> bool: ...
    def create_batch(self, batch: CertificateBatch, seed: bytes) -> None: ...
    def batch(self, batch_id: str) -> tuple[CertificateBatch, bytes] | None: ...
    def move_batch(self, batch_id: str, before: int, after: int) -> bool: ...
    def hold_sold(self, order_id: str, fresh: bytes, lines: Sequence[SoldLine]) -> SoldOrder: ...
    def confirm_sold(self, order_id: str, at: datetime) -> SoldOrder: ...
    def cancel_sold(self, order_id: str, at: datetime) -> SoldOrder: ...
    def record_sold(self, order_id: str, indexes: Sequence[int]) -> bool: ...
    def void_code(self, code: str, by: str, at: datetime) -> bool: ...


@dataclass(frozen=True)
class BalanceLimits:
    """Balance checks per client address per window: a shopper checks a card or two; a script guessing
    codes needs millions of tries (the codes have ~78 bits), and this keeps it to a trickle."""

    window: timedelta = timedelta(minutes=15)
    per_ip: int = 10


class CertificateService:
    def __init__(
        self, store: CertificateStore, clock: Clock, limits: BalanceLimits = BalanceLimits()
    ) -> None:
        self.store = store
        self.clock = clock
        self.limits = limits

    def issue(self, request: IssueRequest, merchandiser: str) -> tuple[str, GiftCertificate]:
        """One certificate; its code is in this answer only."""
        now = self.clock.now()
        check_expiry(request.expires_at, now)
        for _ in range(MAX_DRAWS):
            code = new_code()
            certificate = new_certificate(
                code,
                request.amount,
                Origin.ISSUED,
                now,
                expires_at=request.expires_at,
                note=request.note,
                issued_by=merchandiser,
            )
            if self.store.issue(code, certificate):
                return code, certificate
        raise RuntimeError("every code drawn was taken: the random source is broken")

    def start_batch(self, request: BatchRequest, merchandiser: str) -> CertificateBatch:
        """A batch of ``count`` certificates, written after the answer (``write_chunk``)."""
        now = self.clock.now()
        check_expiry(request.expires_at, now)
        batch = CertificateBatch(
            id=new_id("gcb"),
            count=request.count,
            amount=request.amount,
            expires_at=request.expires_at,
            note=request.note,
            issued_by=merchandiser,
            created_at=now,
        )
        self.store.create_batch(batch, secrets.token_bytes(32))
        return batch

    def write_chunk(self, batch_id: str) -> int:
        """The batch's next chunk of certificates; the number written (0: done, or moved by another run)."""
        found = self.store.batch(batch_id)
        if found is None:
            return 0
        batch, seed = found
        start, end = batch.issued, min(batch.count, batch.issued + CHUNK)
        for index in range(start, end):
            self._issue_derived(seed, index, batch.amount, Origin.BATCH, batch=batch)
        return end - start if end > start and self.store.move_batch(batch.id, start, end) else 0

    def batch(self, batch_id: str) -> CertificateBatch:
        found = self.store.batch(batch_id)
        if found is None:
            raise UnknownCertificate(f"no gift certificate batch {batch_id}")
        return found[0]

    def batch_codes(self, batch_id: str, offset: int, limit: int) -> tuple[CertificateBatch, list[str]]:
        """Codes ``offset`` .. ``offset + limit`` of a batch, as written (for printing): each index's first
        attempt nobody else held, confirmed a page at a time."""
        found = self.store.batch(batch_id)
        if found is None:
            raise UnknownCertificate(f"no gift certificate batch {batch_id}")
        batch, seed = found
        indexes = range(offset, min(batch.issued, offset + limit))
        codes = self._held_codes(seed, indexes, lambda held: held.batch_id == batch.id)
        if len(codes) != len(indexes):
            raise UnknownCertificate(f"some certificates of {batch_id} were not written")
        return batch, [codes[i] for i in indexes]

    def _held_codes(
        self, seed: bytes, indexes: Sequence[int], mine: Callable[[GiftCertificate], bool]
    ) -> dict[int, str]:
        """Each index's code: the first attempt that holds one of ``mine``, confirmed a page at a time."""
        codes: dict[int, str] = {}
        for attempt in range(MAX_DRAWS):
            wanted = {i: batch_code(seed, i, attempt) for i in indexes if i not in codes}
            if not wanted:
                break
            held = self.store.by_codes(list(wanted.values()))
            codes.update({i: c for i, c in wanted.items() if c in held and mine(held[c])})
        return codes

    def _issue_derived(
        self,
        seed: bytes,
        index: int,
        amount: Money,
        origin: Origin,
        *,
        batch: CertificateBatch | None = None,
        order_id: str | None = None,
    ) -> GiftCertificate:
        """Write certificate ``index`` of a batch or an order once: a replay finds its own and stops."""
        now = self.clock.now()
        source = batch.id if batch else order_id
        for attempt in range(MAX_DRAWS):
            code = batch_code(seed, index, attempt)
            certificate = new_certificate(
                code,
                amount,
                origin,
                now,
                expires_at=batch.expires_at if batch else None,
                note=batch.note if batch else None,
                issued_by=batch.issued_by if batch else None,
                batch_id=batch.id if batch else None,
                order_id=order_id,
            )
            if self.store.issue(code, certificate):
                return certificate
            held = self.store.by_code(code)
            if held is not None and source in (held.batch_id, held.order_id):
                return held  # written by an earlier delivery
        raise RuntimeError(f"no free code for {source} #{index}")

    def order_placed(self, order_id: str, lines: Sequence[SoldLine]) -> list[GiftCertificate]:
        """An order's gift certificate lines are held; issued now only if it was confirmed already."""
        if not lines:
            return []
        return self._issue_confirmed(order_id, self.store.hold_sold(order_id, secrets.token_bytes(32), lines))

    def order_confirmed(self, order_id: str) -> list[GiftCertificate]:
        """The order passed review (or needed none): one certificate per unit of its held lines, once per
        order, line and unit, however often the events arrive. Nothing for an order that sold none."""
        return self._issue_confirmed(order_id, self.store.confirm_sold(order_id, self.clock.now()))

    def _issue_confirmed(self, order_id: str, sold: SoldOrder) -> list[GiftCertificate]:
        if not sold.issuable or sold.seed is None:
            return []
        units = unit_indexes(sold.lines)
        issued = [
            self._issue_derived(sold.seed, index, line.face_value, Origin.ORDER, order_id=order_id)
            for line, index in units
        ]
        if not self.store.record_sold(order_id, [index for _, index in units]):
            # Cancelled while these were written: the cancellation read no indexes, so void them here.
            self._void_codes(order_id, sold.seed, [index for _, index in units])
            return []
        return issued

    def void_for_order(self, order_id: str) -> int:
        """A cancelled order's certificates voided (what was spent of them stays spent), and none issued
        after; how many were voided."""
        sold = self.store.cancel_sold(order_id, self.clock.now())
        if sold.seed is None or not sold.indexes:
            return 0
        return self._void_codes(order_id, sold.seed, sold.indexes)

    def _void_codes(self, order_id: str, seed: bytes, indexes: Sequence[int]) -> int:
        codes = self._held_codes(seed, indexes, lambda held: held.order_id == order_id)
        now = self.clock.now()
        return sum(self.store.void_code(code, f"order-cancelled:{order_id}", now) for code in codes.values())

    def check_balance(self, raw_code: str, client_ip: str | None) -> GiftCertificate:
        """The certificate a code names, counted against the caller's address first (a refused or
        unknown code still counts: guessing is what the limit is for)."""
        now = self.clock.now()
        source = normalise_ip(client_ip) if client_ip else "unknown"
        key = attempt_key("gc-balance", source, now, self.limits.window, self.limits.per_ip)
        if not self.store.count_attempt(key):
            raise TooManyAttempts(
                "too many gift certificate balance checks from your network address: retry after the "
                "Retry-After seconds",
                key,
                now,
            )
        found = self.store.by_code(normalise(raw_code))
        if found is None:
            raise UnknownCertificate("no gift certificate has this code")
        return found
