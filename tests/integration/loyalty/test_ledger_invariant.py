"""Property: whatever order events arrive in, twice or out of order, and whatever checkout spends and
restores meanwhile, the balances stored on the member's summary equal the sums of the ledger entries
stored beside it (both read back from the table; neither is recomputed from the other)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loyalty import contract
from loyalty.adapters.dynamo import DynamoLoyaltyStore
from loyalty.adapters.records import ACCOUNT_PREFIX, member_pk, summary_key
from loyalty.domain.orders import OrderFacts, OrderLine
from loyalty.domain.service import LoyaltyService, OrderNotRecorded

from shop_kernel.clock import FixedClock
from shop_kernel.dynamo import deserialize, query_all

START = datetime(2026, 11, 1, tzinfo=UTC)
ORDERS = ("o1", "o2")

order_events = st.one_of(
    st.tuples(st.just("placed"), st.sampled_from(ORDERS), st.integers(min_value=1, max_value=50_000)),
    st.tuples(st.just("delivered"), st.sampled_from(ORDERS), st.just(0)),
    st.tuples(st.just("refunded"), st.sampled_from(ORDERS), st.integers(min_value=1, max_value=30_000)),
    st.tuples(st.just("cancelled"), st.sampled_from(ORDERS), st.just(0)),
    st.tuples(st.just("spent"), st.sampled_from(ORDERS), st.integers(min_value=1, max_value=300)),
    st.tuples(st.just("restored"), st.sampled_from(ORDERS), st.integers(min_value=1, max_value=300)),
    st.tuples(st.just("job"), st.just(""), st.integers(min_value=1, max_value=40)),
    st.tuples(st.just("credited"), st.just(""), st.sampled_from([1_000, 3])),
)


def _apply(shop: SimpleNamespace, member: str, event: tuple[str, str, int], n: int) -> None:
    kind, order, amount = event
    order_id = f"{member[:8]}-{order}"
    service: LoyaltyService = shop.service
    at = START + timedelta(days=1)
    if kind == "placed":
        lines = (OrderLine(sku="A", quantity=1, total=amount),)
        service.record_order(
            OrderFacts(order_id=order_id, member_id=member, currency="EUR", placed_at=START, lines=lines)
        )
    elif kind == "delivered":
        service.earn(order_id, member, at)
    elif kind == "refunded":
        service.refund(order_id, f"return#{order_id}-{amount}", amount, at)
    elif kind == "cancelled":
        service.cancel(order_id, at)
    elif kind == "credited":
        service.adjust(member, amount, "goodwill", "agent-1")
    elif kind == "job":
        shop.clock.advance(days=amount)
        service.run_due()
    else:
        make = contract.debit_points if kind == "spent" else contract.restore_points
        part = make(shop.table, member, amount, order_id, at)
        try:
            shop.client.transact_write_items(TransactItems=list(part.entries))
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise  # a refused spend or restore is expected; anything else is not


def _stored(shop: SimpleNamespace, member: str) -> tuple[dict[str, int], dict[str, int]]:
    summary = shop.client.get_item(TableName=shop.table, Key=summary_key(member), ConsistentRead=True).get(
        "Item", {}
    )
    balances = {
        k[len(ACCOUNT_PREFIX) :]: v for k, v in deserialize(summary).items() if k.startswith(ACCOUNT_PREFIX)
    }
    entries = query_all(
        shop.client,
        TableName=shop.table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :l)",
        ExpressionAttributeValues={":pk": {"S": member_pk(member)}, ":l": {"S": "L#"}},
    )
    sums: dict[str, int] = {}
    for item in entries:
        for account, delta in deserialize(item)["deltas"].items():
            sums[account] = sums.get(account, 0) + delta
    return {k: v for k, v in balances.items() if v}, {k: v for k, v in sums.items() if v}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=st.lists(order_events, min_size=1, max_size=14), data=st.data())
def test_the_stored_balance_is_the_sum_of_the_stored_ledger_under_duplicates_and_disorder(
    loyalty_stack: SimpleNamespace, events: list[tuple[str, str, int]], data: st.DataObject
) -> None:
    # GIVEN a new member and the events, each delivered once or twice, shuffled
    member = str(uuid.uuid4())
    client = loyalty_stack.dynamodb
    clock = FixedClock(START)
    shop = SimpleNamespace(
        table=loyalty_stack.table,
        client=client,
        clock=clock,
        service=LoyaltyService(DynamoLoyaltyStore(client, loyalty_stack.table), clock),
    )
    deliveries = [e for e in events for _ in range(data.draw(st.integers(min_value=1, max_value=2)))]
    queue: list[tuple[tuple[str, str, int], int]] = [(e, 0) for e in data.draw(st.permutations(deliveries))]
    # WHEN they are handled, an event about an order not yet recorded retried later (as the queue does)
    while queue:
        event, tries = queue.pop(0)
        try:
            _apply(shop, member, event, tries)
        except OrderNotRecorded:
            if tries < 2:
                queue.append((event, tries + 1))
    # THEN the summary's stored balances are the stored entries' sums, and no balance is negative
    stored, ledger = _stored(shop, member)
    assert stored == ledger
    assert all(value >= 0 for value in stored.values())
