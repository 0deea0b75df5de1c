"""The customers table adapter against moto: versions are conditions, an erasure in progress refuses every
write, and order owners make a cancellation that arrives first count."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from customers.adapters.dynamo import DynamoCustomerStore
from customers.domain.models import CustomerProfile, GroupAssignment, OrderFact
from customers.domain.ports import VersionConflict
from shop_kernel.money import Money
from tests.integration.customers.conftest import CUSTOMER_SUB

AT = "2026-12-01T12:00:00.000Z"


@pytest.fixture
def store(customers_stack: SimpleNamespace) -> DynamoCustomerStore:
    return DynamoCustomerStore(customers_stack.dynamodb, customers_stack.table)


def _profile(version: int, name: str = "Olena") -> CustomerProfile:
    return CustomerProfile(
        customer_id=CUSTOMER_SUB, given_name=name, version=version, created_at=AT, updated_at=AT
    )


def test_a_profile_is_replaced_only_at_the_version_read(store: DynamoCustomerStore) -> None:
    # GIVEN a stored profile at version 1
    store.save_profile(_profile(1), None)
    # WHEN it is created again, or replaced at a version it does not have
    with pytest.raises(VersionConflict):
        store.save_profile(_profile(1), None)
    with pytest.raises(VersionConflict):
        store.save_profile(_profile(3), 2)
    # THEN only a replace at version 1 is taken
    store.save_profile(_profile(2, "Olenka"), 1)
    loaded = store.load(CUSTOMER_SUB).profile
    assert loaded is not None
    assert (loaded.version, loaded.given_name) == (2, "Olenka")


def test_while_an_erasure_is_under_way_no_write_reaches_the_customer(
    store: DynamoCustomerStore, customers_stack: SimpleNamespace
) -> None:
    # GIVEN a profile and group, and an erasure that has written its tombstone but not yet deleted
    store.save_profile(_profile(1), None)
    store.save_group(CUSTOMER_SUB, GroupAssignment(group="b2b_gold", version=1), 0)
    customers_stack.dynamodb.put_item(
        TableName=customers_stack.table,
        Item={
            "pk": {"S": f"CUST#{CUSTOMER_SUB}"},
            "sk": {"S": "ERASED"},
            "type": {"S": "erasure"},
            "customer_id": {"S": CUSTOMER_SUB},
            "erased_at": {"S": AT},
        },
    )
    # WHEN a replace, a group change and an order land meanwhile
    # THEN each is refused, so none can outlive the deletion that follows
    with pytest.raises(VersionConflict):
        store.save_profile(_profile(2, "Olenka"), 1)
    with pytest.raises(VersionConflict):
        store.save_group(CUSTOMER_SUB, GroupAssignment(group=None, version=2), 1)
    with pytest.raises(VersionConflict):
        store.record_order(
            CUSTOMER_SUB, OrderFact(order_id="ord_1", placed_at=AT, total=Money.of(100, "EUR"))
        )
    # AND the erasure completes: only the tombstone is left
    store.erase(CUSTOMER_SUB, AT, "customer")
    items = customers_stack.dynamodb.scan(TableName=customers_stack.table)["Items"]
    assert [item["sk"]["S"] for item in items] == ["ERASED"]


def test_a_cancellation_seen_first_is_kept_for_the_placement(store: DynamoCustomerStore) -> None:
    # GIVEN an order's cancellation arriving before its placement
    assert store.cancel_order("ord_1", AT) is None
    # WHEN the placement arrives, twice
    fact = OrderFact(order_id="ord_1", placed_at=AT, total=Money.of(100, "EUR"))
    assert store.record_order(CUSTOMER_SUB, fact) is True
    assert store.record_order(CUSTOMER_SUB, fact) is False
    # THEN the order is remembered once, as cancelled; a later cancellation names its customer
    assert [(o.order_id, o.cancelled) for o in store.load(CUSTOMER_SUB).orders] == [("ord_1", True)]
    assert store.cancel_order("ord_1", AT) == CUSTOMER_SUB
