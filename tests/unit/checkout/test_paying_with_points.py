"""A signed-in customer pays part of an order with loyalty points: quoted with loyalty's redemption rules
from what checkout read, debited in the order's one transaction through loyalty's contract, given back
in the one transaction that cancels the order.

Pure domain: the service and the payment events over in-memory ports (``checkout_doubles``,
``payment_doubles``); the moto-backed versions are in ``tests/integration/checkout/test_points.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
from loyalty.domain.errors import InsufficientPoints
from loyalty.domain.rules import RedemptionRules

from cart.domain.models import CartOwner, Line, OwnerKind
from cart.domain.points import MemberPoints
from cart.domain.pricing import PricingPorts, customer_for, price_for_display
from checkout.domain.orders import intent_key
from checkout.domain.payments import GiveBackRefused
from orders.domain.models import Buyer, CancelReason, OrderStatus, PointsOnLine, PointsTender
from pricing.domain import FlatRate, RuleBasedCarrierQuotes, ShippingRule
from shop_kernel.errors import ValidationFailed
from shop_kernel.money import Money
from tests.unit.checkout.checkout_doubles import (
    NOW,
    Shop,
    eur,
    index_of,
    open_cart,
    refuse,
    refuse_entries,
    shop,
    sku_facts,
)
from tests.unit.checkout.payment_doubles import intent
from tests.unit.checkout.payment_doubles import world as payments_world
from tests.unit.checkout.test_orders_and_events import _order

MEMBER = "cus-1"
CUSTOMER = CartOwner(kind=OwnerKind.CUSTOMER, key=MEMBER)
BUYER = Buyer(kind="customer", key=MEMBER, email="olena@example.com")


def _member_shop(points: int = 5000, **facts: Any) -> Shop:
    """A customer's cart of 2 x A at 10.00 EUR (tax included) + 4.99 EUR shipping; ``points`` available,
    one point worth 1 cent, points paying at most half of the eligible lines (loyalty's defaults)."""
    s = shop(cart=open_cart(owner_kind=OwnerKind.CUSTOMER), **facts)
    s.store.points[MEMBER] = points
    return s


def _place(s: Shop, points: int | str | None) -> Any:
    return s.place(owner=CUSTOMER, buyer=BUYER, points=points)


def test_max_points_pay_half_the_lines_and_the_card_is_asked_for_the_rest() -> None:
    # GIVEN a customer with 5,000 points and an order of 20.00 EUR of lines + 4.99 EUR shipping
    s = _member_shop(points=5000)
    # WHEN they check out with as many points as allowed
    placed = _place(s, "max")
    order = placed.order
    # THEN points pay half the lines (1,000 points = 10.00 EUR), never the shipping ...
    assert order.points == PointsTender(
        member_id=MEMBER, points=1000, amount=eur(1000), lines=(PointsOnLine(sku="A", amount=eur(1000)),)
    )
    # ... and the card (the PaymentIntent, the order's payment and its amount due) is asked for the rest
    assert order.totals.grand_total == eur(2499)
    assert order.totals.amount_due == order.payment.amount == eur(1499)
    assert s.stripe.created == [(order.id, 1499, "EUR", intent_key(order))]
    # AND the member's points and the rules were read with the rest of the inputs, for this member
    assert s.store.members == [MEMBER]
    # AND the points are debited in the order's one transaction, through loyalty's contract
    (work,) = s.store.works
    assert [name for name, _ in work.calls] == ["close_cart", "add_order", "reserve", "debit_points"]
    assert work.called("debit_points") == [
        {"points": order.points, "order_id": order.id, "at": order.created_at}
    ]
    (entries,) = s.store.transactions
    balance = entries[index_of(entries, "points")]["Update"]
    assert balance["ConditionExpression"] == "#avail >= :covers"
    assert balance["ExpressionAttributeValues"][":covers"] == {"N": "1000"}
    # AND the shopper sees what the points paid, not whose member id it was
    assert placed.view()["order"]["points"] == {
        "points": 1000,
        "amount": {"amount": 1000, "currency": "EUR"},
        "lines": [{"sku": "A", "amount": {"amount": 1000, "currency": "EUR"}}],
    }


def test_a_number_of_points_within_the_limits_pays_exactly_that() -> None:
    # GIVEN a customer with 5,000 points
    s = _member_shop(points=5000)
    # WHEN they ask to use 300 points
    order = _place(s, 300).order
    # THEN 3.00 EUR is paid with points and 21.99 EUR by card
    assert order.points is not None
    assert (order.points.points, order.points.amount) == (300, eur(300))
    assert order.payment.amount == eur(2199)


@pytest.mark.parametrize(
    ("wanted", "code", "extra"),
    [
        (600, "not_enough_points", {"available": 500}),
        (1001, "over_redemption_limit", {"allowed": 1000}),
    ],
)
def test_more_points_than_the_balance_or_the_rules_allow_are_refused_by_name(
    wanted: int, code: str, extra: dict[str, int]
) -> None:
    # GIVEN a member with 500 points (first case) or 50,000 (second: the order allows 1,000)
    s = _member_shop(points=500 if code == "not_enough_points" else 50_000)
    # WHEN they ask for more than that
    with pytest.raises(ValidationFailed) as refused:
        _place(s, wanted)
    # THEN a 422 on body.points says why and how many they may use; nothing was created or written
    assert [(e.field, e.code) for e in refused.value.errors] == [("body.points", code)]
    assert refused.value.extra == extra
    assert s.stripe.created == []
    assert s.store.transactions == []


def test_lines_of_excluded_categories_are_not_paid_with_points() -> None:
    # GIVEN a cart of 2 x A (20.00) and 1 x GIFT (30.00) whose parent category is excluded from redemption
    s = _member_shop(
        points=50_000,
        A=sku_facts("A", category_ids=frozenset({"audio"})),
        GIFT=sku_facts("GIFT", price=3000, category_ids=frozenset({"cards", "gift-cards"})),
    )
    s.store.redemption = RedemptionRules(
        point_value={"EUR": 1}, max_share_bp=5000, excluded_categories=("cards",)
    )
    lines = (*open_cart().lines, Line(sku="GIFT", quantity=1, added_at="2026-03-16T08:00:00.000Z"))
    s.store.cart_ = open_cart(owner_kind=OwnerKind.CUSTOMER, lines=lines)
    # WHEN they pay with as many points as allowed
    order = _place(s, "max").order
    # THEN only A's lines count: half of 20.00, all of it on A's line
    assert order.points is not None
    assert order.points.amount == eur(1000)
    assert order.points.lines == (PointsOnLine(sku="A", amount=eur(1000)),)


def test_max_with_no_points_places_the_order_without_points() -> None:
    # GIVEN a customer with no points at all
    s = _member_shop(points=0)
    # WHEN they ask for as many points as allowed
    order = _place(s, "max").order
    # THEN the order is paid by card alone and nothing is debited
    assert order.points is None
    assert order.payment.amount == eur(2499)
    assert [name for name, _ in s.store.works[0].calls] == ["close_cart", "add_order", "reserve"]


def test_a_checkout_without_points_does_not_read_the_member() -> None:
    # GIVEN a customer with points
    s = _member_shop(points=5000)
    # WHEN they check out without asking for points
    order = _place(s, None).order
    # THEN the member is not read, nothing is debited
    assert s.store.members == [None]
    assert order.points is None
    assert "debit_points" not in [name for name, _ in s.store.works[0].calls]


def test_a_guest_cannot_pay_with_points() -> None:
    # GIVEN a guest cart
    s = shop()
    # WHEN the guest's command carries points (the guest route's body has no such field)
    with pytest.raises(ValidationFailed) as refused:
        s.place(points="max")
    # THEN it is refused by name before anything is read or written
    assert [(e.field, e.code) for e in refused.value.errors] == [("body.points", "not_a_member")]
    assert s.store.transactions == []


def test_a_balance_spent_meanwhile_is_a_409_and_changes_nothing() -> None:
    # GIVEN a member whose balance another checkout spends between the read and the write
    s = _member_shop(points=5000)
    left = {"acct_points": {"N": "200"}, "pk": {"S": f"MEMBER#{MEMBER}"}, "sk": {"S": "~SUMMARY"}}
    s.answer(refuse("points", item=left))
    # WHEN they check out with 1,000 points
    with pytest.raises(InsufficientPoints) as refused:
        _place(s, 1000)
    # THEN a 409 insufficient-points saying how many are left; the one transaction wrote nothing
    assert refused.value.status == 409
    assert "balance changed" in refused.value.detail
    assert refused.value.extra == {"available": 200}
    assert s.store.orders == {}


def test_points_and_nothing_else_may_pay_a_whole_order_with_no_card() -> None:
    # GIVEN rules letting points pay all of an order, free delivery, and enough points
    s = _member_shop(points=50_000)
    s.store.redemption = RedemptionRules(point_value={"EUR": 1}, max_share_bp=10_000)
    free = FlatRate(prices=(Money.of(0, "EUR"),))
    s.store.shop.carriers = RuleBasedCarrierQuotes(
        [ShippingRule(method="standard", zone="de", countries=frozenset({"DE"}), rate=free)]
    )
    # WHEN the customer pays with as many points as allowed
    order = _place(s, "max").order
    # THEN nothing is left for a card: no PaymentIntent, the order is placed at once (as one certificates
    # pay in full), screened for fraud, and the points are debited in its transaction
    assert order.points is not None
    assert order.points.amount == order.totals.grand_total
    assert order.payment.provider == "none"
    assert order.payment.amount == eur(0)
    assert order.status is OrderStatus.PAYMENT_AUTHORIZED
    assert order.history[0].note == "paid in full by points"
    assert order.risk is not None
    assert s.stripe.created == []
    assert "debit_points" in [name for name, _ in s.store.works[0].calls]


# --- Stripe's minimum card charge (0.50 EUR) -----------------------------------------------------------


def _pays_all_shop(points: int) -> Shop:
    """A member's 20.00 EUR cart with free delivery, under rules letting points pay all of the lines."""
    s = _member_shop(points=points)
    s.store.redemption = RedemptionRules(point_value={"EUR": 1}, max_share_bp=10_000)
    free = FlatRate(prices=(Money.of(0, "EUR"),))
    s.store.shop.carriers = RuleBasedCarrierQuotes(
        [ShippingRule(method="standard", zone="de", countries=frozenset({"DE"}), rate=free)]
    )
    return s


def test_max_points_leave_the_card_at_least_stripes_minimum_rather_than_a_few_cents() -> None:
    # GIVEN a 20.00 EUR order points may pay in full, and 1,980 points (19.80 EUR): all of them would
    # leave 0.20 EUR for the card, below Stripe's 0.50 EUR minimum
    s = _pays_all_shop(points=1980)
    # WHEN the customer asks for as many points as allowed
    order = _place(s, "max").order
    # THEN points pay 19.50 EUR and the card the 0.50 EUR it can be charged
    assert order.points is not None
    assert order.points.points == 1950
    assert order.payment.amount == eur(50)
    assert s.stripe.created == [(order.id, 50, "EUR", intent_key(order))]


def test_a_number_of_points_leaving_the_card_less_than_its_minimum_is_a_422_saying_what_works() -> None:
    # GIVEN the same order and 1,980 points
    s = _pays_all_shop(points=1980)
    # WHEN the customer asks for all 1,980
    with pytest.raises(ValidationFailed) as refused:
        _place(s, 1980)
    # THEN a 422 on body.points says the card minimum and the most points that keep to it; nothing is
    # created at Stripe or written
    assert [(e.field, e.code) for e in refused.value.errors] == [("body.points", "card_charge_below_minimum")]
    assert refused.value.extra == {"allowed": 1950, "minimum": {"amount": 50, "currency": "EUR"}}
    assert s.stripe.created == []
    assert s.store.transactions == []


@pytest.mark.parametrize(("wanted", "card"), [(2000, 0), (1950, 50), (1000, 1000)])
def test_points_leaving_the_card_nothing_or_at_least_its_minimum_are_taken_as_asked(
    wanted: int, card: int
) -> None:
    # GIVEN the same order and plenty of points
    s = _pays_all_shop(points=50_000)
    # WHEN the customer asks for a number that pays everything, or leaves the card its minimum or more
    order = _place(s, wanted).order
    # THEN exactly that many are used; a card payment of nothing needs no PaymentIntent at all
    assert order.points is not None
    assert (order.points.points, order.payment.amount) == (wanted, eur(card))
    assert order.payment.provider == ("none" if card == 0 else "stripe")
    assert len(s.stripe.created) == (0 if card == 0 else 1)


def test_gift_certificates_leaving_the_card_less_than_its_minimum_are_a_422_before_stripe() -> None:
    # GIVEN a guest's 24.99 EUR order and a certificate of 24.69 EUR: 0.30 EUR would be left for the card
    s = shop(cart=open_cart(gift_certificates=("GC-1",)))
    s.store.shop.certificate("GC-1", 2469)
    # WHEN the guest checks out
    with pytest.raises(ValidationFailed) as refused:
        s.place()
    # THEN a 422 names the certificates and the card minimum, before Stripe is asked; nothing is written
    assert [(e.field, e.code) for e in refused.value.errors] == [
        ("cart.gift_certificates", "card_charge_below_minimum")
    ]
    assert refused.value.extra == {"minimum": {"amount": 50, "currency": "EUR"}}
    assert s.stripe.created == []
    assert s.store.transactions == []


def test_a_certificate_leaving_exactly_the_minimum_is_charged_and_one_paying_all_needs_no_card() -> None:
    for balance, card in ((2449, 50), (2499, 0)):
        # GIVEN a 24.99 EUR order and a certificate leaving 0.50 EUR, or nothing
        s = shop(cart=open_cart(gift_certificates=("GC-1",)))
        s.store.shop.certificate("GC-1", balance)
        # WHEN the guest checks out
        order = s.place().order
        # THEN the card is asked for the rest when there is one, and not at all otherwise
        assert order.payment.amount == eur(card)
        assert len(s.stripe.created) == (1 if card else 0)


@pytest.mark.parametrize(("points", "shown"), [(1980, 1950), (5000, 2000), (300, 300), (0, 0)])
def test_the_cart_shows_exactly_the_points_max_takes_at_checkout(points: int, shown: int) -> None:
    # GIVEN a member's 20.00 EUR cart points may pay in full, and a balance of ``points``
    s = _pays_all_shop(points=points)
    cart = s.store.cart_
    assert cart is not None
    facts = s.store.facts
    ports = PricingPorts(
        tax_rates=s.store.shop,
        carrier_quotes=s.store.shop,
        promotions=s.store.shop,
        code_redemptions=s.store.shop,
        gift_certificates=s.store.shop,
    )
    member = MemberPoints(MEMBER, points, s.store.redemption)
    # WHEN the cart is priced for display, then checked out with "max"
    body = price_for_display(cart, facts, customer_for(MEMBER, None, None), NOW, ports, "en", member)
    order = _place(s, "max").order
    # THEN the cart showed the number "max" took (the card minimum kept: 1,950 of 1,980) and what they pay
    assert body["points"]["max_usable"] == shown == (order.points.points if order.points else 0)
    assert body["points"]["max_value"] == {"amount": shown, "currency": "EUR"}
    assert body["points"]["available"] == points
    assert body["points"]["point_value"] == {"amount": 1, "currency": "EUR"}


# --- cancellation ------------------------------------------------------------------------------------

TENDER = PointsTender(
    member_id=MEMBER,
    points=400,
    amount=Money.of(4000, "UAH"),
    lines=(PointsOnLine(sku="A", amount=Money.of(4000, "UAH")),),
)


def test_a_cancellation_gives_the_points_back_in_the_write_that_cancels() -> None:
    # GIVEN an order (version 1) 400 points paid part of
    order = _order(points=TENDER)
    w = payments_world(order)
    # WHEN its PaymentIntent is cancelled
    w.events.handle("payment_intent.canceled", {}, intent(status="canceled"))
    # THEN one unit of work: the order on the version read, then the points given back through loyalty
    assert w.order.status is OrderStatus.CANCELLED
    (work,) = w.store.works
    assert [name for name, _ in work.calls] == ["update_order", "restore_points"]
    assert work.called("restore_points") == [
        {"points": TENDER, "order_id": order.id, "at": w.order.cancelled_at}
    ]
    # AND on the wire the give-back is only if this order's spend exists, and lands only with the order
    (entries,) = w.store.transactions
    assert entries[0]["Put"]["ConditionExpression"] == "version = :v"
    spent = entries[1]["ConditionCheck"]
    assert spent["Key"]["sk"]["S"] == f"I#spend#{order.id}"


def test_a_second_cancellation_gives_nothing_back() -> None:
    # GIVEN an order with points, cancelled once
    w = payments_world(_order(points=TENDER))
    w.events.handle("payment_intent.canceled", {}, intent(status="canceled"))
    # WHEN the cancellation is delivered again
    w.events.handle("payment_intent.canceled", {}, intent(status="canceled"))
    # THEN nothing more was written
    assert len(w.store.transactions) == 1


def test_a_give_back_loyalty_refuses_is_a_ledger_error_that_writes_nothing() -> None:
    # GIVEN an order with points whose spend loyalty's ledger does not show
    order = _order(points=TENDER)
    w = payments_world(order)
    w.store.answers.append(refuse_entries(1))  # the spend guard's ConditionCheck
    # WHEN the order is cancelled
    with pytest.raises(GiveBackRefused) as refused:
        w.events.cancel(order.id, CancelReason.REVIEW_REJECTED)
    # THEN it is surfaced, and the order stays as it was
    assert refused.value.code == "loyalty points"
    assert w.order.status is OrderStatus.PENDING_PAYMENT
