"""An authorised payment places the order and holds its stock for the authorisation's lifetime, in one
transaction; a late, foreign or repeated authorisation never places an order it should not.

Pure domain: ``PaymentEvents`` with the orders in memory and a Stripe double (see ``payment_doubles``).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from checkout.domain.fraud import VelocityDimension, velocity_keys
from checkout.domain.payments import Outcome
from checkout.domain.ports import ChargeFacts
from inventory.adapters.records import expiry_sort_key, reservation_key
from orders.domain.models import CancelReason, OrderStatus
from tests.unit.checkout.checkout_doubles import refuse_entries
from tests.unit.checkout.payment_doubles import (
    CARD,
    INTENT_ID,
    NOW,
    ORDER_ID,
    RESERVATION_ID,
    intent,
    pending_order,
    world,
)

AUTHORISED = "payment_intent.amount_capturable_updated"


def test_the_order_and_the_stock_hold_change_together_conditioned_on_what_was_read() -> None:
    # GIVEN an order at version 2 waiting for its card payment
    w = world(pending_order())
    # WHEN Stripe reports the money held
    w.events.handle(AUTHORISED, {}, intent())
    # THEN one transaction: the order put only if still at version 2 ...
    (entries,) = w.store.transactions
    order_put, hold, *counters = entries
    assert order_put["Put"]["TableName"] == "orders"
    assert order_put["Put"]["ConditionExpression"] == "version = :v"
    assert order_put["Put"]["ExpressionAttributeValues"][":v"] == {"N": "2"}
    assert w.order.version == 3
    # ... the reservation kept active for the card authorisation's seven days (from now) ...
    until = int((NOW + timedelta(days=7)).timestamp())
    update = hold["Update"]
    assert update["TableName"] == "inventory"
    assert update["Key"] == reservation_key(RESERVATION_ID)
    assert update["ExpressionAttributeValues"][":until"] == {"N": str(until)}
    assert update["ExpressionAttributeValues"][":sort"] == {"S": expiry_sort_key(until, RESERVATION_ID)}
    # ... and one velocity counter per known dimension (guest e-mail in lower case, IP)
    expected = velocity_keys("olena@example.com", "203.0.113.7", None, NOW)
    assert [c["Update"]["TableName"] for c in counters] == ["orders"] * len(expected)
    assert len(counters) == len(expected) == 2


def test_a_signed_in_customer_is_counted_by_account_and_the_card_by_its_fingerprint() -> None:
    # GIVEN a customer's order and a charge whose card Stripe fingerprints
    w = world(
        pending_order(buyer=pending_order().buyer.model_copy(update={"kind": "customer", "key": "cus-1"}))
    )
    w.stripe.charges["ch_1"] = ChargeFacts(card=CARD, billing_country="PL")
    # WHEN the authorisation arrives with that charge
    w.events.handle(AUTHORISED, {}, intent(latest_charge="ch_1"))
    # THEN the counters are the account's, the IP's and the card's
    counters = w.store.transactions[0][2:]
    pks = [c["Update"]["Key"]["pk"]["S"] for c in counters]
    assert pks == [
        f"VELOCITY#{VelocityDimension.CUSTOMER.value}#cus-1",
        f"VELOCITY#{VelocityDimension.IP.value}#203.0.113.7",
        f"VELOCITY#{VelocityDimension.CARD.value}#fp_1",
    ]
    # AND the order keeps what the charge says about the card and the payer
    assert w.order.payment.card == CARD
    assert w.order.payment.billing_country == "PL"


@pytest.mark.parametrize(
    ("seen_before", "action"),
    [(6, "placed"), (7, "placed, held for review")],
    ids=["7th-order-accepted", "8th-order-reviewed"],
)
def test_a_card_seen_too_often_this_hour_holds_the_order_for_review(seen_before: int, action: str) -> None:
    # GIVEN a card already used for 6 or 7 orders this hour (the policy's 60 points come at the 8th)
    w = world(pending_order())
    w.stripe.charges["ch_1"] = ChargeFacts(card=CARD)
    card_key = velocity_keys(None, None, "fp_1", NOW)[0]
    w.store.counts[card_key] = seen_before
    # WHEN this order's authorisation arrives (this order counts too)
    outcome = w.events.handle(AUTHORISED, {}, intent(latest_charge="ch_1"))
    # THEN the 7th order is placed, the 8th held for review, with the card velocity among the reasons
    assert outcome.action == action
    assert w.order.review_required is (action != "placed")
    assert w.order.risk is not None
    assert "card_velocity" in {reason["code"] for reason in w.order.risk["reasons"]}


def test_a_fresh_card_and_customer_are_accepted_without_review() -> None:
    # GIVEN counters at zero
    w = world(pending_order())
    # WHEN the authorisation arrives
    outcome = w.events.handle(AUTHORISED, {}, intent())
    # THEN the order is placed, not held
    assert outcome == Outcome("placed", ORDER_ID)
    assert w.order.review_required is False


def test_paying_after_the_stock_hold_ran_out_voids_the_money_and_cancels_the_order() -> None:
    # GIVEN the reservation is no longer active (only the hold's condition fails)
    w = world(pending_order())
    w.store.answers.append(refuse_entries(1))
    # WHEN the authorisation arrives
    outcome = w.events.handle(AUTHORISED, {}, intent())
    # THEN the authorisation is voided at once and the order cancelled for a lapsed hold
    assert outcome == Outcome("authorisation voided: the stock hold had lapsed", ORDER_ID)
    assert w.stripe.cancelled == [(INTENT_ID, "abandoned", f"{ORDER_ID}-void")]
    assert w.order.status is OrderStatus.CANCELLED
    assert w.order.cancel_reason is CancelReason.RESERVATION_LAPSED
    assert w.store.transactions[-1][0]["Put"]["ExpressionAttributeValues"][":v"] == {"N": "2"}


@pytest.mark.parametrize("failed", [{0}, {0, 1}], ids=["order-changed", "order-and-hold"])
def test_an_order_changed_meanwhile_is_read_again_not_voided(failed: set[int]) -> None:
    # GIVEN the order's own condition fails once (someone wrote it since it was read)
    w = world(pending_order())
    w.store.answers.append(refuse_entries(*failed))
    # WHEN the authorisation arrives
    outcome = w.events.handle(AUTHORISED, {}, intent())
    # THEN it is tried again on a fresh read and placed; nothing is voided
    assert outcome.action == "placed"
    assert len(w.store.transactions) == 2
    assert w.stripe.cancelled == []
    assert w.order.status is OrderStatus.PAYMENT_AUTHORIZED


def test_a_late_authorisation_of_a_cancelled_order_is_voided() -> None:
    # GIVEN an order already cancelled (expired unpaid)
    w = world(pending_order(status=OrderStatus.CANCELLED))
    # WHEN the authorisation arrives after all
    outcome = w.events.handle(AUTHORISED, {}, intent())
    # THEN the money is given back and nothing is written
    assert outcome == Outcome("late authorisation voided", ORDER_ID)
    assert w.stripe.cancelled == [(INTENT_ID, "abandoned", f"{ORDER_ID}-void")]
    assert w.store.transactions == []


def test_a_repeated_authorisation_changes_nothing() -> None:
    # GIVEN an order authorised once
    w = world(pending_order())
    w.events.handle(AUTHORISED, {}, intent())
    # WHEN Stripe delivers the same event again
    outcome = w.events.handle(AUTHORISED, {}, intent())
    # THEN no second transaction and nothing voided
    assert outcome == Outcome("already authorised", ORDER_ID)
    assert len(w.store.transactions) == 1
    assert w.stripe.cancelled == []


@pytest.mark.parametrize(
    "stranger",
    [
        intent(order_id="ord_01JE9999999999999999999999"),
        intent(order_id="cart_01JE0000000000000000000000"),
        intent(intent_id="pi_older_attempt"),
    ],
    ids=["unknown-order", "not-an-order-id", "older-intent-of-the-order"],
)
def test_an_authorisation_that_is_not_this_orders_payment_is_ignored(stranger: object) -> None:
    # GIVEN an order paid by pi_1
    w = world(pending_order())
    # WHEN an authorisation arrives for another order id, a non-order id, or another intent of the order
    outcome = w.events.handle(AUTHORISED, {}, stranger)  # type: ignore[arg-type]
    # THEN nothing happens to the order
    assert outcome.action == "ignored: not an order's payment"
    assert w.store.transactions == []
    assert w.order.status is OrderStatus.PENDING_PAYMENT
