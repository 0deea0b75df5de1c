"""Order events through the loyalty-earning function, the member's view through loyalty-api, the
scheduled job and the stream publisher: each driven with real-shaped events as its function."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import boto3
from loyalty.adapters.records import append_entries, entry_item, notice_item
from loyalty.domain.ledger import Entry, Kind, Reason
from loyalty.domain.plans import Notice

from tests.conformance import answers_for, served_document
from tests.conftest import REGION
from tests.integration.loyalty.conftest import (
    AGENT_A,
    AGENT_B,
    MEMBER,
    count_dynamodb_calls,
    loyalty_event,
    order_cancelled,
    order_delivered,
    order_placed,
    return_refunded,
    sqs_batch,
)
from tests.support import reply_from, response_headers


def _api(functions: Any, event: dict[str, Any], context: Any) -> dict[str, Any]:
    """loyalty-api's answer to ``event``; it must be what the served OpenAPI document says of it."""
    answer = functions.invoke("loyalty-api", event, context)
    documented = answers_for(
        "loyalty", lambda: served_document("loyalty.handlers.api", "/loyalty/openapi.json")
    )
    documented.check(event["httpMethod"], event["path"], reply_from(answer))
    return answer


def _view(functions: Any, lambda_context: Any, **query: str) -> dict[str, Any]:
    answer = _api(functions, loyalty_event("GET", "/me/loyalty", query=query or None), lambda_context)
    assert answer["statusCode"] == 200, answer["body"]
    return json.loads(answer["body"])


