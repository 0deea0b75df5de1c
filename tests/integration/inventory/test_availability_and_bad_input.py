"""Public availability per SKU, and every bad input on the inventory routes: the right 4xx, nothing changed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.integration.inventory.conftest import Reply

SKU = "LAP-0001-BLK"
PROBLEM = "application/problem+json"


@pytest.fixture
def monday_morning(inventory_stack: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Monday 2 March 2026, 10:00 in Kyiv (08:00 UTC), on every inventory function's clock."""
    from inventory import wiring
    from shop_kernel.clock import FixedClock

    monday = FixedClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    monkeypatch.setattr(wiring, "container", wiring.InventoryContainer(clock=monday))


def test_availability_per_location_with_pickup_dates(
    stocked: Callable[..., Reply], monday_morning: None
) -> None:
    # GIVEN 10 at kyiv-dc, 4 at lviv-dc, 1 at the Podil store, none in Warsaw
    # WHEN a shopper asks in Ukrainian
    reply = stocked("GET", f"/inventory/availability/{SKU}", groups=None, headers={"Accept-Language": "uk"})
    # THEN every location with its quantity; the Podil store today, Warsaw by transfer
    assert reply.status == 200, reply.body
    assert reply.headers["Content-Language"] == "uk"
    by_id = {entry["location_id"]: entry for entry in reply.body["locations"]}
    assert reply.body["total_available"] == 15
    assert by_id["podil"]["name"] == "Магазин на Подолі"
    assert by_id["podil"]["pickup"] == {
        "available": True,
        "ready_at": "2026-03-02T08:30:00.000Z",
        "date": "2026-03-02",
        "source": "in_store",
        "from_location_id": "podil",
    }
    # Warsaw (default 48 h from any warehouse): lviv-dc's 14:00 Kyiv cut-off (12:00 UTC) beats kyiv-dc's
    # 15:00; it arrives Wednesday 12:00 UTC = 13:00 Warsaw, ready 13:30 Warsaw
    assert by_id["warsaw"]["pickup"]["ready_at"] == "2026-03-04T12:30:00.000Z"
    assert by_id["warsaw"]["pickup"]["source"] == "transfer"
    assert by_id["warsaw"]["pickup"]["from_location_id"] == "lviv-dc"
    assert "pickup" not in by_id["kyiv-dc"]


def test_availability_filters_by_country_and_location(
    stocked: Callable[..., Reply], monday_morning: None
) -> None:
    poland = stocked("GET", f"/inventory/availability/{SKU}", groups=None, query={"country": "PL"})
    # THEN only Warsaw, whose pickup still counts on Ukrainian warehouses
    assert [e["location_id"] for e in poland.body["locations"]] == ["warsaw"]
    assert poland.body["locations"][0]["pickup"]["available"] is True
    one = stocked("GET", f"/inventory/availability/{SKU}", groups=None, query={"location": "lviv-dc"})
    assert [(e["location_id"], e["available"]) for e in one.body["locations"]] == [("lviv-dc", 4)]


def test_a_known_sku_without_stock_is_not_available(
    locations: Callable[..., Reply], monday_morning: None
) -> None:
    reply = locations("GET", "/inventory/availability/PHN-0003-BLK", groups=None)
    assert reply.status == 200
    assert reply.body["total_available"] == 0
    assert {e["location_id"]: e.get("pickup") for e in reply.body["locations"]}["podil"] == {
        "available": False
    }


def _problem(reply: Reply, status: int, field: str | None = None) -> None:
    assert reply.status == status, reply.body
    assert reply.headers["Content-Type"] == PROBLEM
    if field is not None:
        assert field in [e["field"] for e in reply.body.get("errors", [])], reply.body


