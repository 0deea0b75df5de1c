"""The inventory stream announces stock levels: StockLevelChanged, with where the stock can reach a shopper."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from tests.support import Reply, TableStream


class StockStream(TableStream):
    """The inventory table's stream as the events function's trigger delivers it (reservations and stock)."""

    def __init__(self, stack: SimpleNamespace) -> None:
        from infra.resources import function

        trigger = function("inventory-events").stream
        assert trigger is not None
        super().__init__(stack.dynamodb, stack.table, trigger.item_types)


def _drain(event_log: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while batch := event_log():
        found += batch
    return [e for e in found if e["detail-type"] == "StockLevelChanged"]


def test_every_change_of_available_stock_is_announced_with_its_place_and_level(
    locations: Callable[..., Reply],
    inventory_stack: SimpleNamespace,
    lambda_context: Any,
    event_log: Callable[[], list[dict[str, Any]]],
    functions: Any,
) -> None:
    stream = StockStream(inventory_stack)
    # GIVEN stock set at a warehouse and at a pickup store, then the warehouse's adjusted down to 3
    for location_id, on_hand in (("kyiv-dc", 10), ("podil", 1)):
        assert (
            locations(
                "PUT", f"/admin/inventory/stock/LAP-0001-BLK/{location_id}", {"on_hand": on_hand}
            ).status
            == 201
        )
    adjusted = locations(
        "POST",
        "/admin/inventory/stock/LAP-0001-BLK/kyiv-dc/adjustments",
        {"delta": -7, "reason": "damaged"},
    )
    assert adjusted.status == 200, adjusted.body
    # WHEN the stream is delivered to the events function (and delivered again: a replay)
    batch = stream.batch()
    calls = functions.guard("inventory-events").calls
    assert functions.invoke("inventory-events", batch, lambda_context) == {"batchItemFailures": []}
    # (the batch's three levels cost one read of the locations and one PutEvents call)
    assert calls == [
        ("dynamodb", "GetItem"),
        ("events", "PutEvents"),
    ]
    assert functions.invoke("inventory-events", batch, lambda_context) == {"batchItemFailures": []}
    # THEN each change was announced once (a replay publishes the same event ids)
    published = _drain(event_log)
    by_id = {e["detail"]["metadata"]["eventId"]: e["detail"]["data"] for e in published}
    changes = sorted(by_id.values(), key=lambda d: int(d["sequence"]))
    assert [(d["location_id"], d["available"], d["level"]) for d in changes] == [
        ("kyiv-dc", 10, "in_stock"),
        ("podil", 1, "low_stock"),
        ("kyiv-dc", 3, "low_stock"),
    ]
    # AND each names where the stock can reach a shopper, without anyone reading inventory's table
    warehouse, store = changes[0], changes[1]
    assert (warehouse["location_kind"], warehouse["country"], warehouse["pickup"]) == (
        "warehouse",
        "UA",
        False,
    )
    assert (store["location_kind"], store["country"], store["pickup"]) == ("store", "UA", True)
    assert warehouse["threshold"] == 5
    # AND the sequence orders the two changes of the same stock item
    assert int(changes[2]["sequence"]) > int(changes[0]["sequence"])


def test_a_write_that_leaves_available_unchanged_announces_nothing(
    locations: Callable[..., Reply],
    inventory_stack: SimpleNamespace,
    lambda_context: Any,
    event_log: Callable[[], list[dict[str, Any]]],
    functions: Any,
) -> None:
    stream = StockStream(inventory_stack)
    # GIVEN stock set to 4, then set again to 4 (same available)
    first = locations("PUT", "/admin/inventory/stock/LAP-0001-BLK/lviv-dc", {"on_hand": 4})
    assert first.status == 201, first.body
    again = locations(
        "PUT", "/admin/inventory/stock/LAP-0001-BLK/lviv-dc", {"on_hand": 4}, headers={"If-Match": first.etag}
    )
    assert again.status == 200, again.body
    # WHEN the stream is delivered
    assert functions.invoke("inventory-events", stream.batch(), lambda_context) == {"batchItemFailures": []}
    # THEN only the first write is announced
    assert [d["detail"]["data"]["available"] for d in _drain(event_log)] == [4]
