"""The demo network ``make run`` seeds: locations the ops API accepts, and opening stock in five
deterministic classes, written once (a second run changes nothing and never undoes a sale)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from infra.local import seed_network
from inventory.domain.stock import AdjustmentReason
from tests.support import Reply

PRODUCTS = 40
TODAY = date(2026, 12, 2)


def _seed_locations(call: Callable[..., Reply]) -> None:
    for location_id, body in seed_network.locations(TODAY).items():
        reply = call("PUT", f"/admin/inventory/locations/{location_id}", body)
        assert reply.status == 201, reply.body


def test_the_network_has_two_warehouses_and_three_pickup_stores_in_two_time_zones(
    call: Callable[..., Reply],
) -> None:
    # WHEN the demo locations are sent through the ops API
    _seed_locations(call)
    listed = call("GET", "/admin/inventory/locations").body["items"]
    # THEN the warehouses differ in carrier cut-off and priority, the stores are pickup points with
    # hours and the coming public holidays closed, in two time zones
    warehouses = [loc for loc in listed if loc["kind"] == "warehouse"]
    stores = [loc for loc in listed if loc["kind"] == "store"]
    assert len(warehouses) == 2
    assert len({(w["carrier_cutoff"], w["priority"]) for w in warehouses}) == 2
    assert len(stores) == 3
    assert all(s["pickup"] and s["opening_hours"] and s["closed_dates"] for s in stores)
    offsets = {ZoneInfo(s["timezone"]).utcoffset(datetime(2026, 12, 2, 12)) for s in stores}
    assert len(offsets) == 2
    assert "2026-12-25" in stores[0]["closed_dates"]
    assert all(d >= TODAY.isoformat() for s in stores for d in s["closed_dates"])


def test_every_demo_sku_gets_stock_of_its_class_once(
    call: Callable[..., Reply], inventory_stack: SimpleNamespace
) -> None:
    from inventory.adapters.dynamo import InventoryStore

    # GIVEN the network
    _seed_locations(call)
    store = InventoryStore(inventory_stack.dynamodb, inventory_stack.table)
    skus = list(seed_network.demo_skus(PRODUCTS))
    gift_cards = seed_network.gift_card_stock()
    # WHEN opening stock is seeded, five damaged units are written off, and the seed runs again
    first = seed_network.seed_stock(store, PRODUCTS)
    in_stock = seed_network.examples(PRODUCTS)["in_stock"][0]
    store.adjust_stock(in_stock, "kyiv-dc", -5, AdjustmentReason.DAMAGED, None, "tests", datetime.now(UTC))
    second = seed_network.seed_stock(store, PRODUCTS)
    # THEN every SKU has the levels of its class, every class occurs, and the second run wrote nothing
    expected_levels = sum(len(seed_network.stock_levels(sku)) for sku in skus) + len(gift_cards)
    expected_skus = len(skus) + len(gift_cards)
    assert first == {
        "skus": expected_skus,
        "levels": expected_levels,
        "created": expected_levels,
        "existing": 0,
    }
    assert second["created"] == 0
    assert second["existing"] == expected_levels
    assert set(Counter(seed_network.stock_class(s) for s in skus)) == set(seed_network.STOCK_CLASSES)
    for sku in (s for s in skus[:12] if s != in_stock):
        levels = {level.location_id: level.on_hand for level in store.stock_for_sku(sku)}
        assert levels == dict(seed_network.stock_levels(sku))
    sold = store.stock_level(in_stock, "kyiv-dc")
    assert sold is not None
    assert sold.on_hand == dict(seed_network.stock_levels(in_stock))["kyiv-dc"] - 5


def test_the_classes_show_in_availability(
    call: Callable[..., Reply], inventory_stack: SimpleNamespace
) -> None:
    from inventory.adapters.dynamo import InventoryStore

    # GIVEN the seeded network
    _seed_locations(call)
    seed_network.seed_stock(InventoryStore(inventory_stack.dynamodb, inventory_stack.table), PRODUCTS)
    examples = seed_network.examples(PRODUCTS)

    def available(sku: str) -> dict[str, int]:
        body = call("GET", f"/inventory/availability/{sku}").body
        return {loc["location_id"]: loc["available"] for loc in body["locations"] if loc["available"]}

    # WHEN availability is asked for one SKU of each class
    # THEN sold out is nothing anywhere, low is two at one warehouse, one-store is a store only, and
    # split needs both warehouses for more than three
    assert available(examples["sold_out"][0]) == {}
    assert available(examples["low"][0]) == {"kyiv-dc": 2}
    only = available(examples["one_store"][0])
    assert len(only) == 1
    assert next(iter(only)) in seed_network.STORES
    assert available(examples["split"][0]) == {"kyiv-dc": 3, "warsaw-dc": 3}
    assert set(available(examples["in_stock"][0])) >= {"kyiv-dc", "warsaw-dc"}


def test_stock_classes_do_not_change_between_runs() -> None:
    # GIVEN / WHEN the classes are computed twice  THEN they are equal, and known SKUs keep theirs
    assert seed_network.examples(240) == seed_network.examples(240)
    assert seed_network.stock_class("COF-0019-SILVER") == "sold_out"
    assert seed_network.stock_class("ULB-0001-SILVER") == "in_stock"
