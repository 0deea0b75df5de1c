"""The stock-holds reconciler on moto: each kind of drift between stock counters and active
reservations planted in the table, found by one scheduled run through the handler, counters recounted
where safe and the rest flagged; ``StockHoldDriftFound`` on the bus; a second run finds only what was
left for ops."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from inventory.domain.allocation import Fulfilment, ReservationLine
from tests.integration.inventory.conftest import Reply

SKU = "LAP-0001-BLK"
EVENTS = Path(__file__).parents[2] / "events" / "inventory"


@pytest.fixture
def reconcile(
    inventory_stack: SimpleNamespace, lambda_context: Any, functions: Any
) -> Callable[..., dict[str, Any]]:
    """The inventory-reconciler run as its function (its spec's environment and grants), on a
    real-shaped schedule event; ``settle_minutes`` is set as an operator would set it."""
    event = json.loads((EVENTS / "scheduled_event.json").read_text())
    event["resources"] = [event["resources"][0].replace("inventory-sweeper", "inventory-reconciler")]

    def _run(settle_minutes: int = 0) -> dict[str, Any]:
        functions.override("inventory-reconciler", RECONCILE_SETTLE_MINUTES=str(settle_minutes))
        return functions.invoke("inventory-reconciler", event, lambda_context)  # type: ignore[no-any-return]

    return _run


def _reserve(quantity: int, reservation_id: str) -> None:
    from inventory import wiring

    plan = wiring.container.reservations().plan_reservation(
        [ReservationLine(sku=SKU, quantity=quantity)], Fulfilment(mode="delivery")
    )
    items = wiring.container.reservations().reservation_transact_items(
        plan, reservation_id, f"ord_{reservation_id}", timedelta(minutes=45)
    )
    wiring.container.dynamodb_client().transact_write_items(TransactItems=items)


def _levels(call: Callable[..., Reply]) -> dict[str, tuple[int, int, int]]:
    body = call("GET", f"/admin/inventory/stock/{SKU}").body
    return {lv["location_id"]: (lv["on_hand"], lv["reserved"], lv["available"]) for lv in body["levels"]}


def _update(stack: SimpleNamespace, pk: str, sk: str, expression: str, values: dict[str, Any]) -> None:
    """A write behind the ledger's back: what a lost release, a bad script or a bug leaves behind."""
    names = {"#status": "status"} if "#status" in expression else {}
    stack.dynamodb.update_item(
        TableName=stack.table,
        Key={"pk": {"S": pk}, "sk": {"S": sk}},
        UpdateExpression=expression,
        ExpressionAttributeValues=values,
        **({"ExpressionAttributeNames": names} if names else {}),
    )


def _ghost_hold(
    stack: SimpleNamespace, reservation_id: str, sku: str, location_id: str, expires_at: int
) -> None:
    """An active reservation no counter knows of."""
    stack.dynamodb.put_item(
        TableName=stack.table,
        Item={
            "pk": {"S": f"RES#{reservation_id}"},
            "sk": {"S": "RESERVATION"},
            "type": {"S": "reservation"},
            "reservation_id": {"S": reservation_id},
            "order_id": {"S": f"ord_{reservation_id}"},
            "status": {"S": "active"},
            "lines": {
                "L": [{"M": {"sku": {"S": sku}, "location_id": {"S": location_id}, "quantity": {"N": "1"}}}]
            },
            "created_at": {"S": "2026-12-01T00:00:00.000Z"},
            "expires_at": {"N": str(expires_at)},
        },
    )


def test_each_planted_hold_drift_is_found_and_counters_recounted_where_safe(
    stocked: Callable[..., Reply], inventory_stack: SimpleNamespace, reconcile: Callable[..., dict[str, Any]]
) -> None:
    import time

    stack = inventory_stack
    # GIVEN 10 at kyiv-dc with two reservations (3 + 2), then the release of the second lost: the
    # reservation says released, the counter still holds its 2 (reserved_mismatch)
    _reserve(3, "res_a")
    _reserve(2, "res_b")
    _update(stack, "RES#res_b", "RESERVATION", "SET #status = :released", {":released": {"S": "released"}})
    # AND lviv-dc's available off by one (available_mismatch)
    _update(stack, f"SKU#{SKU}", "LOC#lviv-dc", "SET available = available - :one", {":one": {"N": "1"}})
    # AND at podil (1 on hand) a hold nobody counted, on top of the counted one (oversold)
    _update(
        stack,
        f"SKU#{SKU}",
        "LOC#podil",
        "SET reserved = :one, available = :zero",
        {":one": {"N": "1"}, ":zero": {"N": "0"}},
    )
    later = int(time.time()) + 3600
    _ghost_hold(stack, "res_p1", SKU, "podil", later)
    _ghost_hold(stack, "res_p2", SKU, "podil", later)
    # AND a hold an hour past its expiry the sweeper never reached, on a level that does not exist
    _ghost_hold(stack, "res_old", "PHN-0003-BLK", "kyiv-dc", int(time.time()) - 3600)
    assert _levels(stocked) == {"kyiv-dc": (10, 5, 5), "lviv-dc": (4, 0, 3), "podil": (1, 1, 0)}

    # WHEN the scheduled reconciler runs (levels count as quiet at once: settle 0)
    first = reconcile(settle_minutes=0)

    # THEN every kind was found; the two counters were recounted from the reservations, the rest flagged
    assert first["found"] == {
        "reserved_mismatch": 1,
        "available_mismatch": 1,
        "oversold": 1,
        "overdue_hold": 1,
        "hold_without_stock": 1,
    }
    assert first["repaired"] == {"reserved_mismatch": 1, "available_mismatch": 1}
    assert (first["levels_checked"], first["holds_checked"], first["flagged"]) == (3, 4, 3)
    assert _levels(stocked) == {"kyiv-dc": (10, 3, 7), "lviv-dc": (4, 0, 4), "podil": (1, 1, 0)}

    # WHEN it runs again THEN only what was left for ops is found, nothing more is repaired
    second = reconcile(settle_minutes=0)
    assert second["found"] == {"oversold": 1, "overdue_hold": 1, "hold_without_stock": 1}
    assert second["repaired"] == {}


def test_a_counter_changed_lately_is_reported_but_not_recounted(
    stocked: Callable[..., Reply],
    inventory_stack: SimpleNamespace,
    reconcile: Callable[..., dict[str, Any]],
    event_log: Callable[[], list[dict[str, Any]]],
) -> None:
    # GIVEN a lost release at kyiv-dc a moment ago (the stream might still be releasing)
    _reserve(2, "res_a")
    _update(
        inventory_stack,
        "RES#res_a",
        "RESERVATION",
        "SET #status = :released",
        {":released": {"S": "released"}},
    )
    # WHEN the reconciler runs with its default settle time (15 minutes)
    summary = reconcile(settle_minutes=15)
    # THEN it is reported and flagged, the counter left alone
    assert (summary["found"], summary["repaired"], summary["flagged"]) == ({"reserved_mismatch": 1}, {}, 1)
    assert _levels(stocked)["kyiv-dc"] == (10, 2, 8)
    # AND StockHoldDriftFound names the level and what it should hold
    (event,) = [e for e in event_log() if e["detail-type"] == "StockHoldDriftFound"]
    (drift,) = event["detail"]["data"]["drifts"]
    assert (drift["sku"], drift["location_id"], drift["reserved"], drift["held"], drift["repaired"]) == (
        SKU,
        "kyiv-dc",
        2,
        0,
        False,
    )
