"""Demo loyalty configuration for the local stack: the default rule set stored (so merchandisers edit a
real version through ``/admin/loyalty/rules``), one bonus campaign running around now, and two gift
certificates with known codes to try at checkout: ``GC-DEMO-1000`` (1 000 UAH) and ``GC-DEMO-EUR25``
(25 EUR). They are written through loyalty's own store; a restart keeps what was spent of them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
from loyalty.adapters.certificates import DynamoCertificates
from loyalty.adapters.dynamo import DynamoLoyaltyStore
from loyalty.domain.certificates import Origin, new_certificate
from loyalty.domain.rules import DEFAULT_RULES, Campaign

from infra.local import REGION
from infra.resources import physical_name
from shop_kernel.errors import PreconditionFailed
from shop_kernel.money import Money

GIFT_CERTIFICATES: list[tuple[str, int, str]] = [
    ("GC-DEMO-1000", 100_000, "UAH"),
    ("GC-DEMO-EUR25", 2_500, "EUR"),
]


def seed(stage: str) -> dict[str, int]:
    client, table = boto3.client("dynamodb", region_name=REGION), physical_name(stage, "loyalty")
    store = DynamoLoyaltyStore(client, table)
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
    certificates = DynamoCertificates(client, table)
    for code, amount, currency in GIFT_CERTIFICATES:
        demo = new_certificate(code, Money.of(amount, currency), Origin.ISSUED, now, note="Demo certificate")
        written += certificates.issue(code, demo)  # False on a restart: the balance stays as spent
    return {"loyalty_items": written}
