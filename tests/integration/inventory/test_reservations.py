"""Reservations on moto: one transaction with checkout's order item, release / commit / expiry once each,
and the stream consumer turning TTL deletions and status changes into stock and events."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.exceptions import ClientError

from inventory.domain.allocation import Fulfilment, ReservationLine
from tests.integration.inventory.conftest import InventoryStream, Reply

SKU = "LAP-0001-BLK"
EVENTS = Path(__file__).parents[2] / "events" / "inventory"


def _order_put(stack: SimpleNamespace, order_id: str) -> dict[str, Any]:
    # A stand-in for checkout's order item: any other table's Put works the same way.
    return {
        "Put": {
            "TableName": stack.catalog,
            "Item": {
                "pk": {"S": f"ORDER#{order_id}"},
                "sk": {"S": "ORDER"},
                "status": {"S": "PENDING_PAYMENT"},
            },
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


def _levels(call: Callable[..., Reply]) -> dict[str, tuple[int, int, int]]:
    body = call("GET", f"/admin/inventory/stock/{SKU}").body
    return {lv["location_id"]: (lv["on_hand"], lv["reserved"], lv["available"]) for lv in body["levels"]}


def _reserve(
    stack: SimpleNamespace, quantity: int, reservation_id: str, order_id: str, ttl_minutes: int = 15
) -> None:
    from inventory import wiring

    reservations = wiring.container.reservations()
    plan = reservations.plan_reservation(
        [ReservationLine(sku=SKU, quantity=quantity)], Fulfilment(mode="delivery")
    )
    items = reservations.reservation_transact_items(
        plan, reservation_id, order_id, timedelta(minutes=ttl_minutes)
    )
    stack.dynamodb.transact_write_items(TransactItems=[*items, _order_put(stack, order_id)])


def test_reservation_and_order_are_written_together(
    stocked: Callable[..., Reply], inventory_stack: SimpleNamespace
) -> None:
    # GIVEN 10 at kyiv-dc; WHEN 3 are reserved with the order in one transaction
    _reserve(inventory_stack, 3, "res_1", "ord_1")
    # THEN the stock moved from available to reserved and the order exists
    assert _levels(stocked)["kyiv-dc"] == (10, 3, 7)
    order = inventory_stack.dynamodb.get_item(
        TableName=inventory_stack.catalog, Key={"pk": {"S": "ORDER#ord_1"}, "sk": {"S": "ORDER"}}
    )
    assert "Item" in order


def test_one_failing_condition_writes_nothing(
    stocked: Callable[..., Reply], inventory_stack: SimpleNamespace
) -> None:
    # GIVEN a plan for 8 of 10 that someone else overtakes (9 reserved first)
    from inventory import wiring

    reservations = wiring.container.reservations()
    plan = reservations.plan_reservation([ReservationLine(sku=SKU, quantity=8)], Fulfilment(mode="delivery"))
    _reserve(inventory_stack, 9, "res_fast", "ord_fast")
    items = reservations.reservation_transact_items(plan, "res_slow", "ord_slow", timedelta(minutes=15))
    # WHEN the slow transaction runs with its order item
    with pytest.raises(ClientError) as raised:
        inventory_stack.dynamodb.transact_write_items(
            TransactItems=[*items, _order_put(inventory_stack, "ord_slow")]
        )
    # THEN it is cancelled on the stock condition and neither the order nor the reservation exists
    reasons = raised.value.response["CancellationReasons"]
    assert reasons[0]["Code"] == "ConditionalCheckFailed"
    assert _levels(stocked)["kyiv-dc"] == (10, 9, 1)
    key = {"pk": {"S": "ORDER#ord_slow"}, "sk": {"S": "ORDER"}}
    assert "Item" not in inventory_stack.dynamodb.get_item(TableName=inventory_stack.catalog, Key=key)
    assert reservations.reservation("res_slow") is None


def test_failing_order_condition_reserves_nothing(
    stocked: Callable[..., Reply], inventory_stack: SimpleNamespace
) -> None:
    # GIVEN an order id that already exists
    _reserve(inventory_stack, 1, "res_1", "ord_dup")
    # WHEN another reservation is made with the same order
    with pytest.raises(ClientError):
        _reserve(inventory_stack, 2, "res_2", "ord_dup")
    # THEN the stock holds only the first reservation
    assert _levels(stocked)["kyiv-dc"] == (10, 1, 9)


def test_release_and_commit_run_once(stocked: Callable[..., Reply], inventory_stack: SimpleNamespace) -> None:
    from inventory import wiring

    reservations = wiring.container.reservations()
    _reserve(inventory_stack, 3, "res_1", "ord_1")
    _reserve(inventory_stack, 2, "res_2", "ord_2")
    # WHEN one is released twice and the other committed twice
    assert reservations.release_reservation("res_1") is True
    assert reservations.release_reservation("res_1") is False
    assert reservations.commit_reservation("res_2") is True
    assert reservations.commit_reservation("res_2") is False
    # THEN 3 went back, 2 left the building; a released reservation cannot be committed
    assert _levels(stocked)["kyiv-dc"] == (8, 0, 8)
    assert reservations.commit_reservation("res_1") is False


def test_sweeper_expires_overdue_reservations_and_the_stream_announces_it(
    stocked: Callable[..., Reply],
    inventory_stack: SimpleNamespace,
    stream: InventoryStream,
    lambda_context: Any,
    event_log: Callable[[], list[dict[str, Any]]],
    functions: Any,
) -> None:
    from inventory import wiring

    _reserve(inventory_stack, 4, "res_old", "ord_old", ttl_minutes=1)
    _reserve(inventory_stack, 1, "res_new", "ord_new", ttl_minutes=30)
    # GIVEN the clock two minutes later
    from inventory.adapters.reservations import Reservations
    from shop_kernel.clock import FixedClock

    sweeper = Reservations(
        wiring.container.store(), FixedClock(wiring.container.clock().now() + timedelta(minutes=2))
    )
    # WHEN the sweeper runs twice
    assert sweeper.sweep_expired() == 1
    assert sweeper.sweep_expired() == 0
    # THEN only the overdue one gave its 4 back
    assert _levels(stocked)["kyiv-dc"] == (10, 1, 9)
    # AND the stream consumer publishes ReservationExpired once, also when the batch is replayed
    batch = stream.batch()
    assert functions.invoke("inventory-events", batch, lambda_context) == {"batchItemFailures": []}
    assert functions.invoke("inventory-events", batch, lambda_context) == {"batchItemFailures": []}
    published = [e for e in event_log() if e["detail-type"] == "ReservationExpired"]
    assert {e["detail"]["data"]["reservation_id"] for e in published} == {"res_old"}
    assert len({e["detail"]["metadata"]["eventId"] for e in published}) == 1


def test_ttl_deletion_releases_stock_once(
    stocked: Callable[..., Reply],
    inventory_stack: SimpleNamespace,
    stream: InventoryStream,
    lambda_context: Any,
    event_log: Callable[[], list[dict[str, Any]]],
    functions: Any,
) -> None:
    _reserve(inventory_stack, 5, "res_ttl", "ord_ttl")
    # GIVEN DynamoDB's TTL deleted the still-active reservation (moto does not run TTL: the record is
    # the sample of a TTL REMOVE with this reservation's image)
    item = inventory_stack.dynamodb.get_item(
        TableName=inventory_stack.table, Key={"pk": {"S": "RES#res_ttl"}, "sk": {"S": "RESERVATION"}}
    )["Item"]
    inventory_stack.dynamodb.delete_item(
        TableName=inventory_stack.table, Key={"pk": {"S": "RES#res_ttl"}, "sk": {"S": "RESERVATION"}}
    )
    stream.batch()  # the records so far (insert, our delete) are not what this test is about
    record = json.loads((EVENTS / "stream_ttl_remove.json").read_text())
    record["Records"][0]["dynamodb"]["OldImage"] = item
    record["Records"][0]["dynamodb"]["Keys"] = {"pk": item["pk"], "sk": item["sk"]}
    # WHEN the consumer gets it twice (a replay)
    assert functions.invoke("inventory-events", copy.deepcopy(record), lambda_context) == {
        "batchItemFailures": []
    }
    assert functions.invoke("inventory-events", copy.deepcopy(record), lambda_context) == {
        "batchItemFailures": []
    }
    # THEN the 5 units are back once, and the tombstone announces the expiry once
    assert _levels(stocked)["kyiv-dc"] == (10, 0, 10)
    assert functions.invoke("inventory-events", stream.batch(), lambda_context) == {"batchItemFailures": []}
    published = [e for e in event_log() if e["detail-type"] == "ReservationExpired"]
    assert [e["detail"]["data"]["order_id"] for e in published] == ["ord_ttl"]


def test_a_user_delete_is_not_an_expiry(
    stocked: Callable[..., Reply], inventory_stack: SimpleNamespace, lambda_context: Any, functions: Any
) -> None:
    _reserve(inventory_stack, 2, "res_x", "ord_x")
    item = inventory_stack.dynamodb.get_item(
        TableName=inventory_stack.table, Key={"pk": {"S": "RES#res_x"}, "sk": {"S": "RESERVATION"}}
    )["Item"]
    record = json.loads((EVENTS / "stream_ttl_remove.json").read_text())
    record["Records"][0]["dynamodb"]["OldImage"] = item
    record["Records"][0].pop("userIdentity")
    # WHEN a REMOVE without the TTL principal arrives THEN nothing is released
    assert functions.invoke("inventory-events", record, lambda_context) == {"batchItemFailures": []}
    assert _levels(stocked)["kyiv-dc"] == (10, 2, 8)


def test_scheduled_sweeper_handler_expires_overdue_reservations(
    stocked: Callable[..., Reply],
    inventory_stack: SimpleNamespace,
    lambda_context: Any,
    functions: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import json
    from pathlib import Path

    from inventory import wiring
    from shop_kernel.clock import FixedClock

    # GIVEN an overdue and a fresh reservation, and the sweeper's clock two minutes on
    _reserve(inventory_stack, 4, "res_late", "ord_late", ttl_minutes=1)
    _reserve(inventory_stack, 1, "res_fresh", "ord_fresh", ttl_minutes=30)
    later = FixedClock(wiring.container.clock().now() + timedelta(minutes=2))
    # The function builds the rest (its store: its environment, its grants) around that clock.
    monkeypatch.setattr(wiring, "container", wiring.InventoryContainer(clock=later))
    # WHEN the schedule fires with the event EventBridge sends
    event = json.loads((Path(__file__).parents[2] / "events/inventory/scheduled_event.json").read_text())
    result = functions.invoke("inventory-sweeper", event, lambda_context)
    # THEN only the overdue reservation is expired and its stock is available again
    assert result == {"expired": 1}
    assert _levels(stocked)["kyiv-dc"] == (10, 1, 9)


def test_the_sweeper_never_expires_a_hold_a_late_payment_just_extended(
    stocked: Callable[..., Reply], inventory_stack: SimpleNamespace
) -> None:
    from inventory import wiring
    from inventory.adapters.records import extend_reservation_item
    from inventory.adapters.reservations import Reservations
    from shop_kernel.clock import FixedClock

    # GIVEN a hold of 4 past its expiry, listed by the sweeper two minutes later
    _reserve(inventory_stack, 4, "res_paid", "ord_paid", ttl_minutes=1)
    later = wiring.container.clock().now() + timedelta(minutes=2)
    sweeper = Reservations(wiring.container.store(), FixedClock(later))
    extended_until = int((later + timedelta(days=7)).timestamp())
    extend = extend_reservation_item("res_paid", extended_until, table_name=inventory_stack.table)
    hooks = wiring.container.store()._client.meta.events
    fired: list[bool] = []

    def payment_lands_first(**_: Any) -> None:
        # The card webhook extends the hold between the sweeper's read and its transaction.
        if not fired:
            fired.append(True)
            inventory_stack.dynamodb.transact_write_items(TransactItems=[extend])

    hooks.register("before-call.dynamodb.TransactWriteItems", payment_lands_first)
    try:
        # WHEN the sweeper expires it
        expired = sweeper.sweep_expired()
    finally:
        hooks.unregister("before-call.dynamodb.TransactWriteItems", payment_lands_first)
    # THEN the paid hold is kept: still active, its units still reserved
    assert fired == [True]
    assert expired == 0
    held = sweeper.reservation("res_paid")
    assert held is not None
    assert (held.status.value, held.expires_at) == ("active", extended_until)
    assert _levels(stocked)["kyiv-dc"] == (10, 4, 6)
    # AND expiring it by id before its new expiry is refused too
    assert sweeper.expire_reservation("res_paid") is False
