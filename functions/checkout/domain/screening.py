"""Fraud screening of an order about to be placed, whatever pays it (``checkout.domain.fraud`` rules).

A card payment is screened when Stripe authorises it (the card's fingerprint, country and funding are
known then); an order gift certificates pay in full is placed by checkout itself and screened there,
with the customer and IP signals and its grand total as the value at stake. Both count the order on
this hour's velocity counters in the same transaction that places it.
"""

from __future__ import annotations

from datetime import datetime

from checkout.domain import orders
from checkout.domain.fraud import (
    CardFunding,
    RiskAssessment,
    RiskPolicy,
    RiskSignals,
    VelocityDimension,
    VelocityKey,
    assess,
    velocity_keys,
)
from checkout.domain.ports import ChargeFacts, CheckoutStore
from orders.domain.models import Order


def screen(
    order: Order, facts: ChargeFacts | None, store: CheckoutStore, policy: RiskPolicy, now: datetime
) -> tuple[RiskAssessment, list[VelocityKey]]:
    """The assessment, and the velocity counters the placing transaction must count."""
    fingerprint = facts.card.fingerprint if facts else None
    customer = order.buyer.key if order.buyer.kind == "customer" else (order.buyer.email or "").lower()
    keys = velocity_keys(customer or None, order.client_ip, fingerprint, now)
    counts = store.velocity(keys)
    by_dimension = {key.dimension: counts.get(key, 0) + 1 for key in keys}
    shipping = order.shipping_address.country if order.shipping_address else order.destination_country
    funding = facts.card.funding if facts else None
    billing = order.billing_address.country if order.billing_address is not None else None
    signals = RiskSignals(
        order_id=order.id,
        # Without a card, the certificates are what is at stake (a stolen code is spent like a card).
        amount=order.payment.amount if order.payment.provider == "stripe" else order.totals.grand_total,
        orders_by_customer=by_dimension.get(VelocityDimension.CUSTOMER),
        orders_by_ip=by_dimension.get(VelocityDimension.IP),
        orders_by_card=by_dimension.get(VelocityDimension.CARD),
        shipping_country=shipping,
        billing_country=(facts.billing_country if facts else None) or billing,
        card_country=facts.card.country if facts else None,
        guest=orders.is_guest(order),
        card_funding=CardFunding(funding) if funding in {f.value for f in CardFunding} else None,
        email=order.buyer.email,
    )
    return assess(signals, policy), keys
