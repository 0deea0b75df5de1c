"""Orders, rules and member states for the loyalty domain tests."""

from __future__ import annotations

from datetime import UTC, datetime

from loyalty.domain.orders import OrderFacts, OrderLine
from loyalty.domain.rules import EarningRules, LoyaltyRules, RedemptionRules, TierRule

PLACED = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
DELIVERED = datetime(2026, 11, 5, 12, 0, tzinfo=UTC)


def rules(**overrides: object) -> LoyaltyRules:
    base: dict[str, object] = {
        "earning": EarningRules(points_per_unit={"EUR": 1}, welcome_bonus=0),
        "redemption": RedemptionRules(point_value={"EUR": 1}, max_share_bp=5_000),
        "tiers": (
            TierRule(name="silver", min_spend={"EUR": 0}),
            TierRule(name="gold", min_spend={"EUR": 50_000}, multiplier_bp=15_000),
        ),
        "cashback_bp": 200,
    }
    base.update(overrides)
    return LoyaltyRules.model_validate(base)


def order(
    order_id: str = "ord_1", *totals: int, categories: tuple[str | None, ...] = (), member: str = "m-1"
) -> OrderFacts:
    amounts = totals or (10_000,)
    lines = tuple(
        OrderLine(
            sku=f"SKU-{i}", quantity=1, total=amount, category=categories[i] if i < len(categories) else None
        )
        for i, amount in enumerate(amounts)
    )
    return OrderFacts(
        order_id=order_id, member_id=member, currency="EUR", placed_at=PLACED, lines=lines, version=1
    )