def test_a_delivered_order_earns_pending_points_and_a_member_reads_them_in_one_call(
    loyalty_stack: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    # GIVEN a customer's 120 EUR order placed, then delivered, each event delivered twice
    batch = sqs_batch([order_placed("ord_1", 10_000, 2_000), order_placed("ord_1", 10_000, 2_000)])
    earning_calls = count_dynamodb_calls(functions, "loyalty-earning")
    assert functions.invoke("loyalty-earning", batch, lambda_context) == {"batchItemFailures": []}
    placed_calls = len(earning_calls)
    delivered = sqs_batch([order_delivered("ord_1")])
    assert functions.invoke("loyalty-earning", delivered, lambda_context) == {"batchItemFailures": []}
    delivered_calls = earning_calls[placed_calls:]
    assert functions.invoke("loyalty-earning", delivered, lambda_context) == {"batchItemFailures": []}
    # WHEN the member reads their loyalty
    api_calls = count_dynamodb_calls(functions, "loyalty-api")
    view = _view(functions, lambda_context)
    # THEN 120 points and 1.20 EUR cashback (default rules: 1 %) are pending, plus the 100 welcome points,
    # once; the read was one Query; the earning one configuration Query, one BatchGetItem, one transaction
    assert (view["available"], view["pending"]) == (100, 120)
    assert view["store_credit"] == {"EUR": {"available": 0, "pending": 120}}
    assert view["tier"]["name"] == "silver"
    assert view["tier"]["next_tier"] == "gold"
    assert sorted(e["reason"] for e in view["ledger"]["items"]) == ["order", "welcome"]
    assert api_calls == ["Query"]
    # each OrderPlaced: the SKUs' facts, the order (the second PutItem refused: recorded once), the member's
    # order recency (first and last order) and, for the first order, the rules (no coupon rule: nothing)
    assert earning_calls[:placed_calls] == ["BatchGetItem", "PutItem", "UpdateItem", "Query"] * 2
    assert delivered_calls == ["Query", "BatchGetItem", "TransactWriteItems"]


def test_the_ledger_pages_with_signed_cursors_and_the_first_page_is_still_one_call(
    loyalty_stack: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    # GIVEN five delivered orders (six entries with the welcome bonus)
    events = []
    for n in range(5):
        events += [order_placed(f"ord_{n}", 1_000 * (n + 1)), order_delivered(f"ord_{n}")]
    for event in events:
        assert functions.invoke("loyalty-earning", sqs_batch([event]), lambda_context) == {
            "batchItemFailures": []
        }
    api_calls = count_dynamodb_calls(functions, "loyalty-api")
    # WHEN the member reads two entries at a time
    first = _view(functions, lambda_context, limit="2")
    assert api_calls == ["Query"]
    seen = [e["entry_id"] for e in first["ledger"]["items"]]
    cursor = first["ledger"]["next_cursor"]
    while cursor:
        answer = _api(
            functions,
            loyalty_event("GET", "/me/loyalty/ledger", query={"limit": "2", "cursor": cursor}),
            lambda_context,
        )
        page = json.loads(answer["body"])
        seen += [e["entry_id"] for e in page["items"]]
        cursor = page["next_cursor"]
    # THEN every entry is seen once; a cursor tampered with, or another member's, is a 422
    assert len(seen) == len(set(seen)) == 6
    forged = _api(
        functions,
        loyalty_event(
            "GET", "/me/loyalty/ledger", query={"cursor": first["ledger"]["next_cursor"]}, sub=AGENT_A
        ),
        lambda_context,
    )
    assert forged["statusCode"] == 422
    assert response_headers(forged)["Content-Type"] == "application/problem+json"


def test_returns_and_cancellations_take_back_proportionally(
    loyalty_stack: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    # GIVEN two delivered orders of 100 EUR each (100 points each, pending)
    setup = [
        order_placed("ord_a", 10_000),
        order_placed("ord_b", 10_000),
        order_delivered("ord_a"),
        order_delivered("ord_b"),
    ]
    functions.invoke("loyalty-earning", sqs_batch(setup), lambda_context)
    # WHEN a quarter of A is refunded (twice delivered) and B is cancelled
    later = [
        return_refunded("ord_a", "ret_1", 2_500),
        return_refunded("ord_a", "ret_1", 2_500),
        order_cancelled("ord_b"),
    ]
    assert functions.invoke("loyalty-earning", sqs_batch(later), lambda_context) == {"batchItemFailures": []}
    # THEN A keeps 75 and B nothing: 75 pending, cashback 0.75 EUR
    view = _view(functions, lambda_context)
    assert view["pending"] == 75
    assert view["store_credit"]["EUR"]["pending"] == 75


def test_an_event_for_an_order_not_yet_recorded_fails_alone_and_a_guest_order_is_skipped(
    loyalty_stack: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    batch = sqs_batch(
        [
            order_delivered("ord_unknown"),
            order_placed("ord_guest", 5_000, member=None),
            order_delivered("ord_guest", member=None),
        ]
    )
    assert functions.invoke("loyalty-earning", batch, lambda_context) == {
        "batchItemFailures": [{"itemIdentifier": "msg-0"}]
    }


def test_the_scheduled_job_matures_points_after_the_window(
    loyalty_stack: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    # GIVEN an order delivered on 5 November (window 14 days)
    functions.invoke(
        "loyalty-earning", sqs_batch([order_placed("ord_1"), order_delivered("ord_1")]), lambda_context
    )
    # WHEN the scheduled job runs (its clock is today's, long after the window)
    result = functions.invoke(
        "loyalty-maturity", {"source": "aws.events", "detail-type": "Scheduled Event"}, lambda_context
    )
    # THEN the points and cashback are available
    assert result == {"members": {"written": 1}, "win_back": {}}  # no win-back rule: no coupon
    view = _view(functions, lambda_context)
    assert (view["available"], view["pending"]) == (200, 0)
    assert view["store_credit"]["EUR"] == {"available": 100, "pending": 0}


def test_a_large_adjustment_waits_for_a_second_agent(
    loyalty_stack: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    api_calls = count_dynamodb_calls(functions, "loyalty-api")  # before its clients exist
    path = f"/admin/loyalty/members/{MEMBER}/adjustments"
    # WHEN agent A grants 6,000 points (over the 5,000 default) and 10 points
    big = _api(
        functions,
        loyalty_event("POST", path, {"points": 6_000, "note": "lost parcel"}, sub=AGENT_A, groups="agents"),
        lambda_context,
    )
    small = _api(
        functions,
        loyalty_event("POST", path, {"points": 10, "note": "sorry"}, sub=AGENT_A, groups="agents"),
        lambda_context,
    )
    assert (big["statusCode"], small["statusCode"]) == (202, 201)
    adjustment = json.loads(big["body"])["id"]
    approve = f"/admin/loyalty/adjustments/{adjustment}/approve"
    # THEN A cannot approve it, B can (once); a customer cannot reach the admin API at all
    mine = _api(functions, loyalty_event("POST", approve, sub=AGENT_A, groups="agents"), lambda_context)
    theirs = _api(functions, loyalty_event("POST", approve, sub=AGENT_B, groups="agents"), lambda_context)
    again = _api(functions, loyalty_event("POST", approve, sub=AGENT_B, groups="agents"), lambda_context)
    customer = _api(functions, loyalty_event("POST", approve), lambda_context)
    assert (mine["statusCode"], theirs["statusCode"], again["statusCode"], customer["statusCode"]) == (
        422,
        200,
        422,
        403,
    )
    before = len(api_calls)
    member = _api(
        functions,
        loyalty_event("GET", f"/admin/loyalty/members/{MEMBER}", sub=AGENT_B, groups="agents"),
        lambda_context,
    )
    assert api_calls[before:] == ["Query"]  # the lookup is the member's read: one Query
    body = json.loads(member["body"])
    assert body["available"] == 6_010
    notes = {e["note"] for e in body["ledger"]["items"]}
    assert notes == {"lost parcel", "sorry"}


def test_merchandisers_replace_rules_and_campaigns_with_validation(
    loyalty_stack: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    staff = {"sub": AGENT_A, "groups": "merchandisers"}
    read = _api(functions, loyalty_event("GET", "/admin/loyalty/rules", **staff), lambda_context)
    rules = json.loads(read["body"])["rules"]
    rules["earning"]["points_per_unit"]["EUR"] = 2
    # WHEN the rules are replaced with the ETag read, then with a stale one, then with a tier out of order
    put = _api(
        functions,
        loyalty_event(
            "PUT",
            "/admin/loyalty/rules",
            rules,
            headers={"If-Match": response_headers(read)["ETag"]},
            **staff,
        ),
        lambda_context,
    )
    stale = _api(
        functions,
        loyalty_event("PUT", "/admin/loyalty/rules", rules, headers={"If-Match": '"0"'}, **staff),
        lambda_context,
    )
    valid = json.loads(json.dumps(rules))
    rules["tiers"] = rules["tiers"][::-1]
    bad = _api(
        functions,
        loyalty_event(
            "PUT", "/admin/loyalty/rules", rules, headers={"If-Match": response_headers(put)["ETag"]}, **staff
        ),
        lambda_context,
    )
    campaign = {
        "id": "bf",
        "name": "Black Friday",
        "starts_at": "2026-11-27T00:00:00Z",
        "ends_at": "2026-11-26T00:00:00Z",
    }
    backwards = _api(
        functions, loyalty_event("PUT", "/admin/loyalty/campaigns/bf", campaign, **staff), lambda_context
    )
    campaign["ends_at"] = "2026-11-30T00:00:00Z"
    created = _api(
        functions, loyalty_event("PUT", "/admin/loyalty/campaigns/bf", campaign, **staff), lambda_context
    )
    by_agent = _api(
        functions,
        loyalty_event("PUT", "/admin/loyalty/rules", valid, sub=AGENT_B, groups="agents"),
        lambda_context,
    )
    # THEN
    assert (put["statusCode"], stale["statusCode"], bad["statusCode"]) == (200, 412, 422)
    assert (backwards["statusCode"], created["statusCode"], by_agent["statusCode"]) == (422, 201, 403)
    assert response_headers(bad)["Content-Type"] == "application/problem+json"
    # AND the campaign is listed, then removed (what it was answered), and a second removal is a 404
    listed = _api(functions, loyalty_event("GET", "/admin/loyalty/campaigns", **staff), lambda_context)
    assert [c["id"] for c in json.loads(listed["body"])["items"]] == ["bf"]
    removed = _api(functions, loyalty_event("DELETE", "/admin/loyalty/campaigns/bf", **staff), lambda_context)
    gone = _api(functions, loyalty_event("DELETE", "/admin/loyalty/campaigns/bf", **staff), lambda_context)
    assert (removed["statusCode"], json.loads(removed["body"])["name"], gone["statusCode"]) == (
        200,
        "Black Friday",
        404,
    )


def _event_log() -> list[dict[str, Any]]:
    """What reached the stage's event-log queue from shop.loyalty (every ``shop.*`` event on the bus)."""
    from infra.resources import physical_name

    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.get_queue_url(QueueName=physical_name("test", "event-log"))["QueueUrl"]
    seen = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        seen.extend(json.loads(m["Body"]) for m in messages)
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )
    return [e for e in seen if e["source"] == "shop.loyalty"]


def _insert(image: dict[str, Any], n: int) -> dict[str, Any]:
    """A stream record of the loyalty table for a new item, as Lambda delivers it."""
    return {
        "eventID": str(n),
        "eventName": "INSERT",
        "eventSource": "aws:dynamodb",
        "awsRegion": REGION,
        "dynamodb": {
            "Keys": {"pk": image["pk"], "sk": image["sk"]},
            "NewImage": image,
            "SequenceNumber": str(100 + n),
            "SizeBytes": 100,
            "StreamViewType": "NEW_IMAGE",
        },
        "eventSourceARN": "arn:aws:dynamodb:eu-west-1:123456789012:table/shop-test-loyalty/stream/2026-12-01T00:00:00.000",
    }


def test_the_stream_publishes_entries_and_notices_as_events_with_ids_only(
    loyalty_stack: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    # GIVEN the stream records of a spend written by checkout's transaction, an earning that moved the tier,
    # an expiry notice, and a guard (not an event)
    at = datetime(2026, 11, 6, tzinfo=UTC)
    spend = Entry(
        member_id=MEMBER,
        idempotency_id="spend#ord_1",
        reason=Reason.ORDER,
        kind=Kind.SPEND,
        deltas={"points": -30},
        recorded_at=at,
        order_id="ord_1",
    )
    earn = Entry(
        member_id=MEMBER,
        idempotency_id="earn#ord_2",
        reason=Reason.ORDER,
        deltas={"points_pending": 500},
        recorded_at=at,
        order_id="ord_2",
        tier_change=("silver", "gold"),
    )
    notice = Notice(
        member_id=MEMBER,
        idempotency_id="expiring#2027-01-01",
        points=40,
        expires_at=datetime(2027, 1, 1, tzinfo=UTC),
        recorded_at=at,
    )
    guard = append_entries("t", spend)[0]["Put"]["Item"]
    images = [entry_item(spend), entry_item(earn), notice_item(notice), guard]
    batch = {"Records": [_insert(image, n) for n, image in enumerate(images)]}
    # WHEN loyalty-events handles the batch twice (a replay)
    assert functions.invoke("loyalty-events", batch, lambda_context) == {"batchItemFailures": []}
    assert functions.invoke("loyalty-events", batch, lambda_context) == {"batchItemFailures": []}
    # THEN the bus got each event with the same id both times, carrying ids and numbers only
    published = _event_log()
    kinds = sorted((e["detail-type"], e["detail"]["metadata"]["eventId"]) for e in published)
    assert [k for k, _ in kinds] == sorted(
        ["PointsSpent", "PointsEarned", "TierChanged", "PointsExpiring"] * 2
    )
    assert len({event_id for _, event_id in kinds}) == 4
    data = {e["detail-type"]: e["detail"]["data"] for e in published}
    assert data["PointsSpent"]["points"] == 30
    assert data["PointsEarned"]["pending"] is True
    assert (data["TierChanged"]["from_tier"], data["TierChanged"]["to_tier"]) == ("silver", "gold")
    assert data["PointsExpiring"] == {
        "member_id": MEMBER,
        "points": 40,
        "expires_at": "2027-01-01T00:00:00.000Z",
    }


def test_catalog_events_give_order_lines_their_category_and_brand_for_multipliers_and_the_window(
    loyalty_stack: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    from pathlib import Path

    from loyalty.adapters.dynamo import DynamoLoyaltyStore
    from loyalty.domain.rules import DEFAULT_RULES, EarningRules

    # GIVEN laptops earn double and have a 30-day return window, and the catalog published a laptop by Acme
    rules = DEFAULT_RULES.model_copy(
        update={
            "earning": EarningRules(points_per_unit={"EUR": 1}, category_multipliers_bp={"laptops": 20_000}),
            "category_return_window_days": {"laptops": 30},
        }
    )
    DynamoLoyaltyStore(loyalty_stack.dynamodb, loyalty_stack.table).put_rules(rules, None)
    sample = Path(__file__).parents[2] / "events" / "cart" / "sqs_catalog_product_published.json"
    published = json.loads(sample.read_text())
    assert functions.invoke("loyalty-earning", published, lambda_context) == {"batchItemFailures": []}
    # WHEN a customer's 100 EUR order of it is placed and delivered, and one of an unknown SKU
    placed = order_placed("ord_laptop", 10_000)
    placed[2]["lines"][0]["sku"] = "LAP-0001-BLACK"
    events = [
        placed,
        order_delivered("ord_laptop"),
        order_placed("ord_other", 10_000),
        order_delivered("ord_other"),
    ]
    assert functions.invoke("loyalty-earning", sqs_batch(events), lambda_context) == {"batchItemFailures": []}
    # THEN the laptop earns 200 pending for 30 days, the other 100 for the default 14
    member = _api(
        functions,
        loyalty_event("GET", f"/admin/loyalty/members/{MEMBER}", sub=AGENT_A, groups="agents"),
        lambda_context,
    )
    lots = {lot["order_id"]: lot for lot in json.loads(member["body"])["pending_orders"]}
    assert lots["ord_laptop"]["points"] == 200
    assert lots["ord_laptop"]["matures_at"].startswith("2026-12-05")
    assert (lots["ord_other"]["points"], lots["ord_other"]["matures_at"][:10]) == (100, "2026-11-19")


def test_a_caller_of_the_wrong_staff_group_is_refused_before_the_request_is_read(
    loyalty_stack: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    # GIVEN invalid requests to an agents' route from a merchandiser and to a merchandisers' route from an agent
    adjust = loyalty_event(
        "POST",
        f"/admin/loyalty/members/{MEMBER}/adjustments",
        {"points": "many"},
        sub=AGENT_A,
        groups="merchandisers",
    )
    rules = loyalty_event("PUT", "/admin/loyalty/rules", {"earning": 1}, sub=AGENT_A, groups="agents")
    # WHEN they are sent
    answers = [_api(functions, event, lambda_context) for event in (adjust, rules)]
    # THEN both are 403, telling nothing of what a valid request looks like
    assert [a["statusCode"] for a in answers] == [403, 403]
