"""Paying with loyalty points through the real handlers on moto: the points are debited in the order's one
transaction, a balance spent meanwhile refuses the checkout and writes nothing, and every cancellation
(the sweeper's, the fulfilment workflow's void) gives them back exactly once. Loyalty's stream sees the
spend entry and publishes ``PointsSpent``; the member's ledger shows it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from loyalty import contract as loyalty_contract
from loyalty.adapters.dynamo import DynamoLoyaltyStore
from loyalty.domain.service import LoyaltyService

from checkout.adapters.dynamo import DynamoUnitOfWork
from shop_kernel.clock import SystemClock
from tests.integration.checkout.conftest import ADDRESS, CUSTOMER_SUB, new_key, stock
from tests.integration.checkout.test_payment_tasks import order_doc, task_input
from tests.integration.loyalty.conftest import loyalty_event
from tests.support import Reply, TableStream

BODY = {"shipping_address": ADDRESS}
SEEDED = 5000  # points; a point is worth 0.10 UAH by loyalty's default rules: 500.00 UAH


@pytest.fixture
def loyalty(shop: SimpleNamespace) -> SimpleNamespace:
    """The stage's loyalty table, the customer given SEEDED points by an agent, its stream from here on."""
    from infra.resources import physical_name

    table = physical_name("test", "loyalty")
    store = DynamoLoyaltyStore(shop.dynamodb, table)
    LoyaltyService(store, SystemClock()).adjust(CUSTOMER_SUB, SEEDED, "welcome gift", "agent-1")
    return SimpleNamespace(table=table, store=store, stream=TableStream(shop.dynamodb, table, ("entry",)))


def available(loyalty: SimpleNamespace) -> int:
    return loyalty.store.member(CUSTOMER_SUB).available


def customer_cart(cart: Callable[..., Reply], sku: str = "LAP-A-BLK") -> None:
    cart("POST", "/me/cart", {"currency": "UAH", "destination_country": "UA"}, sub=CUSTOMER_SUB)
    assert cart("POST", "/me/cart/lines", {"sku": sku, "quantity": 1}, sub=CUSTOMER_SUB).status == 200


def pay_with_points(checkout: Callable[..., Reply], points: int | str, key: str | None = None) -> Reply:
    body = {**BODY, "points": points}
    return checkout("POST", "/me/checkout", body, sub=CUSTOMER_SUB, key=key or new_key())


def test_points_are_debited_in_the_orders_transaction_and_loyalty_publishes_the_spend(
    cart: Callable[..., Reply],
    checkout: Callable[..., Reply],
    loyalty: SimpleNamespace,
    functions: Any,
    lambda_context: Any,
) -> None:
    # GIVEN a customer with 5,000 points and a 40,000.00 UAH laptop in their cart
    customer_cart(cart)
    loyalty.stream.batch()  # the seeding's entry
    # WHEN they check out paying 3,000 points (300.00 UAH)
    placed = pay_with_points(checkout, 3000)
    # THEN the order records what the points paid and the card is asked for the rest
    assert placed.status == 201, placed.body
    order = placed.body["order"]
    assert order["points"]["points"] == 3000
    assert order["points"]["amount"] == {"amount": 30000, "currency": "UAH"}
    grand = order["totals"]["grand_total"]["amount"]
    assert (
        placed.body["payment"]["amount"]["amount"] == order["totals"]["amount_due"]["amount"] == grand - 30000
    )
    # AND the member's balance went down by exactly that, written with the order
    assert available(loyalty) == SEEDED - 3000
    # AND loyalty's stream sees the spend entry and publishes PointsSpent for the order
    from loyalty.handlers.stream import events_of

    published = [e for r in loyalty.stream.batch()["Records"] for e in events_of(r)]
    spent = [e for e in published if e.detail_type == "PointsSpent"]
    assert [(e.data["order_id"], e.data["points"]) for e in spent] == [(order["id"], 3000)]
    # AND the member's ledger shows the spend, naming the order
    answer = functions.invoke(
        "loyalty-api", loyalty_event("GET", "/me/loyalty", sub=CUSTOMER_SUB), lambda_context
    )
    view = json.loads(answer["body"])
    assert view["available"] == SEEDED - 3000
    newest = view["ledger"]["items"][0]
    assert (newest["reason"], newest["kind"], newest["points"], newest["order_id"]) == (
        "order",
        "spend",
        -3000,
        order["id"],
    )


