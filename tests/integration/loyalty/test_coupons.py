"""Automatic coupons on moto, each function driven with real-shaped events: rules set by merchandisers,
triggers through loyalty-earning's queue and the scheduled job, the code written in pricing's table by its
contract in loyalty's transaction, ``GET /me/coupons``, ``CouponIssued`` from the stream."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from loyalty import wiring

from pricing.adapters.records import code_redemption_items, promotion_write_items
from pricing.domain import Promotion
from pricing.domain.models import CodeRedemption
from shop_kernel.clock import FixedClock
from tests.conformance import answers_for, served_document
from tests.conftest import REGION
from tests.integration.loyalty.conftest import (
    AGENT_A,
    MEMBER,
    count_dynamodb_calls,
    loyalty_event,
    order_placed,
    sqs_batch,
)
from tests.support import reply_from, response_headers

OTHER = "7d6c5b4a-3f2e-4d1c-9b8a-7f6e5d4c3b2a"
PROMOTIONS = [
    {
        "id": "promo_first",
        "name": "First order: 10 % off",
        "benefit": {"kind": "percent_off", "basis_points": 1000},
    },
    {
        "id": "promo_tier",
        "name": "Welcome to gold",
        "benefit": {"kind": "free_shipping", "methods": ["standard"]},
    },
    {
        "id": "promo_bday",
        "name": "Birthday: 15 % off",
        "benefit": {"kind": "percent_off", "basis_points": 1500},
    },
    {"id": "promo_back", "name": "We miss you", "benefit": {"kind": "percent_off", "basis_points": 2000}},
]
COUPON_RULES = [
    {"trigger": "first_order", "promotion_id": "promo_first", "valid_days": 14},
    {"trigger": "tier_reached", "promotion_id": "promo_tier", "tiers": ["gold", "platinum"]},
    {"trigger": "birthday", "promotion_id": "promo_bday", "valid_days": 30},
    {"trigger": "win_back", "promotion_id": "promo_back", "after_days": 90},
]


def _api(functions: Any, event: dict[str, Any], context: Any) -> dict[str, Any]:
    answer = functions.invoke("loyalty-api", event, context)
    documented = answers_for(
        "loyalty", lambda: served_document("loyalty.handlers.api", "/loyalty/openapi.json")
    )
    documented.check(event["httpMethod"], event["path"], reply_from(answer))
    return answer


@pytest.fixture
def coupons_on(loyalty_stack: SimpleNamespace, functions: Any, lambda_context: Any) -> SimpleNamespace:
    """Pricing's coupon promotions exist, and a merchandiser switched the four triggers on."""
    from infra.resources import physical_name

    promotions = physical_name("test", "promotions")
    items = promotion_write_items(promotions, [Promotion.model_validate(p) for p in PROMOTIONS], None)
    loyalty_stack.dynamodb.transact_write_items(TransactItems=items)
    staff = {"sub": AGENT_A, "groups": "merchandisers"}
    read = _api(functions, loyalty_event("GET", "/admin/loyalty/rules", **staff), lambda_context)
    rules = {**json.loads(read["body"])["rules"], "coupons": COUPON_RULES}
    headers = {"If-Match": response_headers(read)["ETag"]}
    put = _api(
        functions,
        loyalty_event("PUT", "/admin/loyalty/rules", rules, headers=headers, **staff),
        lambda_context,
    )
    assert put["statusCode"] == 200, put["body"]
    loyalty_stack.promotions = promotions
    return loyalty_stack


def _coupons(functions: Any, context: Any, sub: str = MEMBER, **query: str) -> dict[str, Any]:
    answer = _api(functions, loyalty_event("GET", "/me/coupons", sub=sub, query=query or None), context)
    assert answer["statusCode"] == 200, answer["body"]
    return json.loads(answer["body"])


def _code_item(stack: SimpleNamespace, code: str) -> dict[str, Any]:
    key = {"pk": {"S": f"CODE#{code}"}, "sk": {"S": "CODE"}}
    return stack.dynamodb.get_item(TableName=stack.promotions, Key=key, ConsistentRead=True)["Item"]


