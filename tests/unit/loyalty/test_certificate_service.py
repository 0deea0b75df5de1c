"""``CertificateService`` over an in-memory store: a code someone holds is drawn again, a batch and a paid
order write each certificate once however often they run, and the balance check counts every attempt."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from loyalty.domain import certificate_service
from loyalty.domain.certificate_service import BalanceLimits, CertificateService
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
    digest,
    new_certificate,
)

from shop_kernel.clock import FixedClock
from shop_kernel.errors import ValidationFailed
from shop_kernel.limits import AttemptKey, TooManyAttempts
from shop_kernel.money import Money

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
EUR10 = Money.of(1000, "EUR")


@dataclass
class Store:
    """The ``CertificateStore`` port in memory, keyed like the table: by the code's digest."""

    certificates: dict[str, GiftCertificate] = field(default_factory=dict)
    batches: dict[str, tuple[CertificateBatch, bytes]] = field(default_factory=dict)
    sold_orders: dict[str, SoldOrder] = field(default_factory=dict)
    attempts: dict[tuple[str, str, str], int] = field(default_factory=dict)

    def issue(self, code: str, certificate: GiftCertificate) -> bool:
        if digest(code) in self.certificates:
            return False
        self.certificates[digest(code)] = certificate
        return True

    def by_code(self, code: str) -> GiftCertificate | None:
        return self.certificates.get(digest(code))

    def by_codes(self, codes: list[str]) -> dict[str, GiftCertificate]:
        return {c: self.certificates[digest(c)] for c in codes if digest(c) in self.certificates}

    def by_id(self, certificate_id: str) -> GiftCertificate:
        raise NotImplementedError

    def page(self, limit: int, start: dict[str, Any] | None) -> tuple[list[GiftCertificate], None]:
        return list(self.certificates.values())[:limit], None

    def void(self, certificate_id: str, by: str, at: datetime) -> GiftCertificate:
        raise NotImplementedError

    def count_attempt(self, key: AttemptKey) -> bool:
        counter = (key.source, key.value, key.sort_key)
        if self.attempts.get(counter, 0) >= key.limit:
            return False
        self.attempts[counter] = self.attempts.get(counter, 0) + 1
        return True

    def create_batch(self, batch: CertificateBatch, seed: bytes) -> None:
        self.batches[batch.id] = (batch, seed)

    def batch(self, batch_id: str) -> tuple[CertificateBatch, bytes] | None:
        return self.batches.get(batch_id)

    def move_batch(self, batch_id: str, before: int, after: int) -> bool:
        batch, seed = self.batches[batch_id]
        if batch.issued != before:
            return False
        self.batches[batch_id] = (batch.model_copy(update={"issued": after}), seed)
        return True

    def hold_sold(self, order_id: str, fresh: bytes, lines: list[SoldLine]) -> SoldOrder:
        held = self.sold_orders.get(order_id, SoldOrder())
        if held.seed is None:
            held = replace(held, seed=fresh, lines=tuple(lines))
        self.sold_orders[order_id] = held
        return held

    def confirm_sold(self, order_id: str, at: datetime) -> SoldOrder:
        held = replace(self.sold_orders.get(order_id, SoldOrder()), confirmed=True)
        self.sold_orders[order_id] = held
        return held

    def cancel_sold(self, order_id: str, at: datetime) -> SoldOrder:
        held = replace(self.sold_orders.get(order_id, SoldOrder()), cancelled=True)
        self.sold_orders[order_id] = held
        return held

    def record_sold(self, order_id: str, indexes: list[int]) -> bool:
        held = self.sold_orders[order_id]
        if held.cancelled:
            return False
        self.sold_orders[order_id] = replace(held, indexes=tuple(sorted({*held.indexes, *indexes})))
        return True

    def void_code(self, code: str, by: str, at: datetime) -> bool:
        held = self.certificates[digest(code)]
        if held.voided_at is not None:
            return False
        self.certificates[digest(code)] = held.model_copy(update={"voided_at": at, "voided_by": by})
        return True


