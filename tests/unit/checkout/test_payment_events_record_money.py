"""Declines, cancellations, captures and refunds reach the order with the right amounts, once; the unpaid
order sweeper cancels only what Stripe does not hold money for.

Pure domain: ``PaymentEvents`` with the orders in memory and a Stripe double (see ``payment_doubles``).
"""

from __future__ import annotations

from checkout.domain.payments import MAX_ATTEMPTS, Outcome, order_id_of
from orders.domain.models import CancelReason, OrderStatus
from shop_kernel.clock import isoformat
from tests.unit.checkout.checkout_doubles import refuse_entries
from tests.unit.checkout.payment_doubles import (
    INTENT_ID,
    NOW,
    ORDER_ID,
    intent,
    pending_order,
    uah,
    world,
)


def _charge(refunded: int, currency: str = "uah", **changes: object) -> dict[str, object]:
    return {
        "payment_intent": INTENT_ID,
        "currency": currency,
        "amount_refunded": refunded,
        "metadata": {"order_id": ORDER_ID},
        **changes,
    }


def test_a_declined_card_is_recorded_and_the_order_still_waits() -> None:
    # GIVEN an order waiting for payment
    w = world(pending_order())
    declined = intent(
        status="requires_payment_method",
        last_error={"code": "card_declined", "decline_code": "insufficient_funds", "message": "No money"},
    )
    # WHEN the card is declined
    outcome = w.events.handle("payment_intent.payment_failed", {}, declined)
    # THEN the failure is recorded with Stripe's codes and the time, and the shopper may try again
    assert outcome == Outcome("failure recorded", ORDER_ID)
    assert w.order.status is OrderStatus.PENDING_PAYMENT
    assert w.order.payment.failures == 1
    failure = w.order.payment.last_failure
    assert failure is not None
    assert (failure.code, failure.decline_code, failure.message) == (
        "card_declined",
        "insufficient_funds",
        "No money",
    )
    assert failure.at == isoformat(NOW)


def test_a_cancelled_payment_intent_cancels_the_order_once() -> None:
    # GIVEN an order waiting for payment
    w = world(pending_order())
    # WHEN Stripe reports its PaymentIntent cancelled, twice
    first = w.events.handle("payment_intent.canceled", {}, intent(status="canceled"))
    again = w.events.handle("payment_intent.canceled", {}, intent(status="canceled"))
    # THEN the order is cancelled for that reason, once
    assert first == Outcome("cancelled", ORDER_ID)
    assert again == Outcome("nothing to change", ORDER_ID)
    assert w.order.status is OrderStatus.CANCELLED
    assert w.order.cancel_reason is CancelReason.PAYMENT_CANCELLED
    assert len(w.store.transactions) == 1


def test_a_capture_records_the_amount_received() -> None:
    # GIVEN an authorised order
    w = world(pending_order(status=OrderStatus.PAYMENT_AUTHORIZED))
    # WHEN Stripe reports 100.00 UAH received
    outcome = w.events.handle(
        "payment_intent.succeeded", {"amount_received": 10000}, intent(status="succeeded")
    )
    # THEN the order records exactly that
    assert outcome == Outcome("capture recorded", ORDER_ID)
    assert w.order.payment.captured == uah(10000)


def test_a_refund_records_the_charges_refunded_total_in_its_currency() -> None:
    # GIVEN a captured order
    w = world(pending_order(status=OrderStatus.PAYMENT_AUTHORIZED))
    # WHEN Stripe reports 25.00, then 40.00 refunded in total (lower-case currency, as Stripe sends it)
    first = w.events.handle("charge.refunded", _charge(2500), None)
    second = w.events.handle("charge.refunded", _charge(4000), None)
    # THEN the order's refunded total follows, in UAH
    assert (first.action, second.action) == ("refund recorded", "refund recorded")
    assert w.order.payment.refunded == uah(4000)
    # AND an older, smaller total arriving late changes nothing
    assert w.events.handle("charge.refunded", _charge(2500), None) == Outcome("nothing to change", ORDER_ID)
    assert w.order.payment.refunded == uah(4000)


def test_a_refund_without_a_payment_intent_or_of_another_order_is_ignored() -> None:
    # GIVEN an order
    w = world(pending_order(status=OrderStatus.PAYMENT_AUTHORIZED))
    # WHEN refunds arrive for a charge without a PaymentIntent, and for another order
    bare = w.events.handle("charge.refunded", _charge(100, payment_intent=None), None)
    other = w.events.handle("charge.refunded", _charge(100, metadata={"order_id": "ord_other"}), None)
    # THEN neither touches the order
    assert bare == Outcome("ignored: a charge without a payment")
    assert other == Outcome("ignored: not an order's payment")
    assert w.store.saves == []


