"""The local stack's loyalty seeding: the demo customer has points to pay with, given once."""

from __future__ import annotations

from types import SimpleNamespace

from loyalty.adapters.dynamo import DynamoLoyaltyStore

from infra.local import seed_loyalty
from infra.local.tokens import role_subject


def test_the_demo_customer_gets_welcome_points_once(loyalty_stack: SimpleNamespace) -> None:
    # GIVEN a fresh stage
    store = DynamoLoyaltyStore(loyalty_stack.dynamodb, loyalty_stack.table)
    # WHEN the local runner seeds loyalty, and seeds it again after a restart
    first = seed_loyalty.seed("test")
    again = seed_loyalty.seed("test")
    # THEN the customer of `make token ROLE=customers` has the demo points, given once, with a reason
    assert (first["demo_points"], again["demo_points"]) == (seed_loyalty.DEMO_POINTS, 0)
    member = role_subject("customers")
    assert store.member(member).available == seed_loyalty.DEMO_POINTS
    _, entries, _ = store.member_page(member, 10, None)
    assert [(e.reason.value, e.points, e.note) for e in entries] == [
        ("adjustment", seed_loyalty.DEMO_POINTS, "demo: welcome points")
    ]
