"""Demo loyalty configuration for the local stack: the default rule set stored (so merchandisers edit a
real version through ``/admin/loyalty/rules``), one bonus campaign running around now, and points for the
demo customer (the subject of ``make token ROLE=customers``) to pay part of an order with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
from loyalty.adapters.dynamo import DynamoLoyaltyStore
from loyalty.domain.rules import DEFAULT_RULES, Campaign
from loyalty.domain.service import LoyaltyService

from infra.local import REGION
from infra.local.tokens import role_subject
from infra.resources import physical_name
from shop_kernel.clock import SystemClock
from shop_kernel.errors import PreconditionFailed

# 500.00 UAH / 50.00 EUR at the default rates; within what one agent may grant without a second one.
DEMO_POINTS = 5_000


def seed(stage: str) -> dict[str, int]:
    store = DynamoLoyaltyStore(boto3.client("dynamodb", region_name=REGION), physical_name(stage, "loyalty"))
    now = datetime.now(UTC).replace(microsecond=0)
    campaign = Campaign(
        id="demo-double-points",
        name="Double points week",
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=6),
        multiplier_bp=20_000,
    )
    written = 0
    for write in (lambda: store.put_rules(DEFAULT_RULES, None), lambda: store.put_campaign(campaign, None)):
        try:
            write()
            written += 1
        except PreconditionFailed:
            pass  # a restart keeps what merchandisers changed
    return {"loyalty_items": written, "demo_points": _demo_points(store)}


def _demo_points(store: DynamoLoyaltyStore) -> int:
    """The demo customer's welcome points, once: a member with a ledger (a restart) is left as it is."""
    member = role_subject("customers")
    if store.member(member).version:
        return 0
    LoyaltyService(store, SystemClock()).adjust(member, DEMO_POINTS, "demo: welcome points", "local-seed")
    return DEMO_POINTS
