"""Demo loyalty configuration for the local stack: the default rule set stored (so merchandisers edit a
real version through ``/admin/loyalty/rules``) and one bonus campaign running around now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
from loyalty.adapters.dynamo import DynamoLoyaltyStore
from loyalty.domain.rules import DEFAULT_RULES, Campaign

from infra.local import REGION
from infra.resources import physical_name
from shop_kernel.errors import PreconditionFailed


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
    return {"loyalty_items": written}
