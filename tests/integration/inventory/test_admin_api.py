"""Ops administration of locations and stock through the API handler, on moto."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.integration.inventory.conftest import LOCATIONS, Reply

SKU = "LAP-0001-BLK"


def test_location_is_created_read_and_replaced_with_if_match(call: Callable[..., Reply]) -> None:
    # GIVEN a new store
    created = call("PUT", "/admin/inventory/locations/podil", LOCATIONS["podil"])
    assert created.status == 201, created.body
    assert created.etag == '"1"'
    # WHEN it is replaced with its ETag, then with the stale one
    changed = {**LOCATIONS["podil"], "handling_minutes": 45}
    replaced = call("PUT", "/admin/inventory/locations/podil", changed, headers={"If-Match": created.etag})
    stale = call("PUT", "/admin/inventory/locations/podil", changed, headers={"If-Match": created.etag})
    # THEN the first succeeds (version 2) and the second is a 412; without If-Match a 428
    assert replaced.status == 200
    assert replaced.body["version"] == 2
    assert stale.status == 412
    assert call("PUT", "/admin/inventory/locations/podil", changed).status == 428
    assert call("GET", "/admin/inventory/locations/podil").body["handling_minutes"] == 45
    assert [loc["id"] for loc in call("GET", "/admin/inventory/locations").body["items"]] == ["podil"]


def test_set_stock_creates_then_needs_if_match(locations: Callable[..., Reply]) -> None:
    # GIVEN a new stock level
    created = locations("PUT", f"/admin/inventory/stock/{SKU}/kyiv-dc", {"on_hand": 7})
    assert created.status == 201, created.body
    assert created.body | {"updated_at": None} == {
        "sku": SKU,
        "location_id": "kyiv-dc",
        "on_hand": 7,
        "reserved": 0,
        "available": 7,
        "version": 1,
        "updated_at": None,
    }
    # WHEN set again with and without the ETag, and with a stale one
    missing = locations("PUT", f"/admin/inventory/stock/{SKU}/kyiv-dc", {"on_hand": 9})
    updated = locations(
        "PUT", f"/admin/inventory/stock/{SKU}/kyiv-dc", {"on_hand": 9}, headers={"If-Match": created.etag}
    )
    stale = locations(
        "PUT", f"/admin/inventory/stock/{SKU}/kyiv-dc", {"on_hand": 3}, headers={"If-Match": created.etag}
    )
    # THEN 428, 200 (version 2), 412; the level is 9
    assert missing.status == 428
    assert updated.status == 200
    assert updated.body["version"] == 2
    assert stale.status == 412
    assert locations("GET", f"/admin/inventory/stock/{SKU}").body["levels"][0]["on_hand"] == 9


def test_adjustments_move_on_hand_and_available_and_keep_a_movement(
    stocked: Callable[..., Reply], inventory_stack: Any
) -> None:
    # GIVEN 10 at kyiv-dc; WHEN 5 are received and 3 damaged
    received = stocked(
        "POST", f"/admin/inventory/stock/{SKU}/kyiv-dc/adjustments", {"delta": 5, "reason": "received"}
    )
    damaged = stocked(
        "POST",
        f"/admin/inventory/stock/{SKU}/kyiv-dc/adjustments",
        {"delta": -3, "reason": "damaged", "note": "forklift"},
    )
    # THEN 12 on hand and available, version bumped each time, movements recorded
    assert received.status == 200, received.body
    assert (damaged.body["on_hand"], damaged.body["available"], damaged.body["version"]) == (12, 12, 3)
    movements = inventory_stack.dynamodb.query(
        TableName=inventory_stack.table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :m)",
        ExpressionAttributeValues={":pk": {"S": f"SKU#{SKU}"}, ":m": {"S": "MOVE#"}},
    )["Items"]
    assert sorted(int(m.get("delta", {"N": "0"})["N"]) for m in movements if "delta" in m) == [-3, 5]


def test_adjust_creates_a_level_for_received_goods(locations: Callable[..., Reply]) -> None:
    reply = locations(
        "POST", f"/admin/inventory/stock/{SKU}/lviv-dc/adjustments", {"delta": 4, "reason": "received"}
    )
    assert reply.status == 200, reply.body
    assert (reply.body["on_hand"], reply.body["reserved"], reply.body["available"]) == (4, 0, 4)


def test_bulk_reports_each_row(stocked: Callable[..., Reply]) -> None:
    # GIVEN a set on a new level, an adjustment, a bad row, an unknown location and an over-take
    rows: list[dict[str, Any]] = [
        {"sku": "LAP-0001-SLV", "location_id": "kyiv-dc", "on_hand": 3},
        {"sku": SKU, "location_id": "kyiv-dc", "delta": 2, "reason": "received"},
        {"sku": SKU, "location_id": "kyiv-dc", "delta": 1.5, "reason": "received"},
        {"sku": SKU, "location_id": "nowhere", "on_hand": 1},
        {"sku": SKU, "location_id": "podil", "delta": -5, "reason": "lost"},
    ]
    # WHEN sent in one request
    reply = stocked("POST", "/admin/inventory/stock/bulk", {"rows": rows})
    # THEN two applied, three failed with their status and fields
    assert reply.status == 200, reply.body
    outcomes = [(r["outcome"], r.get("status")) for r in reply.body["rows"]]
    assert outcomes == [("set", None), ("adjusted", None), ("failed", 422), ("failed", 404), ("failed", 409)]
    assert reply.body["rows"][2]["errors"][0]["field"] == "rows.2.delta"
    assert reply.body["rows"][3]["errors"][0]["field"] == "path.location_id"
    assert reply.body["rows"][4]["errors"][0]["field"] == "body.delta"
    assert (reply.body["applied"], reply.body["failed"]) == (2, 3)


def test_bulk_reports_a_row_whose_ids_are_not_text_without_echoing_them(
    stocked: Callable[..., Reply],
) -> None:
    # GIVEN a row whose sku is a number and whose location is an object
    rows: list[dict[str, Any]] = [{"sku": 7, "location_id": {"id": "kyiv-dc"}, "on_hand": 1}]
    # WHEN sent in a bulk request
    reply = stocked("POST", "/admin/inventory/stock/bulk", {"rows": rows})
    # THEN the row fails with 422 naming both fields, and the report (checked against the document) says null
    assert reply.status == 200, reply.body
    row = reply.body["rows"][0]
    assert (row["outcome"], row["status"], row["sku"], row["location_id"]) == ("failed", 422, None, None)
    assert {"rows.0.sku", "rows.0.location_id"} <= {e["field"] for e in row["errors"]}
