"""The buyer cancels an order still waiting for payment (``PaymentEvents.cancel_unpaid``): the sweeper's
compensations at once, written before the PaymentIntent is cancelled, each exactly once; a payment that
comes after is voided, one that came before leaves the order to fulfilment."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from checkout.domain import orders
from orders.domain.models import CancelReason, OrderStatus
from tests.unit.checkout.checkout_doubles import Refusal
from tests.unit.checkout.payment_doubles import INTENT_ID, NOW, intent, pending_order, world
from tests.unit.checkout.test_cancellation_and_holds import REDEMPTIONS


def test_an_unpaid_order_is_cancelled_with_its_give_backs_then_its_payment_intent_once() -> None:
    # GIVEN an order waiting for payment that counted two code uses and debited a certificate
    w = world(pending_order(**REDEMPTIONS))
    # WHEN its buyer's cancellation request is carried out, and delivered again
    first = w.events.cancel_unpaid(w.order.id)
    again = w.events.cancel_unpaid(w.order.id)
    # THEN one transaction cancels the order and gives back the codes and the certificate
    (entries,) = w.store.transactions
    tables = [next(iter(entry.values()))["TableName"] for entry in entries]
    assert tables == ["orders", *["promotions"] * 3, *["loyalty"] * 2]
    assert (w.order.status, w.order.cancel_reason) == (
        OrderStatus.CANCELLED,
        CancelReason.CANCELLATION_REQUESTED,
    )
    # AND the PaymentIntent is cancelled as the buyer's wish, again on the redelivery under the same key
    assert w.stripe.cancelled == [(INTENT_ID, "requested_by_customer", f"{w.order.id}-cancel")] * 2
    assert (first.action, again.action) == ("cancelled", "cancelled already")


def test_a_payment_authorised_after_the_cancellation_is_voided_and_the_order_stays_cancelled() -> None:
    # GIVEN an unpaid order its buyer cancelled
    w = world(pending_order())
    w.events.cancel_unpaid(w.order.id)
    cancelled = w.order
    # WHEN the shopper's 3-D Secure payment completes after all, and Stripe says it is authorised
    outcome = w.events.handle("payment_intent.amount_capturable_updated", {}, intent())
    # THEN the authorisation is voided and the order is as the cancellation left it
    assert outcome.action == "late authorisation voided"
    assert w.stripe.cancelled[-1] == (INTENT_ID, "abandoned", f"{w.order.id}-void")
    assert w.order == cancelled


def test_an_order_paid_before_the_request_is_left_to_fulfilment() -> None:
    # GIVEN an order whose payment was authorised before the request was carried out
    order = pending_order()
    paid = orders.authorised(order, NOW, None, None, {}, False)
    assert paid is not None
    w = world(paid)
    # WHEN the request is carried out
    outcome = w.events.cancel_unpaid(paid.id)
    # THEN checkout changes nothing and cancels nothing: fulfilment cancels a paid order (the same request
    # reaches it), voiding the authorisation and giving back what the order redeemed
    assert outcome.action == "paid meanwhile: fulfilment cancels it"
    assert (w.store.transactions, w.stripe.cancelled) == ([], [])
    assert w.order == paid


def test_an_order_the_sweeper_expired_first_is_not_cancelled_again() -> None:
    # GIVEN an unpaid order the sweeper expired (its PaymentIntent cancelled by the sweeper)
    w = world(pending_order(**REDEMPTIONS))
    w.stripe.intents[INTENT_ID] = intent(status="requires_payment_method")
    w.events.expire(w.order.id)
    expired = w.order
    # WHEN the buyer's request is carried out afterwards
    outcome = w.events.cancel_unpaid(w.order.id)
    # THEN nothing more is given back or cancelled
    assert outcome.action == "cancelled already"
    assert len(w.store.transactions) == 1
    assert w.stripe.cancelled == [(INTENT_ID, "abandoned", f"{w.order.id}-expire")]
    assert w.order == expired


def test_a_payment_that_lands_between_the_read_and_the_write_wins_and_nothing_is_cancelled() -> None:
    # GIVEN an unpaid order whose payment webhook places it just as the cancellation is written
    w = world(pending_order(**REDEMPTIONS))

    def webhook_lands_first(entries: Sequence[dict[str, Any]]) -> list[Refusal]:
        placed = orders.authorised(w.order, NOW, None, None, {}, False)
        assert placed is not None
        w.store.orders[placed.id] = placed
        return [Refusal(index=0)]  # the order's version condition fails

    w.store.answers.append(webhook_lands_first)
    # WHEN the request is carried out
    outcome = w.events.cancel_unpaid(w.order.id)
    # THEN the lost write gave nothing back, the authorisation stands (fulfilment cancels the paid order)
    assert outcome.action == "paid meanwhile: fulfilment cancels it"
    assert w.order.status is OrderStatus.PAYMENT_AUTHORIZED
    assert w.stripe.cancelled == []
