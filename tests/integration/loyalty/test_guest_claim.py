"""The guest points claim on moto: a guest order (OrderPlaced 2.2 with the e-mail's key) earns on the
guest's ledger through loyalty-earning; the customer with that verified e-mail claims it through
loyalty-api (API Gateway events with Cognito claims), once; later events of the order follow the claim."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from loyalty import wiring
from loyalty.domain.claims import guest_member_id, plan_claim
from loyalty.domain.errors import AlreadyClaimed
from loyalty.domain.rules import DEFAULT_RULES

from shop_kernel.guest_keys import GuestKeys
from tests.conformance import answers_for, served_document
from tests.conftest import REGION
from tests.integration.loyalty.conftest import (
    MEMBER,
    loyalty_event,
    order_delivered,
    order_placed,
    return_refunded,
    sqs_batch,
)
from tests.support import reply_from

EMAIL = "Olena@Example.com"
OTHER = "7d6c5b4a-3f2e-4d1c-9b8a-7f6e5d4c3b2a"


def _key(email: str = EMAIL) -> str:
    """The key checkout puts on a guest order: the stage's secret, as the functions read it."""
    from infra.resources import physical_name

    secret = boto3.client("secretsmanager", region_name=REGION).get_secret_value(
        SecretId=physical_name("test", "guest-email-key")
    )["SecretString"]
    return GuestKeys(lambda: secret.encode()).of(email)


def _guest_order(order_id: str, *totals: int, email: str = EMAIL) -> tuple[str, str, dict[str, Any]]:
    source, detail_type, data = order_placed(order_id, *totals, member=None)
    return source, detail_type, {**data, "guest_key": _key(email)}


def _claim(
    functions: Any, context: Any, *, sub: str = MEMBER, email: str | None = EMAIL, verified: str = "true"
):
    event = loyalty_event("POST", "/me/loyalty/claims", sub=sub)
    claims = event["requestContext"]["authorizer"]["claims"]
    if email is not None:
        claims.update(email=email, email_verified=verified)
    answer = functions.invoke("loyalty-api", event, context)
    documented = answers_for(
        "loyalty", lambda: served_document("loyalty.handlers.api", "/loyalty/openapi.json")
    )
    documented.check("POST", "/me/loyalty/claims", reply_from(answer))
    return answer["statusCode"], json.loads(answer["body"])


def _view(functions: Any, context: Any, sub: str = MEMBER) -> dict[str, Any]:
    answer = functions.invoke("loyalty-api", loyalty_event("GET", "/me/loyalty", sub=sub), context)
    return json.loads(answer["body"])  # type: ignore[no-any-return]


def test_a_customer_claims_the_points_of_their_guest_orders_once(
    loyalty_stack: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    # GIVEN two guest orders with the customer's e-mail (one delivered), and one with another e-mail
    events = [
        _guest_order("ord_g1", 10_000),
        _guest_order("ord_g2", 5_000),
        order_delivered("ord_g1", member=None),
        _guest_order("ord_x", 7_000, email="someone@example.com"),
        order_delivered("ord_x", member=None),
        order_delivered("ord_unkeyed", member=None),  # a guest order loyalty never recorded: skipped
    ]
    assert functions.invoke("loyalty-earning", sqs_batch(events), lambda_context) == {"batchItemFailures": []}
    # WHEN the signed-up customer claims with that e-mail verified (in another case)
    status, entry = _claim(functions, lambda_context, email="olena@example.COM")
    # THEN the claim entry moved the delivered order's 100 pending points and 1 EUR pending cashback
    assert status == 201, entry
    assert (entry["reason"], entry["pending"], entry["credit"]) == ("claim", 100, {"EUR": 100})
    view = _view(functions, lambda_context)
    assert (view["available"], view["pending"]) == (0, 100)
    assert [e["reason"] for e in view["ledger"]["items"]] == ["claim"]
    # AND a second claim, an unverified e-mail, an e-mail with nothing to claim are refused
    assert _claim(functions, lambda_context)[0] == 409
    assert _claim(functions, lambda_context, sub=OTHER, verified="false")[0] == 403
    assert _claim(functions, lambda_context, sub=OTHER, email=None)[0] == 403
    assert _claim(functions, lambda_context, sub=OTHER, email="nobody@example.com")[0] == 404
    # WHEN the second guest order is delivered and the first is half returned after the claim
    later = [order_delivered("ord_g2", member=None), return_refunded("ord_g1", "ret_1", 5_000)]
    assert functions.invoke("loyalty-earning", sqs_batch(later), lambda_context) == {"batchItemFailures": []}
    # THEN both land on the customer's ledger: +50 pending, then half of the first order's 100 taken back
    view = _view(functions, lambda_context)
    assert view["pending"] == 100
    assert sorted(e["reason"] for e in view["ledger"]["items"]) == ["claim", "order", "return"]


def test_two_claims_at_once_one_wins(
    loyalty_stack: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    # GIVEN a delivered guest order, and two customers' claims planned from the same reads
    events = [_guest_order("ord_g1", 10_000), order_delivered("ord_g1", member=None)]
    functions.invoke("loyalty-earning", sqs_batch(events), lambda_context)
    key = _key()

    def plans(member_id: str):  # type: ignore[no-untyped-def]
        store = wiring.container.store()
        guest = store.member(guest_member_id(key))
        at = datetime(2026, 11, 6, tzinfo=UTC)
        return plan_claim(guest, store.member(member_id), key, DEFAULT_RULES, at)

    first = functions.run("loyalty-api", plans, MEMBER)
    second = functions.run("loyalty-api", plans, OTHER)
    # WHEN both are written
    functions.run("loyalty-api", lambda: wiring.container.claim_store().commit_claim(key, *first))
    # THEN the second finds the claim made (the marker), and nothing of it was written
    with pytest.raises(AlreadyClaimed):
        functions.run("loyalty-api", lambda: wiring.container.claim_store().commit_claim(key, *second))
    assert (
        _view(functions, lambda_context, OTHER)["pending"],
        _view(functions, lambda_context)["pending"],
    ) == (0, 100)


def test_an_erased_customer_leaves_no_claim_marker(
    loyalty_stack: SimpleNamespace, functions: Any, lambda_context: Any
) -> None:
    # GIVEN a claimed guest order
    events = [_guest_order("ord_g1", 10_000), order_delivered("ord_g1", member=None)]
    functions.invoke("loyalty-earning", sqs_batch(events), lambda_context)
    assert _claim(functions, lambda_context)[0] == 201
    marker = {"pk": {"S": f"CLAIM#{_key()}"}, "sk": {"S": "CLAIM"}}
    assert "Item" in loyalty_stack.dynamodb.get_item(TableName=loyalty_stack.table, Key=marker)
    # WHEN the customers context announces the customer's erasure (twice)
    erased = (
        "shop.customers",
        "CustomerErased",
        {"customer_id": MEMBER, "erased_at": "2026-12-01T00:00:00.000Z"},
    )
    assert functions.invoke("loyalty-earning", sqs_batch([erased, erased]), lambda_context) == {
        "batchItemFailures": []
    }
    # THEN the marker tying the customer to the guest key is gone; a new claim still finds it claimed
    assert "Item" not in loyalty_stack.dynamodb.get_item(TableName=loyalty_stack.table, Key=marker)
    assert _claim(functions, lambda_context, sub=OTHER)[0] == 409
