"""What an authorisation screens: every signal the order and the charge carry reaches the fraud rules.

Found by mutation testing: the shipping country, the card's funding, the customer and IP counts, the
order's own billing country and the guest's e-mail key could each be dropped with every test green.
"""

from __future__ import annotations

from dataclasses import replace

from checkout.domain.fraud import DEFAULT_POLICY, VelocityRule, velocity_keys
from checkout.domain.ports import ChargeFacts
from inventory.domain.allocation import Fulfilment
from orders.domain.models import Address, Payment
from tests.unit.checkout.payment_doubles import CARD, INTENT_ID, NOW, intent, pending_order, uah, world

AUTHORISED = "payment_intent.amount_capturable_updated"


def _reasons(w) -> set[str]:  # type: ignore[no-untyped-def]
    assert w.order.risk is not None
    return {reason["code"] for reason in w.order.risk["reasons"]}


def test_every_signal_of_the_order_and_the_charge_is_screened() -> None:
    # GIVEN a guest's order with an e-mail, an IP and a shipping address, paid by a card Stripe describes
    w = world(pending_order())
    w.stripe.charges["ch_1"] = ChargeFacts(card=CARD, billing_country="UA")
    # WHEN the authorisation arrives
    w.events.handle(AUTHORISED, {}, intent(latest_charge="ch_1"))
    # THEN only what nobody knows is left unevaluated: the IP's country and whether it is a first order
    assert w.order.risk is not None
    assert w.order.risk["not_evaluated"] == ["ip_country_mismatch", "first_order_high_value"]


def test_a_guest_is_counted_by_the_lower_cased_email_and_the_ip() -> None:
    # GIVEN a guest who typed their e-mail with capitals
    w = world(pending_order())
    # WHEN the authorisation arrives
    w.events.handle(AUTHORISED, {}, intent())
    # THEN the counters are the e-mail's (lower case) and the IP's, never the cart token's hash
    pks = [entry["Update"]["Key"]["pk"]["S"] for entry in w.store.transactions[0][2:]]
    assert pks == ["VELOCITY#customer#olena@example.com", "VELOCITY#ip#203.0.113.7"]


def test_this_order_counts_once_in_this_hours_velocity() -> None:
    # GIVEN a policy allowing one order per customer and per IP an hour
    strict = DEFAULT_POLICY.model_copy(
        update={
            "customer_velocity": VelocityRule(allowed_per_hour=1, max_points=40),
            "ip_velocity": VelocityRule(allowed_per_hour=1, max_points=30),
        }
    )
    first, second = world(pending_order()), world(pending_order())
    first.events = replace(first.events, policy=strict)
    second.events = replace(second.events, policy=strict)
    # WHEN the first order of the hour is authorised, and one after an order already counted
    first.events.handle(AUTHORISED, {}, intent())
    for key in velocity_keys("olena@example.com", "203.0.113.7", None, NOW):
        second.store.counts[key] = 1
    second.events.handle(AUTHORISED, {}, intent())
    # THEN the first is within the limits; the second exceeds both
    assert _reasons(first) == set()
    assert _reasons(second) == {"customer_velocity", "ip_velocity"}


def test_a_pickup_order_is_screened_against_the_country_it_is_collected_in() -> None:
    # GIVEN a pickup order in Ukraine (no shipping address) paid with a Polish card
    pickup = pending_order(shipping_address=None, fulfilment=Fulfilment(mode="pickup", location_id="podil"))
    w = world(pickup)
    w.stripe.charges["ch_1"] = ChargeFacts(card=CARD.model_copy(update={"country": "PL"}))
    # WHEN the authorisation arrives
    w.events.handle(AUTHORISED, {}, intent(latest_charge="ch_1"))
    # THEN the card's country is compared with the pickup country
    assert "card_country_mismatch" in _reasons(w)


def test_the_orders_billing_address_counts_when_the_charge_gives_no_billing_country() -> None:
    # GIVEN an order delivered in Ukraine, billed in Poland, and no charge details from Stripe
    billing = Address(name="Olena", line1="Marszalkowska 1", city="Warszawa", country="PL")
    w = world(pending_order(billing_address=billing))
    # WHEN the authorisation arrives
    w.events.handle(AUTHORISED, {}, intent())
    # THEN the billing country mismatch is scored from the order's own address
    assert "billing_country_mismatch" in _reasons(w)


def test_a_card_paying_part_of_an_order_is_scored_on_what_the_card_pays() -> None:
    # GIVEN a 140,000.00 UAH order: certificates paid 90,000.00, the card owes 50,000.00 (the UAH value
    # tiers: 45,000.00 scores 15 points, 135,000.00 scores 30)
    totals = pending_order().totals.model_copy(
        update={
            "grand_total": uah(14_000_000),
            "gift_certificates": uah(9_000_000),
            "amount_due": uah(5_000_000),
        }
    )
    card_share = Payment(
        provider="stripe", intent_id=INTENT_ID, amount=uah(5_000_000), status="requires_payment"
    )
    w = world(pending_order(totals=totals, payment=card_share))
    # WHEN the card's authorisation of 50,000.00 arrives
    w.events.handle(AUTHORISED, {}, intent(amount_capturable=5_000_000))
    # THEN the value at stake is the card's share: the lower tier, not the order's grand total
    assert w.order.risk is not None
    (high_value,) = [r for r in w.order.risk["reasons"] if r["code"] == "high_value"]
    assert high_value["points"] == 15