def test_a_balance_spent_by_another_checkout_meanwhile_refuses_this_one_and_writes_nothing(
    cart: Callable[..., Reply],
    checkout: Callable[..., Reply],
    orders: Callable[..., Reply],
    loyalty: SimpleNamespace,
    shop: SimpleNamespace,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a customer with 5,000 points, and another checkout of the same member whose transaction spending
    # 4,000 of them lands between this checkout's read and its write (a Lambda environment serves one
    # request at a time, so the race is staged inside one invocation; DynamoDB decides, not a lock)
    customer_cart(cart)
    reserved_before = stock(shop, "LAP-A-BLK", "kyiv-dc")
    original_commit = DynamoUnitOfWork.commit
    raced: list[str] = []

    def commit_after_the_other_checkout(self: DynamoUnitOfWork) -> None:
        if not raced:
            other = loyalty_contract.debit_points(
                loyalty.table, CUSTOMER_SUB, 4000, "ord_other_device", datetime.now(UTC)
            )
            shop.dynamodb.transact_write_items(TransactItems=list(other.entries))
            raced.append("ord_other_device")
        original_commit(self)

    monkeypatch.setattr(DynamoUnitOfWork, "commit", commit_after_the_other_checkout)
    # WHEN this checkout pays with 3,000 points
    refused = pay_with_points(checkout, 3000)
    # THEN exactly one of the two wins: this one is a 409 saying the balance changed, with what is left
    assert raced == ["ord_other_device"]
    assert refused.status == 409, refused.body
    assert refused.body["type"].endswith("/insufficient-points")
    assert refused.body["available"] == 1000
    # AND it wrote nothing: no points taken, no stock held, no order
    assert available(loyalty) == 1000
    assert stock(shop, "LAP-A-BLK", "kyiv-dc") == reserved_before
    assert orders("GET", "/me/orders", sub=CUSTOMER_SUB).body["orders"] == []
    # AND a retry with what is left places the order (the cart was left open)
    retried = pay_with_points(checkout, "max")
    assert retried.status == 201, retried.body
    assert retried.body["order"]["points"]["points"] == 1000
    assert available(loyalty) == 0


def test_the_sweeper_gives_back_an_unpaid_orders_points_once(
    cart: Callable[..., Reply],
    checkout: Callable[..., Reply],
    orders: Callable[..., Reply],
    loyalty: SimpleNamespace,
    due_at_once: None,
    sweep: Callable[[], dict[str, int]],
) -> None:
    # GIVEN an order 2,000 points paid part of, never paid by card before its deadline
    customer_cart(cart)
    placed = pay_with_points(checkout, 2000)
    assert placed.status == 201, placed.body
    assert available(loyalty) == SEEDED - 2000
    # WHEN the sweeper runs, twice
    sweep()
    sweep()
    # THEN the order is cancelled and the points are back, once
    assert (
        orders("GET", f"/me/orders/{placed.body['order']['id']}", sub=CUSTOMER_SUB).body["status"]
        == "CANCELLED"
    )
    assert available(loyalty) == SEEDED
    _, entries, _ = loyalty.store.member_page(CUSTOMER_SUB, 10, None)
    assert [(e.reason.value, e.kind.value, e.points) for e in entries][:2] == [
        ("cancellation", "spend", 2000),
        ("order", "spend", -2000),
    ]


def test_the_workflows_void_gives_back_the_points_once(
    cart: Callable[..., Reply],
    checkout: Callable[..., Reply],
    loyalty: SimpleNamespace,
    shop: SimpleNamespace,
    webhook: Callable[[str, str | None], Reply],
    functions: Any,
    lambda_context: Any,
) -> None:
    from tests.integration.checkout.conftest import deliver, pay

    # GIVEN an authorised order 1,500 points paid part of, that fulfilment gives up on
    customer_cart(cart)
    placed = pay_with_points(checkout, 1500)
    order_id, intent_id = placed.body["order"]["id"], placed.body["payment"]["payment_intent_id"]
    pay(shop.standin, intent_id)
    deliver(shop.standin, webhook, ("payment_intent.amount_capturable_updated",), intent_id)
    assert order_doc(shop, order_id)["status"] == "PAYMENT_AUTHORIZED"
    # WHEN the workflow's payment step voids it, and the step is delivered again
    event = task_input("void", order_id=order_id)
    first = functions.invoke("payment-tasks", event, lambda_context)
    again = functions.invoke("payment-tasks", event, lambda_context)
    # THEN the order is cancelled, and the points come back exactly once
    assert first == again
    assert order_doc(shop, order_id)["status"] == "CANCELLED"
    assert available(loyalty) == SEEDED
    _, entries, _ = loyalty.store.member_page(CUSTOMER_SUB, 10, None)
    assert sum(1 for e in entries if e.is_give_back) == 1


def test_a_guest_cannot_send_points(
    cart: Callable[..., Reply], checkout: Callable[..., Reply], shop: SimpleNamespace
) -> None:
    from tests.integration.checkout.conftest import guest_cart

    # GIVEN a guest cart
    token = guest_cart(cart, [("LAP-A-BLK", 1)])
    # WHEN the guest's checkout carries points
    body = {"email": "olena@example.com", "shipping_address": ADDRESS, "points": 100}
    refused = checkout("POST", "/checkout", body, token=token, key=new_key())
    # THEN a 422 names the field: guests have no points
    assert refused.status == 422, refused.body
    assert [e["field"] for e in refused.body["errors"]] == ["body.points"]