BAD_REQUESTS: list[tuple[str, str, Any, dict[str, Any], int, str | None]] = [
    ("GET", "/inventory/availability/NO-SUCH-SKU", None, {"groups": None}, 404, "path.sku"),
    (
        "GET",
        f"/inventory/availability/{SKU}",
        None,
        {"groups": None, "query": {"location": "nowhere"}},
        404,
        "query.location",
    ),
    (
        "GET",
        f"/inventory/availability/{SKU}",
        None,
        {"groups": None, "query": {"country": "ukraine"}},
        422,
        "query.country",
    ),
    ("GET", "/admin/inventory/stock/NO-SUCH-SKU", None, {}, 404, "path.sku"),
    ("GET", "/admin/inventory/locations/nowhere", None, {}, 404, "path.location_id"),
    ("PUT", f"/admin/inventory/stock/{SKU}/nowhere", {"on_hand": 1}, {}, 404, "path.location_id"),
    ("PUT", "/admin/inventory/stock/NO-SUCH-SKU/kyiv-dc", {"on_hand": 1}, {}, 404, "path.sku"),
    (
        "PUT",
        f"/admin/inventory/stock/{SKU}/kyiv-dc",
        {"on_hand": -1},
        {"headers": {"If-Match": '"1"'}},
        422,
        "body.on_hand",
    ),
    (
        "PUT",
        f"/admin/inventory/stock/{SKU}/kyiv-dc",
        {"on_hand": 2.5},
        {"headers": {"If-Match": '"1"'}},
        422,
        "body.on_hand",
    ),
    (
        "PUT",
        f"/admin/inventory/stock/{SKU}/kyiv-dc",
        {"on_hand": "7"},
        {"headers": {"If-Match": '"1"'}},
        422,
        "body.on_hand",
    ),
    (
        "PUT",
        f"/admin/inventory/stock/{SKU}/kyiv-dc",
        {"on_hand": 5_000_000},
        {"headers": {"If-Match": '"1"'}},
        422,
        "body.on_hand",
    ),
    (
        "PUT",
        f"/admin/inventory/stock/{SKU}/kyiv-dc",
        {"on_hand": 5},
        {"headers": {"If-Match": '"9"'}},
        412,
        None,
    ),
    (
        "PUT",
        f"/admin/inventory/stock/{SKU}/kyiv-dc",
        {"on_hand": 5},
        {"headers": {"If-Match": "soon"}},
        422,
        "header.if-match",
    ),
    ("PUT", f"/admin/inventory/stock/{SKU}/kyiv-dc", {"on_hand": 5}, {}, 428, None),
    (
        "POST",
        f"/admin/inventory/stock/{SKU}/kyiv-dc/adjustments",
        {"delta": 0, "reason": "lost"},
        {},
        422,
        "body.delta",
    ),
    (
        "POST",
        f"/admin/inventory/stock/{SKU}/kyiv-dc/adjustments",
        {"delta": 1.5, "reason": "lost"},
        {},
        422,
        "body.delta",
    ),
    (
        "POST",
        f"/admin/inventory/stock/{SKU}/kyiv-dc/adjustments",
        {"delta": -1, "reason": "stolen?"},
        {},
        422,
        "body.reason",
    ),
    (
        "POST",
        f"/admin/inventory/stock/{SKU}/kyiv-dc/adjustments",
        {"delta": -11, "reason": "lost"},
        {},
        409,
        "body.delta",
    ),
    (
        "POST",
        f"/admin/inventory/stock/{SKU}/kyiv-dc/adjustments",
        {"delta": 3, "reason": "received", "price": 1},
        {},
        422,
        "body.price",
    ),
    ("POST", "/admin/inventory/stock/bulk", {"rows": []}, {}, 422, "body.rows"),
    ("PUT", "/admin/inventory/locations/Bad_Id", {}, {}, 422, None),
    ("GET", f"/admin/inventory/stock/{SKU}", None, {"groups": "customers"}, 403, None),
    ("PUT", f"/admin/inventory/stock/{SKU}/kyiv-dc", {"on_hand": 1}, {"groups": "merchandisers"}, 403, None),
    ("POST", "/admin/inventory/stock/bulk", {"rows": "nope"}, {"groups": None}, 401, None),
]


@pytest.mark.parametrize(("method", "path", "body", "options", "status", "field"), BAD_REQUESTS)
def test_bad_input_gets_a_problem_and_changes_nothing(
    stocked: Callable[..., Reply],
    method: str,
    path: str,
    body: Any,
    options: dict[str, Any],
    status: int,
    field: str | None,
) -> None:
    # GIVEN the stocked levels
    before = stocked("GET", f"/admin/inventory/stock/{SKU}").body
    # WHEN the bad request is sent
    reply = stocked(method, path, body, **options)
    # THEN the problem names what is wrong and the stock is unchanged
    _problem(reply, status, field)
    assert stocked("GET", f"/admin/inventory/stock/{SKU}").body == before


def test_setting_below_reserved_is_a_conflict_naming_on_hand(stocked: Callable[..., Reply]) -> None:
    # GIVEN 3 of the 10 at kyiv-dc reserved by an order
    from datetime import timedelta

    from inventory import wiring
    from inventory.domain.allocation import Fulfilment, ReservationLine

    reservations = wiring.container.reservations()
    plan = reservations.plan_reservation([ReservationLine(sku=SKU, quantity=3)], Fulfilment(mode="delivery"))
    items = reservations.reservation_transact_items(plan, "res_1", "ord_1", timedelta(minutes=15))
    wiring.container.store()._client.transact_write_items(TransactItems=items)
    level = stocked("GET", f"/admin/inventory/stock/{SKU}").body["levels"]
    version = next(lv["version"] for lv in level if lv["location_id"] == "kyiv-dc")
    # WHEN ops count 2 on hand, or take 8 out
    counted = stocked(
        "PUT", f"/admin/inventory/stock/{SKU}/kyiv-dc", {"on_hand": 2}, headers={"If-Match": f'"{version}"'}
    )
    taken = stocked(
        "POST", f"/admin/inventory/stock/{SKU}/kyiv-dc/adjustments", {"delta": -8, "reason": "lost"}
    )
    # THEN both are 409s naming the field; 7 can still be taken
    _problem(counted, 409, "body.on_hand")
    _problem(taken, 409, "body.delta")
    assert taken.body["available"] == 7
    ok = stocked("POST", f"/admin/inventory/stock/{SKU}/kyiv-dc/adjustments", {"delta": -7, "reason": "lost"})
    assert (ok.body["on_hand"], ok.body["reserved"], ok.body["available"]) == (3, 3, 0)


def test_openapi_document_lists_the_routes(call: Callable[..., Reply]) -> None:
    reply = call("GET", "/inventory/openapi.json", groups=None)
    assert reply.status == 200
    assert "/inventory/availability/{sku}" in reply.body["paths"]
    assert "/admin/inventory/stock/bulk" in reply.body["paths"]
