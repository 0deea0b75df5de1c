"""What a cancellation writes (the order and every give-back, in one transaction), how long a new
order's stock is held, and the fraud assessment of an order nothing is due on by card."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from checkout.domain import orders
from checkout.domain.payments import GiveBackRefused
from orders.domain.errors import OrderChanged
from orders.domain.models import CancelReason, Order, OrderStatus, PaymentFailure
from pricing.domain import CodeRedemption, GiftCertificateTender
from shop_kernel.money import Money
from tests.certificates import certificate_pk
from tests.unit.checkout.checkout_doubles import refuse_entries
from tests.unit.checkout.payment_doubles import ORDER_ID, intent, pending_order, world
from tests.unit.checkout.test_orders_and_events import _order

NOW = datetime(2026, 12, 2, 11, 0, tzinfo=UTC)


def _uah(amount: int) -> Money:
    return Money.of(amount, "UAH")


REDEMPTIONS: dict[str, Any] = {
    "promo_codes": ("ONCE", "PUBLIC"),
    "code_redemptions": (
        CodeRedemption(
            code="ONCE",
            promotion_id="promo_ten",
            customer_key="email:olena@example.com",
            usage_limit=None,
            per_customer_limit=1,
        ),
        CodeRedemption(
            code="PUBLIC",
            promotion_id="promo_ten",
            customer_key=None,
            usage_limit=5,
            per_customer_limit=None,
        ),
    ),
    "gift_certificates": (
        GiftCertificateTender(
            code="GC-500", amount=_uah(3000), balance_before=_uah(50000), balance_after=_uah(47000)
        ),
    ),
}


def _redeeming_order() -> Order:
    return _order(**REDEMPTIONS)


def test_a_cancellation_gives_back_every_code_use_and_certificate_debit_in_the_same_write() -> None:
    # GIVEN an order (version 1) that counted two code uses (one per customer) and debited a certificate
    order = _redeeming_order()
    w = world(order)
    # WHEN its PaymentIntent is cancelled
    w.events.handle("payment_intent.canceled", {}, intent(status="canceled"))
    cancelled = w.order
    assert cancelled.status is OrderStatus.CANCELLED
    # THEN one unit of work: the order on the version read, then every give-back through its owner's contract
    (work,) = w.store.works
    assert [name for name, _ in work.calls] == [
        "update_order",
        "restore_code",
        "restore_code",
        "restore_certificate",
    ]
    assert work.called("update_order")[0]["expected_version"] == 1
    assert [c["redemption"] for c in work.called("restore_code")] == list(order.code_redemptions)
    assert work.called("restore_certificate") == [
        {"code": "GC-500", "amount": _uah(3000), "order_id": order.id, "at": cancelled.cancelled_at}
    ]
    # AND on the wire entry 0 is the order, conditioned on the version read: the give-backs land only with it
    (entries,) = w.store.transactions
    put = entries[0]["Put"]
    assert (put["TableName"], put["ConditionExpression"]) == ("orders", "version = :v")
    assert put["ExpressionAttributeValues"] == {":v": {"N": "1"}}
    updates = [e["Update"] for e in entries[1:]]
    keys = [(u["Key"]["pk"]["S"], u["Key"]["sk"]["S"]) for u in updates]
    assert keys == [
        ("CODE#ONCE", "CODE"),
        ("CODE#ONCE", "USE#email:olena@example.com"),
        ("CODE#PUBLIC", "CODE"),
        (certificate_pk("GC-500"), "CERT"),
        (certificate_pk("GC-500"), f"TXN#{order.id}"),
    ]
    # AND each code count goes down by one, never below zero
    for use in updates[:3]:
        assert (use["UpdateExpression"], use["ConditionExpression"]) == (
            "SET uses = uses - :one",
            "uses >= :one",
        )
    # AND the certificate gets back what this order debited, its debit marked restored only once
    credit, ledger = updates[3], updates[4]
    assert credit["UpdateExpression"].startswith("SET balance = balance + :amount")
    assert credit["ExpressionAttributeValues"][":amount"] == {"N": "3000"}
    assert credit["ExpressionAttributeValues"][":currency"] == {"S": "UAH"}
    assert ledger["ConditionExpression"] == "attribute_exists(pk) AND attribute_not_exists(restored_at)"
    assert ledger["ExpressionAttributeValues"][":at"] == {"S": cancelled.cancelled_at}


@pytest.mark.parametrize(
    ("refused", "raised"),
    [((4,), GiveBackRefused), ((0, 4), OrderChanged)],
    ids=["give-back-only", "order-and-give-back"],
)
def test_a_refused_give_back_leaves_the_order_and_a_lost_version_race_wins(
    refused: tuple[int, ...], raised: type[Exception]
) -> None:
    # GIVEN the redeeming order, its certificate credit (entry 4) refused
    w = world(_redeeming_order())
    cancelled = orders.cancelled(w.order, NOW, CancelReason.PAYMENT_CANCELLED)
    assert cancelled is not None
    w.store.answers.append(refuse_entries(*refused))
    # WHEN the cancellation is written
    with pytest.raises(raised) as caught:
        w.events._write(w.order, cancelled)
    # THEN loyalty's contract names the give-back (GiveBackRefused), unless the order itself changed first
    if raised is GiveBackRefused:
        assert caught.value.code == "GC-500"  # type: ignore[attr-defined]
    assert w.order.status is OrderStatus.PENDING_PAYMENT


def test_only_the_change_into_cancelled_gives_back() -> None:
    # GIVEN an order and its cancelled next version
    order = _redeeming_order()
    cancelled = orders.cancelled(order, NOW, CancelReason.PAYMENT_CANCELLED)
    assert cancelled is not None
    # THEN cancelling is the change that gives back; a cancelled order cannot be cancelled again
    assert orders.is_cancellation(order, cancelled) is True
    assert orders.is_cancellation(cancelled, cancelled) is False
    assert orders.cancelled(cancelled, NOW, CancelReason.PAYMENT_EXPIRED) is None
    # AND a failed payment is no cancellation
    failed = orders.payment_failed(order, NOW, PaymentFailure(at="2026-12-02T11:00:00.000Z"))
    assert failed is not None
    assert orders.is_cancellation(order, failed) is False


def test_an_order_with_nothing_due_by_card_holds_its_stock_like_an_authorised_payment() -> None:
    # GIVEN the default terms (30 min to pay, 15 min margin)
    terms = orders.OrderTerms()
    # THEN a card order's stock is held until the deadline and its margin, a fully paid one for 7 days
    assert terms.hold(paid_by_card=True) == timedelta(minutes=45)
    assert terms.hold(paid_by_card=False) == timedelta(days=7) == orders.AUTHORISED_HOLD


def test_an_order_placed_without_a_card_carries_its_assessment_and_a_review_note() -> None:
    # GIVEN an order gift certificates paid in full
    order = _order(status=OrderStatus.PAYMENT_AUTHORIZED)
    risk = {"score": 70, "decision": "review"}
    # WHEN it is screened as needing review, or not
    held, accepted = orders.screened(order, risk, True), orders.screened(order, {"score": 0}, False)
    # THEN the assessment is on the order; review adds a note to its history, acceptance nothing
    assert (held.risk, held.review_required) == (risk, True)
    assert held.history[-1].note == "held for fraud review"
    assert (accepted.review_required, accepted.history) == (False, order.history)


def test_a_cancelled_payment_writes_the_order_and_its_give_backs_in_one_transaction() -> None:
    # GIVEN an order waiting for payment that counted two code uses and debited a certificate
    w = world(pending_order(**REDEMPTIONS))
    # WHEN Stripe says its PaymentIntent was cancelled
    w.events.handle("payment_intent.canceled", {}, intent(status="canceled"))
    # THEN one transaction: the order in the orders table, the code uses given back in the promotions
    # table and the certificate's debit in loyalty's
    (entries,) = w.store.transactions
    tables = [next(iter(entry.values()))["TableName"] for entry in entries]
    assert tables == ["orders", *["promotions"] * 3, *["loyalty"] * 2]
    assert w.order.status is OrderStatus.CANCELLED


def test_a_give_back_the_ledger_refuses_stops_the_cancellation_and_names_the_order() -> None:
    # GIVEN an order waiting for payment whose certificate debit the ledger no longer shows (entry 5)
    w = world(pending_order(**REDEMPTIONS))
    before = w.order
    w.store.answers.append(refuse_entries(5))
    # WHEN its PaymentIntent is cancelled
    with pytest.raises(GiveBackRefused) as refused:
        w.events.handle("payment_intent.canceled", {}, intent(status="canceled"))
    # THEN nothing is retried or written: the order stays as it was, and the error names it and the code
    assert (refused.value.order_id, refused.value.code) == (ORDER_ID, "GC-500")
    assert str(refused.value) == f"{ORDER_ID}: giving back GC-500 was refused"
    assert w.order == before