def test_events_orders_do_not_react_to_are_acknowledged_and_ignored() -> None:
    # GIVEN an order
    w = world(pending_order())
    # WHEN an event type orders do not handle arrives, or a PaymentIntent event without its intent
    outcomes = [
        w.events.handle("payment_intent.created", {}, intent()),
        w.events.handle("payment_intent.canceled", {}, None),
    ]
    # THEN nothing changes
    assert {o.action for o in outcomes} == {"ignored: not an event orders react to"}
    assert w.store.saves == []
    assert w.store.transactions == []


def test_an_order_written_meanwhile_is_read_again_and_changed_on_the_fresh_version() -> None:
    # GIVEN the first save of a change loses a race
    w = world(pending_order())
    w.store.lose_next_saves = 1
    # WHEN a decline is recorded
    outcome = w.events.handle("payment_intent.payment_failed", {}, intent(status="requires_payment_method"))
    # THEN it is saved on the second try, once
    assert outcome.action == "failure recorded"
    assert w.order.payment.failures == 1
    assert MAX_ATTEMPTS > 1


def test_only_ord_prefixed_metadata_names_an_order() -> None:
    # GIVEN metadata as Stripe echoes it
    # WHEN the order id is read
    # THEN only a string starting with ord_ counts
    assert order_id_of({"metadata": {"order_id": ORDER_ID}}) == ORDER_ID
    assert order_id_of({"metadata": {"order_id": "cart_1"}}) is None
    assert order_id_of({"metadata": {"order_id": 12}}) is None
    assert order_id_of({"metadata": None}) is None
    assert order_id_of({}) is None


# --- the unpaid-order sweeper -------------------------------------------------------------------------


def _retrievable(w: object, status: str, amount_capturable: int = 0) -> None:
    w.stripe.intents[INTENT_ID] = intent(status=status, amount_capturable=amount_capturable)  # type: ignore[attr-defined]


def test_an_unpaid_order_past_its_deadline_is_cancelled_and_its_intent_voided() -> None:
    # GIVEN an order still waiting, its PaymentIntent never confirmed
    w = world(pending_order())
    _retrievable(w, "requires_payment_method")
    # WHEN the sweeper expires it
    outcome = w.events.expire(ORDER_ID)
    # THEN the intent is cancelled (so a late confirmation cannot take money) and the order cancelled
    assert outcome == Outcome("expired", ORDER_ID)
    assert w.stripe.cancelled == [(INTENT_ID, "abandoned", f"{ORDER_ID}-expire")]
    assert w.order.status is OrderStatus.CANCELLED
    assert w.order.cancel_reason is CancelReason.PAYMENT_EXPIRED
    assert w.store.transactions[-1][0]["Put"]["ExpressionAttributeValues"][":v"] == {"N": "2"}


def test_an_expiring_order_whose_money_stripe_holds_is_placed_not_cancelled() -> None:
    # GIVEN the webhook is late: Stripe already holds the order's amount
    w = world(pending_order())
    _retrievable(w, "requires_capture", amount_capturable=10000)
    # WHEN the sweeper looks at it
    outcome = w.events.expire(ORDER_ID)
    # THEN the order is placed and nothing is voided
    assert outcome == Outcome("placed", ORDER_ID)
    assert w.stripe.cancelled == []
    assert w.order.status is OrderStatus.PAYMENT_AUTHORIZED


def test_an_expiring_order_without_a_payment_intent_is_cancelled_without_calling_stripe() -> None:
    # GIVEN an order whose PaymentIntent was never made
    w = world(pending_order(payment=pending_order().payment.model_copy(update={"intent_id": None})))
    # WHEN the sweeper expires it
    outcome = w.events.expire(ORDER_ID)
    # THEN it is cancelled and Stripe is not asked
    assert outcome == Outcome("expired", ORDER_ID)
    assert w.stripe.cancelled == []


def test_the_sweeper_leaves_orders_that_are_not_waiting_and_those_changed_meanwhile() -> None:
    # GIVEN an authorised order, a missing one, and a waiting one whose save will lose a race
    paid = world(pending_order(status=OrderStatus.PAYMENT_AUTHORIZED))
    racing = world(pending_order())
    _retrievable(racing, "requires_payment_method")
    racing.store.answers.append(refuse_entries(0))
    # WHEN the sweeper runs on each
    # THEN the paid order and the unknown id are left alone; the racing one waits for the next sweep
    assert paid.events.expire(ORDER_ID) == Outcome("not waiting for payment", ORDER_ID)
    assert paid.events.expire("ord_missing") == Outcome("not waiting for payment", "ord_missing")
    assert paid.stripe.cancelled == []
    assert racing.events.expire(ORDER_ID) == Outcome(
        "changed meanwhile; the next sweep looks again", ORDER_ID
    )
    assert racing.order.status is OrderStatus.PENDING_PAYMENT
