"""An authorisation places the order only when Stripe holds exactly what the order asks, in its currency.

Found by mutation testing: the "authorised amount differs from the order" check could be removed with
every checkout test still green. These tests fail when it is.
"""

from __future__ import annotations

import pytest

from orders.domain.models import OrderStatus
from tests.unit.checkout.payment_doubles import AMOUNT, intent, pending_order, world


@pytest.mark.parametrize(
    ("amount", "currency"),
    [(AMOUNT - 1, "UAH"), (AMOUNT + 1, "UAH"), (0, "UAH"), (AMOUNT, "EUR")],
    ids=["one-kopiyka-less", "one-kopiyka-more", "nothing-capturable", "other-currency"],
)
def test_an_authorisation_for_another_amount_or_currency_changes_nothing(amount: int, currency: str) -> None:
    # GIVEN an order waiting for 100.00 UAH
    w = world(pending_order())
    # WHEN Stripe reports an authorisation of another amount or in another currency
    outcome = w.events.handle(
        "payment_intent.amount_capturable_updated",
        {},
        intent(amount_capturable=amount, currency=currency),
    )
    # THEN the order stays unpaid: no transaction, no stock hold extended, nothing voided
    assert outcome.action == "ignored: authorised amount differs from the order"
    assert w.order.status is OrderStatus.PENDING_PAYMENT
    assert w.order.version == 2
    assert w.store.transactions == []
    assert w.stripe.cancelled == []


def test_an_authorisation_of_exactly_the_order_amount_places_it() -> None:
    # GIVEN an order waiting for 100.00 UAH
    w = world(pending_order())
    # WHEN Stripe holds 100.00 UAH for it
    outcome = w.events.handle("payment_intent.amount_capturable_updated", {}, intent())
    # THEN the order is authorised in one transaction
    assert outcome.action == "placed"
    assert outcome.order_id == w.order.id
    assert w.order.status is OrderStatus.PAYMENT_AUTHORIZED
    assert w.order.payment.status == "authorized"
    assert len(w.store.transactions) == 1
