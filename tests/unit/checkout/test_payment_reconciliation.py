"""Orders against Stripe's PaymentIntents without AWS or Stripe: each kind of drift, its repair, and
the run's report and event."""

from __future__ import annotations

from typing import Any

import pytest

from checkout.domain.ports import PaymentIntent
from checkout.domain.reconciliation import (
    PaymentDriftKind,
    PaymentsReport,
    Repair,
    compare_payment,
    compare_payments,
    drift_event,
)
from orders.domain.models import OrderStatus, ShipmentCharge, ShippedLine
from shop_kernel.money import Money
from tests.unit.checkout.test_orders_and_events import _order

ORDER_ID = "ord_01JE0000000000000000000000"


def _intent(status: str, **changes: Any) -> PaymentIntent:
    values: dict[str, Any] = {
        "id": "pi_1",
        "status": status,
        "amount": 10000,
        "currency": "UAH",
        "metadata": {"order_id": ORDER_ID},
    }
    values.update(changes)
    return PaymentIntent(**values)


def _authorised(**changes: Any) -> Any:
    order = _order()
    payment = order.payment.model_copy(update={"status": "authorized", **changes})
    return order.model_copy(update={"status": OrderStatus.PAYMENT_AUTHORIZED, "payment": payment})


def _cancelled() -> Any:
    return _order().model_copy(update={"status": OrderStatus.CANCELLED})


@pytest.mark.parametrize(
    ("intent", "order", "kind", "repair"),
    [
        # a cancelled order whose intent can still be paid, or holds the money
        (
            _intent("requires_payment_method"),
            _cancelled(),
            PaymentDriftKind.PAYABLE_AFTER_CANCEL,
            Repair.VOID,
        ),
        (
            _intent("requires_capture", amount_capturable=10000),
            _cancelled(),
            PaymentDriftKind.PAYABLE_AFTER_CANCEL,
            Repair.VOID,
        ),
        # an intent no order uses (lost stock race, abandoned attempt)
        (_intent("requires_payment_method"), None, PaymentDriftKind.ORPHAN_INTENT, Repair.VOID),
        (
            _intent("requires_payment_method", id="pi_2"),
            _order(),
            PaymentDriftKind.ORPHAN_INTENT,
            Repair.VOID,
        ),
        (_intent("succeeded", amount_received=10000), None, PaymentDriftKind.ORPHAN_INTENT, Repair.FLAG),
        # Stripe holds the money, the order never heard of it
        (
            _intent("requires_capture", amount_capturable=10000),
            _order(),
            PaymentDriftKind.MISSED_AUTHORISATION,
            Repair.AUTHORISE,
        ),
        # captured in Stripe, not on the order
        (
            _intent("succeeded", amount_received=10000),
            _authorised(),
            PaymentDriftKind.CAPTURE_UNRECORDED,
            Repair.RECORD_CAPTURE,
        ),
        # amounts that differ
        (
            _intent("requires_payment_method", amount=9000),
            _order(),
            PaymentDriftKind.AMOUNT_MISMATCH,
            Repair.FLAG,
        ),
        (
            _intent("requires_capture", amount_capturable=5000),
            _order(),
            PaymentDriftKind.AMOUNT_MISMATCH,
            Repair.FLAG,
        ),
        (
            _intent("succeeded", amount_received=10000),
            _cancelled(),
            PaymentDriftKind.AMOUNT_MISMATCH,
            Repair.FLAG,
        ),
        # the order is placed on an authorisation Stripe no longer holds
        (
            _intent("canceled", cancellation_reason="automatic"),
            _authorised(),
            PaymentDriftKind.AUTHORISATION_LOST,
            Repair.FLAG,
        ),
    ],
)
def test_each_kind_of_payment_drift_is_named_with_its_repair(
    intent: PaymentIntent, order: Any, kind: PaymentDriftKind, repair: Repair
) -> None:
    # GIVEN a PaymentIntent and the order it names, disagreeing
    # WHEN they are compared
    drift = compare_payment(intent, order)
    # THEN the drift says what differs and what may be done about it
    assert drift is not None
    assert (drift.kind, drift.repair, drift.intent_id) == (kind, repair, intent.id)