def test_a_first_order_issues_one_personal_code_the_member_sees_and_uses_once(
    coupons_on: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    # GIVEN the member's first order placed, the event delivered twice, then a second order
    batch = sqs_batch([order_placed("ord_1"), order_placed("ord_1"), order_placed("ord_2")])
    assert functions.invoke("loyalty-earning", batch, lambda_context) == {"batchItemFailures": []}
    # WHEN the member reads their coupons (in a new execution environment, its calls counted)
    functions.override("loyalty-api")
    calls = count_dynamodb_calls(functions, "loyalty-api")
    page = _coupons(functions, lambda_context)
    # THEN one coupon: its code, what it gives, valid for 14 days, unused; read in a Query and a BatchGetItem
    [coupon] = page["items"]
    assert (coupon["trigger"], coupon["promotion_id"], coupon["status"], coupon["used"]) == (
        "first_order",
        "promo_first",
        "active",
        False,
    )
    assert (coupon["benefit"]["kind"], coupon["benefit"]["basis_points"]) == ("percent_off", 1000)
    valid = datetime.fromisoformat(coupon["valid_until"]) - datetime.fromisoformat(coupon["valid_from"])
    assert valid.days == 14
    assert calls == ["Query", "BatchGetItem"]
    # AND pricing holds the code for this member only, once
    doc = json.loads(_code_item(coupons_on, coupon["code"])["doc"]["S"])
    assert (doc["owner"], doc["usage_limit"], doc["per_customer_limit"]) == (MEMBER, 1, 1)
    # WHEN checkout counts a use of it in its transaction (pricing's redemption write), then tries again
    redemption = CodeRedemption(
        code=coupon["code"],
        promotion_id="promo_first",
        customer_key=f"customer:{MEMBER}",
        usage_limit=1,
        per_customer_limit=1,
    )
    entries = code_redemption_items(coupons_on.promotions, redemption)
    coupons_on.dynamodb.transact_write_items(TransactItems=entries)
    with pytest.raises(coupons_on.dynamodb.exceptions.TransactionCanceledException):
        coupons_on.dynamodb.transact_write_items(TransactItems=entries)
    # THEN the coupon shows used; another customer sees none of it
    assert [(c["status"], c["used"]) for c in _coupons(functions, lambda_context)["items"]] == [
        ("used", True)
    ]
    assert _coupons(functions, lambda_context, sub=OTHER)["items"] == []


def test_tier_reached_and_birthday_events_issue_once_each(
    coupons_on: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    # GIVEN loyalty's own TierChanged (silver -> gold) and customers' birthday event, each delivered twice,
    # and a move down that issues nothing
    tier = (
        "shop.loyalty",
        "TierChanged",
        {
            "member_id": MEMBER,
            "entry_id": "le_1",
            "from_tier": "silver",
            "to_tier": "gold",
            "changed_at": "2026-11-05T12:00:00.000Z",
        },
    )
    down = (
        "shop.loyalty",
        "TierChanged",
        {
            "member_id": MEMBER,
            "entry_id": "le_2",
            "from_tier": "gold",
            "to_tier": "silver",
            "changed_at": "2026-11-06T12:00:00.000Z",
        },
    )
    birthday = (
        "shop.customers",
        "CustomerBirthdayReached",
        {
            "customer_id": MEMBER,
            "year": 2026,
            "reached_at": "2026-11-05T00:05:00.000Z",
        },
    )
    batch = sqs_batch([tier, birthday, tier, birthday, down])
    # WHEN loyalty-earning handles the batch twice
    for _ in range(2):
        assert functions.invoke("loyalty-earning", batch, lambda_context) == {"batchItemFailures": []}
    # THEN one coupon per occurrence
    items = _coupons(functions, lambda_context)["items"]
    assert sorted((c["trigger"], c["promotion_id"]) for c in items) == [
        ("birthday", "promo_bday"),
        ("tier_reached", "promo_tier"),
    ]
    assert len({c["code"] for c in items}) == 2


def _at(functions: Any, name: str, moment: datetime) -> None:
    functions.run(name, lambda: wiring.container.override(clock=FixedClock(moment)))


def test_the_scheduled_job_issues_win_back_once_per_lapse(
    coupons_on: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    # GIVEN an order placed on 2 November 2026 (the rule: 90 days without an order)
    assert functions.invoke("loyalty-earning", sqs_batch([order_placed("ord_1")]), lambda_context) == {
        "batchItemFailures": []
    }
    scheduled = {"source": "aws.events", "detail-type": "Scheduled Event"}
    # WHEN the job runs at 80 days, then at 91 days twice
    _at(functions, "loyalty-maturity", datetime(2027, 1, 21, tzinfo=UTC))
    early = functions.invoke("loyalty-maturity", scheduled, lambda_context)
    functions.override("loyalty-maturity", LOYALTY_DUE_BATCH="500")  # a new environment: the clock again
    _at(functions, "loyalty-maturity", datetime(2027, 2, 1, tzinfo=UTC))
    first = functions.invoke("loyalty-maturity", scheduled, lambda_context)
    again = functions.invoke("loyalty-maturity", scheduled, lambda_context)
    # THEN one win-back coupon, besides the first order's
    assert (early["win_back"], first["win_back"], again["win_back"]) == ({}, {"issued": 1}, {})
    triggers = sorted(c["trigger"] for c in _coupons(functions, lambda_context)["items"])
    assert triggers == ["first_order", "win_back"]


def test_coupons_page_with_a_signed_cursor_and_a_forged_one_is_refused(
    coupons_on: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    # GIVEN three coupons (birthdays of three years)
    events = [
        (
            "shop.customers",
            "CustomerBirthdayReached",
            {"customer_id": MEMBER, "year": y, "reached_at": f"{y}-11-05T00:00:00.000Z"},
        )
        for y in (2026, 2027, 2028)
    ]
    assert functions.invoke("loyalty-earning", sqs_batch(events), lambda_context) == {"batchItemFailures": []}
    # WHEN the member pages two at a time
    first = _coupons(functions, lambda_context, limit="2")
    second = _coupons(functions, lambda_context, limit="2", cursor=first["next_cursor"])
    # THEN three coupons in all, none twice
    codes = [c["code"] for c in first["items"] + second["items"]]
    assert len(first["items"]) == 2
    assert len(set(codes)) == 3
    # AND another member's cursor, or a forged one, is a 422
    for cursor in (first["next_cursor"] + "x", "abc.def"):
        answer = _api(
            functions, loyalty_event("GET", "/me/coupons", query={"cursor": cursor}), lambda_context
        )
        assert answer["statusCode"] == 422
    stolen = _api(
        functions,
        loyalty_event("GET", "/me/coupons", sub=OTHER, query={"cursor": first["next_cursor"]}),
        lambda_context,
    )
    assert stolen["statusCode"] == 422


def test_a_new_coupon_is_published_as_coupon_issued(
    coupons_on: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    # GIVEN a coupon written by loyalty-earning, as its stream record
    functions.invoke("loyalty-earning", sqs_batch([order_placed("ord_1")]), lambda_context)
    table = coupons_on.table
    items = coupons_on.dynamodb.query(
        TableName=table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :c)",
        ExpressionAttributeValues={":pk": {"S": f"MEMBER#{MEMBER}"}, ":c": {"S": "CPN#"}},
    )["Items"]
    [image] = items
    record = {
        "eventID": "1",
        "eventName": "INSERT",
        "eventSource": "aws:dynamodb",
        "awsRegion": REGION,
        "dynamodb": {
            "Keys": {"pk": image["pk"], "sk": image["sk"]},
            "NewImage": image,
            "SequenceNumber": "1",
            "SizeBytes": 100,
            "StreamViewType": "NEW_IMAGE",
        },
        "eventSourceARN": f"arn:aws:dynamodb:{REGION}:123456789012:table/{table}/stream/2026-12-01T00:00:00.000",
    }
    # WHEN loyalty-events handles it twice (a replay)
    for _ in range(2):
        assert functions.invoke("loyalty-events", {"Records": [record]}, lambda_context) == {
            "batchItemFailures": []
        }
    # THEN CouponIssued, the same id both times, ids and the code only
    sqs = boto3.client("sqs", region_name=REGION)
    from infra.resources import physical_name

    url = sqs.get_queue_url(QueueName=physical_name("test", "event-log"))["QueueUrl"]
    bodies = [
        json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    ]
    issued = [b for b in bodies if b["detail-type"] == "CouponIssued"]
    assert len(issued) == 2
    assert len({b["detail"]["metadata"]["eventId"] for b in issued}) == 1
    data = issued[0]["detail"]["data"]
    assert (data["member_id"], data["trigger"], data["promotion_id"]) == (
        MEMBER,
        "first_order",
        "promo_first",
    )
    assert set(data) == {
        "member_id",
        "coupon_id",
        "trigger",
        "code",
        "promotion_id",
        "valid_from",
        "valid_until",
        "issued_at",
    }


def test_the_demo_seed_gives_the_demo_customer_a_coupon_once(
    loyalty_stack: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    from infra.local import seed_loyalty, seed_promotions

    # WHEN the local stack seeds promotions and loyalty, twice (a restart)
    seed_promotions.seed("test")
    first = seed_loyalty.seed("test")
    seed_promotions.seed("test")
    again = seed_loyalty.seed("test")
    # THEN the demo customer (make token ROLE=customers) has one birthday coupon, usable
    assert (first["demo_coupon"], again["demo_coupon"]) == ("issued", "duplicate")
    [coupon] = _coupons(functions, lambda_context, sub=seed_loyalty.DEMO_CUSTOMER)["items"]
    assert (coupon["trigger"], coupon["status"], coupon["promotion_id"]) == (
        "birthday",
        "active",
        "promo_coupon_birthday",
    )
