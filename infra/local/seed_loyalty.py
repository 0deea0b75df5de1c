"""Demo loyalty configuration for the local stack: the default rule set with the automatic coupons switched on
(so merchandisers edit a real version through ``/admin/loyalty/rules``), one bonus campaign running around
now, for the demo customer (``make token ROLE=customers``) a birthday coupon, so ``GET /me/coupons``
shows one, and points to pay part of an order with, and two gift certificates with known codes to try at
checkout: ``GC-DEMO-1000`` (1 000 UAH) and ``GC-DEMO-EUR25`` (25 EUR), written through loyalty's own store
(a restart keeps what was spent of them). Runs after the promotions seed (the coupons' promotions must
exist)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
from loyalty.adapters.certificates import DynamoCertificates
from loyalty.adapters.coupons import DynamoCouponStore
from loyalty.adapters.dynamo import DynamoLoyaltyStore
from loyalty.domain.certificates import Origin, new_certificate
from loyalty.domain.coupon_service import CouponService
from loyalty.domain.rules import DEFAULT_RULES, Campaign, CouponRule
from loyalty.domain.service import LoyaltyService

from infra.local import REGION
from infra.local.tokens import role_subject
from infra.resources import physical_name
from shop_kernel.clock import SystemClock
from shop_kernel.errors import PreconditionFailed
from shop_kernel.money import Money

GIFT_CERTIFICATES: list[tuple[str, int, str]] = [
    ("GC-DEMO-1000", 100_000, "UAH"),
    ("GC-DEMO-EUR25", 2_500, "EUR"),
]

DEMO_CUSTOMER = role_subject("customers")
COUPONS = (
    CouponRule(trigger="birthday", promotion_id="promo_coupon_birthday", valid_days=30),
    CouponRule(trigger="first_order", promotion_id="promo_coupon_first_order", valid_days=30),
    CouponRule(trigger="tier_reached", promotion_id="promo_coupon_tier", tiers=("gold", "platinum")),
    CouponRule(trigger="win_back", promotion_id="promo_coupon_win_back", after_days=90, valid_days=30),
)
# 500.00 UAH / 50.00 EUR at the default rates; within what one agent may grant without a second one.
DEMO_POINTS = 5_000


def seed(stage: str) -> dict[str, int | str]:
    client, table = boto3.client("dynamodb", region_name=REGION), physical_name(stage, "loyalty")
    store = DynamoLoyaltyStore(client, table)
    rules = DEFAULT_RULES.model_copy(update={"coupons": COUPONS})
    now = datetime.now(UTC).replace(microsecond=0)
    campaign = Campaign(
        id="demo-double-points",
        name="Double points week",
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=6),
        multiplier_bp=20_000,
    )
    written = 0
    for write in (lambda: store.put_rules(rules, None), lambda: store.put_campaign(campaign, None)):
        try:
            write()
            written += 1
        except PreconditionFailed:
            pass  # a restart keeps what merchandisers changed
    certificates = DynamoCertificates(client, table)
    for code, amount, currency in GIFT_CERTIFICATES:
        demo = new_certificate(code, Money.of(amount, currency), Origin.ISSUED, now, note="Demo certificate")
        written += certificates.issue(code, demo)  # False on a restart: the balance stays as spent
    coupons = CouponService(
        store=DynamoCouponStore(client, table, physical_name(stage, "promotions")),
        rules=lambda: store.configuration()[0],
        clock=SystemClock(),
    )
    # Once per year like any birthday coupon: a restart issues none again.
    coupon = coupons.birthday(DEMO_CUSTOMER, now.year)
    return {"loyalty_items": written, "demo_coupon": coupon, "demo_points": _demo_points(store)}


def _demo_points(store: DynamoLoyaltyStore) -> int:
    """The demo customer's welcome points, once: a member with a ledger (a restart) is left as it is."""
    member = role_subject("customers")
    if store.member(member).version:
        return 0
    LoyaltyService(store, SystemClock()).adjust(member, DEMO_POINTS, "demo: welcome points", "local-seed")
    return DEMO_POINTS