@pytest.mark.parametrize(
    ("intent", "order"),
    [
        (_intent("requires_payment_method"), _order()),
        (_intent("canceled"), _cancelled()),
        (_intent("requires_capture", amount_capturable=10000), _authorised()),
        (_intent("succeeded", amount_received=10000), _authorised(captured=Money.of(10000, "UAH"))),
        (_intent("canceled"), None),
    ],
)
def test_an_intent_and_order_that_agree_are_no_drift(intent: PaymentIntent, order: Any) -> None:
    # GIVEN an order and its PaymentIntent in step (or a finished intent nobody uses)
    # WHEN compared THEN nothing differs
    assert compare_payment(intent, order) is None


def test_an_intent_no_order_uses_is_left_alone_while_a_retried_checkout_may_still_get_it_back() -> None:
    # GIVEN an open intent no order uses, made at 1000
    intent = _intent("requires_payment_method", created=1000)
    # WHEN compared while intents made from 900 on are still young, and once they are old
    young = compare_payment(intent, None, orphan_before=900)
    old = compare_payment(intent, None, orphan_before=1001)
    # THEN it is no drift yet, then an orphan to void
    assert young is None
    assert old is not None
    assert (old.kind, old.repair) == (PaymentDriftKind.ORPHAN_INTENT, Repair.VOID)


def test_the_report_counts_by_kind_and_the_event_carries_ids_only() -> None:
    # GIVEN a run that found an orphan (voided) and a lost authorisation (flagged)
    drifts = compare_payments(
        [
            (_intent("requires_payment_method", id="pi_9"), None),
            (_intent("canceled"), _authorised()),
            (_intent("requires_payment_method"), _order()),
        ]
    )
    report = PaymentsReport(intents_checked=3, orders_checked=2, drifts=tuple(drifts), repaired=(drifts[0],))
    # WHEN its event is built
    event = drift_event(report, "2026-12-02T10:00:00.000Z")
    # THEN the counts are by kind, one repaired and one left for ops, with ids and no personal data
    assert report.found_by_kind() == {"orphan_intent": 1, "authorisation_lost": 1}
    assert report.repaired_by_kind() == {"orphan_intent": 1}
    assert [d.kind for d in report.flagged] == [PaymentDriftKind.AUTHORISATION_LOST]
    assert event is not None
    assert event.detail_type == "PaymentDriftFound"
    assert [(d["intent_id"], d["repaired"]) for d in event.data["drifts"]] == [
        ("pi_9", True),
        ("pi_1", False),
    ]
    assert "olena" not in str(event.detail())
    # AND a run where everything agrees publishes nothing
    assert drift_event(PaymentsReport(1, 1, (), ()), "2026-12-02T10:00:00.000Z") is None


def _partly_shipped(captured: int | None) -> Any:
    """An order one shipment of which captured 40.00 UAH (multicapture), the rest still to ship."""
    charge = ShipmentCharge(
        shipment_id="shp_1",
        lines=(ShippedLine(sku="SKU-1", quantity=1),),
        amount=Money.of(4000, "UAH"),
        final=False,
        status="captured",
        requested_at="2026-12-02T10:00:00.000Z",
    )
    recorded = Money.of(captured, "UAH") if captured is not None else None
    return _authorised(shipments=(charge,), captured=recorded)


def test_partial_captures_and_a_voided_rest_agree_with_an_order_that_recorded_them() -> None:
    # GIVEN an order whose first shipment captured 40.00 of 100.00 (multicapture)
    # WHEN Stripe still holds the rest, or cancelling the intent voided it after the capture
    holding = _intent("requires_capture", amount_capturable=6000, amount_received=4000)
    voided = _intent("canceled", amount_received=4000, cancellation_reason="abandoned")
    # THEN the order that recorded the capture agrees with both; one that did not is told to record it
    assert compare_payment(holding, _partly_shipped(4000)) is None
    assert compare_payment(voided, _partly_shipped(4000)) is None
    drift = compare_payment(voided, _partly_shipped(None))
    assert drift is not None
    assert (drift.kind, drift.repair) == (PaymentDriftKind.CAPTURE_UNRECORDED, Repair.RECORD_CAPTURE)