def _service(store: Store, clock: FixedClock | None = None) -> CertificateService:
    return CertificateService(
        store, clock or FixedClock(NOW), BalanceLimits(window=timedelta(minutes=15), per_ip=3)
    )


def test_an_issue_draws_again_when_the_code_is_held(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a code already held by another certificate, and a source that draws it first
    store = Store()
    store.issue("GC-TAKEN", new_certificate("GC-TAKEN", EUR10, Origin.ISSUED, NOW))
    draws = iter(["GC-TAKEN", "GC-FRESH"])
    monkeypatch.setattr(certificate_service, "new_code", lambda: next(draws))
    # WHEN a merchandiser issues one
    code, issued = _service(store).issue(IssueRequest(amount=EUR10, note="hi"), "merch-1")
    # THEN it gets the next draw; the held certificate is untouched
    assert code == "GC-FRESH"
    assert (issued.issued_by, issued.note, issued.balance) == ("merch-1", "hi", EUR10)
    assert store.by_code("GC-TAKEN").issued_by is None  # type: ignore[union-attr]


def test_an_expiry_in_the_past_is_refused_before_anything_is_written() -> None:
    store = Store()
    with pytest.raises(ValidationFailed):
        _service(store).issue(IssueRequest(amount=EUR10, expires_at=NOW - timedelta(days=1)), "m")
    assert store.certificates == {}


def test_a_batch_chunk_run_twice_writes_each_certificate_once_and_moves_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a batch of 5 written 2 at a time
    monkeypatch.setattr(certificate_service, "CHUNK", 2)
    store = Store()
    service = _service(store)
    batch = service.start_batch(BatchRequest(amount=EUR10, count=5), "merch-1")
    # WHEN records keep arriving (each reads the batch's progress as stored, so a replay goes on from there)
    written = [service.write_chunk(batch.id) for _ in range(6)]
    # THEN 5 certificates, each of the batch; the progress moved 2, 2, 1 and then nothing
    assert written == [2, 2, 1, 0, 0, 0]
    assert store.batches[batch.id][0].issued == 5
    assert len(store.certificates) == 5
    assert {c.batch_id for c in store.certificates.values()} == {batch.id}
    _, codes = service.batch_codes(batch.id, 0, 10)
    assert len(set(codes)) == 5
    assert all(store.by_code(c) is not None for c in codes)


def test_a_batch_code_someone_else_holds_moves_to_the_next_attempt() -> None:
    # GIVEN a batch whose first code (index 0, attempt 0) is already another certificate's
    store = Store()
    service = _service(store)
    batch = service.start_batch(BatchRequest(amount=EUR10, count=1), "m")
    _, seed = store.batches[batch.id]
    squatter = batch_code(seed, 0)
    store.issue(squatter, new_certificate(squatter, EUR10, Origin.ISSUED, NOW))
    # WHEN the chunk is written and exported
    service.write_chunk(batch.id)
    _, codes = service.batch_codes(batch.id, 0, 10)
    # THEN the batch's certificate holds attempt 1, and the export names it
    assert codes == [batch_code(seed, 0, attempt=1)]


def _gift_lines() -> list[SoldLine]:
    """Two 25 EUR cards on line 1 and one 50 EUR card on line 3."""
    return [
        SoldLine(line=1, sku="GIFT-25", quantity=2, face_value=Money.of(2500, "EUR")),
        SoldLine(line=3, sku="GIFT-50", quantity=1, face_value=Money.of(5000, "EUR")),
    ]


def test_a_placed_order_issues_nothing_until_confirmed_then_one_per_unit_once() -> None:
    # GIVEN an order with two 25 EUR cards and one 50 EUR card, placed (the event twice)
    store = Store()
    service = _service(store)
    assert [service.order_placed("ord_1", _gift_lines()) for _ in range(2)] == [[], []]
    assert store.certificates == {}
    # WHEN it is confirmed, three times
    first = service.order_confirmed("ord_1")
    for _ in range(2):
        assert service.order_confirmed("ord_1") == first
    # THEN three certificates, the order's, worth what each unit cost
    assert len(store.certificates) == 3
    assert sorted(c.initial.amount for c in store.certificates.values()) == [2500, 2500, 5000]
    assert {(c.origin, c.order_id) for c in store.certificates.values()} == {(Origin.ORDER, "ord_1")}
    # AND an order that sold no certificate issues none when placed or confirmed
    assert service.order_placed("ord_2", []) == []
    assert service.order_confirmed("ord_2") == []
    # AND when the order is cancelled (the event twice), its three are voided once; another order's nothing
    assert [service.void_for_order("ord_1") for _ in range(2)] == [3, 0]
    assert all(c.status(NOW) == "voided" for c in store.certificates.values())
    assert service.void_for_order("ord_2") == 0


def test_a_confirmation_before_the_placement_issues_when_the_lines_arrive() -> None:
    # GIVEN an order confirmed before loyalty read its OrderPlaced
    store = Store()
    service = _service(store)
    assert service.order_confirmed("ord_1") == []
    # WHEN its OrderPlaced arrives (twice)
    issued = service.order_placed("ord_1", _gift_lines())
    # THEN its three certificates are issued then, once
    assert len(issued) == 3
    assert service.order_placed("ord_1", _gift_lines()) == issued
    assert len(store.certificates) == 3


def test_an_order_held_for_review_and_rejected_issues_none_whatever_the_order_of_its_events() -> None:
    # GIVEN an order rejected in review: cancelled, never confirmed; one cancelled before loyalty read it
    store = Store()
    service = _service(store)
    service.order_placed("ord_rejected", _gift_lines())
    assert service.void_for_order("ord_rejected") == 0
    assert service.void_for_order("ord_early") == 0
    service.order_placed("ord_early", _gift_lines())
    # WHEN a stray confirmation arrives for either (a replay, a race with the cancellation)
    issued = [service.order_confirmed("ord_rejected"), service.order_confirmed("ord_early")]
    # THEN no certificate exists
    assert issued == [[], []]
    assert store.certificates == {}


def test_a_cancellation_while_the_certificates_are_written_voids_them() -> None:
    # GIVEN a confirmed order's certificates written, and the order cancelled before their indexes are
    store = Store()
    service = _service(store)
    service.order_placed("ord_1", _gift_lines())
    record = store.record_sold

    def cancelled_first(order_id: str, indexes: list[int]) -> bool:
        assert service.void_for_order(order_id) == 0  # the cancellation sees no index yet
        return record(order_id, indexes)

    store.record_sold = cancelled_first  # type: ignore[method-assign]
    # WHEN the confirmation finishes
    issued = service.order_confirmed("ord_1")
    # THEN it answers none issued, and the three it wrote are voided
    assert issued == []
    assert len(store.certificates) == 3
    assert all(c.status(NOW) == "voided" for c in store.certificates.values())


def test_balance_checks_count_per_address_unknown_codes_too_and_the_window_resets() -> None:
    # GIVEN a certificate and a limit of 3 checks per address per 15 minutes
    store = Store()
    clock = FixedClock(NOW)
    service = _service(store, clock)
    code, _ = service.issue(IssueRequest(amount=EUR10), "m")
    # WHEN one address checks it, guesses once, checks again, and checks a fourth time
    assert service.check_balance(code.lower(), "203.0.113.7").balance == EUR10
    with pytest.raises(UnknownCertificate):
        service.check_balance("GC-NOPE", "203.0.113.7")
    service.check_balance(code, "::ffff:203.0.113.7")  # the same address, IPv4-mapped
    with pytest.raises(TooManyAttempts) as refused:
        service.check_balance(code, "203.0.113.7")
    # THEN the fourth is a 429 until the window ends; another address, and the next window, may check
    assert refused.value.status == 429
    assert refused.value.retry_after_s == 15 * 60
    assert service.check_balance(code, "198.51.100.1").balance == EUR10
    clock.advance(minutes=15)
    assert service.check_balance(code, "203.0.113.7").balance == EUR10
