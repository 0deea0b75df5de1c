"""Seeds demo promotions and promo codes into the local promotions table (gift certificates are loyalty's:
``infra/local/seed_loyalty.py``).

This writes the items cart and checkout read (layout: ``pricing.adapters.records``) directly rather than
through the back office API (``/admin/promotions``): a restart must leave codes' usage counts and fixed ids
alone (the API would answer 409 and need If-Match), and the seed runs before the functions serve. It
writes, through the same moto endpoint the functions use, the promotions with pricing's versioned
``CONFIG#promotions`` item in one transaction (``promotion_write_items``) and the codes as fixed items, so
a second run changes nothing. A restart re-writes the demo promotions as seeded (un-archiving one archived
through the API).

* automatic: 5 % off orders from 20 000 UAH / 500 EUR; free standard shipping from 3 000 UAH / 75 EUR
* ``WELCOME10``: 10 % off, once per customer; ``SPRING500``: 500 UAH / 15 EUR off, 1 000 uses
* what loyalty's automatic coupons give (birthday, first order, tier reached, win-back): code-only
  promotions whose personal codes loyalty issues
"""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.exceptions import ClientError

from infra.local import DEFAULT_STAGE, REGION
from infra.resources import physical_name
from pricing.adapters.records import promotion_write_items, promotions_config_key
from pricing.domain import Promotion

PROMOTIONS: list[dict[str, Any]] = [
    {
        "id": "promo_big_order",
        "name": "5 % off big orders",
        "automatic": True,
        "priority": 50,
        "benefit": {"kind": "percent_off", "basis_points": 500},
        "conditions": {
            "min_subtotal": [{"amount": 2_000_000, "currency": "UAH"}, {"amount": 50_000, "currency": "EUR"}]
        },
    },
    {
        "id": "promo_free_shipping",
        "name": "Free standard shipping",
        "automatic": True,
        "priority": 200,
        "benefit": {"kind": "free_shipping", "methods": ["standard"]},
        "conditions": {
            "min_subtotal": [{"amount": 300_000, "currency": "UAH"}, {"amount": 7_500, "currency": "EUR"}]
        },
    },
    {
        "id": "promo_welcome",
        "name": "Welcome: 10 % off",
        "benefit": {"kind": "percent_off", "basis_points": 1000},
    },
    {
        "id": "promo_spring",
        "name": "Spring: money off",
        "benefit": {
            "kind": "amount_off",
            "amounts": [{"amount": 50_000, "currency": "UAH"}, {"amount": 1_500, "currency": "EUR"}],
        },
    },
]
# What loyalty's automatic coupons give (infra/local/seed_loyalty.py switches the triggers on): each coupon is
# a personal single-use code of one of these, issued by loyalty through pricing's contract.
PROMOTIONS += [
    {
        "id": "promo_coupon_birthday",
        "name": "Birthday: 15 % off",
        "benefit": {"kind": "percent_off", "basis_points": 1500},
    },
    {
        "id": "promo_coupon_first_order",
        "name": "Thank you for your first order: 10 % off the next",
        "benefit": {"kind": "percent_off", "basis_points": 1000},
    },
    {
        "id": "promo_coupon_tier",
        "name": "Welcome to your new tier: free standard shipping",
        "benefit": {"kind": "free_shipping", "methods": ["standard"]},
    },
    {
        "id": "promo_coupon_win_back",
        "name": "We miss you: 20 % off",
        "benefit": {"kind": "percent_off", "basis_points": 2000},
    },
]
CODES: list[dict[str, Any]] = [
    {"code": "WELCOME10", "promotion_id": "promo_welcome", "per_customer_limit": 1},
    {"code": "SPRING500", "promotion_id": "promo_spring", "usage_limit": 1000},
]


def _items() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = [
        {
            "pk": {"S": f"CODE#{c['code']}"},
            "sk": {"S": "CODE"},
            "type": {"S": "code"},
            "doc": {"S": json.dumps(c)},
        }
        for c in CODES
    ]
    return items


def _write_promotions(dynamodb: Any, table: str, promotions: list[Promotion], attempts: int = 5) -> None:
    """The promotions and the config item, conditioned on the config version read (retried on a race)."""
    for _ in range(attempts):
        current = dynamodb.get_item(TableName=table, Key=promotions_config_key(), ConsistentRead=True).get(
            "Item"
        )
        try:
            dynamodb.transact_write_items(TransactItems=promotion_write_items(table, promotions, current))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            continue
        return
    raise RuntimeError("the promotions config item kept changing while the demo promotions were written")


def seed(stage: str = DEFAULT_STAGE) -> dict[str, int]:
    """Writes the demo items; codes keep their usage counts (only ``doc`` is replaced)."""
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    table = physical_name(stage, "promotions")
    _write_promotions(dynamodb, table, [Promotion.model_validate(p) for p in PROMOTIONS])
    for item in _items():
        if item["type"]["S"] == "code":
            # An update, not a put: a restart must not reset how often a code was used. gsi1 lists the code
            # among its promotion's in the back office.
            code = json.loads(item["doc"]["S"])
            dynamodb.update_item(
                TableName=table,
                Key={"pk": item["pk"], "sk": item["sk"]},
                UpdateExpression="SET #t = :t, doc = :d, gsi1pk = :g1, gsi1sk = :g2",
                ExpressionAttributeNames={"#t": "type"},
                ExpressionAttributeValues={
                    ":t": item["type"],
                    ":d": item["doc"],
                    ":g1": {"S": f"PROMO#{code['promotion_id']}"},
                    ":g2": {"S": f"CODE#{code['code']}"},
                },
            )
        else:
            dynamodb.put_item(TableName=table, Item=item)
    return {"promotions": len(PROMOTIONS), "codes": len(CODES)}
