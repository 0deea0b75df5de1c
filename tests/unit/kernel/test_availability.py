"""One availability rule for every read model: stock per SKU per location -> what a shopper can buy."""

from __future__ import annotations

from shop_kernel.availability import (
    LocationStock,
    StockUpdate,
    buyable_contexts,
    buyable_filter,
    digital_skus,
    latest_per_level,
    level_for,
    product_availability,
    shopper_contexts,
    stock_level,
    stock_update,
)


def _stock(
    sku: str,
    location: str,
    available: int,
    *,
    kind: str = "warehouse",
    country: str = "UA",
    pickup: bool = False,
    threshold: int = 5,
) -> LocationStock:
    return LocationStock(sku, location, kind, country, pickup, available, threshold)


def test_a_level_is_sold_out_at_zero_low_below_the_threshold_and_in_stock_from_it() -> None:
    # GIVEN a threshold of 5 THEN 0 is sold out, 4 is low, 5 is in stock; a per-SKU threshold wins
    assert [stock_level(n) for n in (-1, 0, 1, 4, 5, 50)] == [
        "sold_out",
        "sold_out",
        "low_stock",
        "low_stock",
        "in_stock",
        "in_stock",
    ]
    assert stock_level(8, threshold=10) == "low_stock"


def test_a_product_is_as_available_as_its_best_variant_at_its_best_location_per_context() -> None:
    # GIVEN two variants: one low in a Ukrainian warehouse, one plenty in a Polish one, one at a pickup store
    stock = [
        _stock("A", "kyiv-dc", 2),
        _stock("B", "kyiv-dc", 0),
        _stock("B", "warsaw-dc", 40, country="PL"),
        _stock("A", "podil", 9, kind="store", pickup=True),
        _stock("A", "back-office", 99, kind="store", pickup=False),
        _stock("OTHER", "kyiv-dc", 99),
    ]
    # WHEN the product (skus A and B) is reduced
    availability = product_availability(["A", "B"], stock)
    # THEN delivery to UA is low, to PL in stock, pickup at podil in stock; a store without pickup and
    # another product's stock do not count
    assert availability == {
        "any": "in_stock",
        "country:UA": "low_stock",
        "country:PL": "in_stock",
        "store:podil": "in_stock",
    }
    assert "store:back-office" not in availability


def test_the_shopper_context_picks_the_best_of_delivery_and_pickup_and_unknown_is_sold_out() -> None:
    availability = {"country:UA": "low_stock", "store:podil": "in_stock", "country:DE": "sold_out"}
    assert level_for(availability, shopper_contexts("UA", None)) == "low_stock"
    assert level_for(availability, shopper_contexts("UA", "podil")) == "in_stock"
    assert level_for(availability, shopper_contexts("FR", None)) == "sold_out"
    assert shopper_contexts(None, None) == ["any"]
    # AND only contexts that are not sold out can be filtered on
    assert buyable_contexts(availability) == ["country:UA", "store:podil"]


def test_an_electronic_sku_makes_its_product_in_stock_in_every_context_without_levels() -> None:
    # GIVEN a product whose e-certificate SKU no location stocks, and whose shipped card is sold out
    stock = [_stock("CARD-25", "kyiv-dc", 0)]
    # WHEN it is reduced with the e-certificate as a digital SKU
    availability = product_availability(["CARD-25", "E-25"], stock, digital=["E-25"])
    # THEN it is in stock for every country, store and anywhere, and every in_stock filter matches it
    assert availability == {"any": "sold_out", "country:UA": "sold_out", "everywhere": "in_stock"}
    for country, store in (("UA", None), ("FR", None), (None, "podil"), (None, None), ("PL", "lviv")):
        contexts = shopper_contexts(country, store)
        assert level_for(availability, contexts) == "in_stock"
        assert set(buyable_contexts(availability)) & set(buyable_filter(contexts))
    # AND a digital SKU of another product changes nothing
    assert product_availability(["CARD-25"], stock, digital=["E-25"]) == {
        "any": "sold_out",
        "country:UA": "sold_out",
    }


def test_the_digital_skus_are_those_the_fulfilment_attribute_marks_on_the_product_or_the_variant() -> None:
    def snapshot(shared: str | None, *variants: tuple[str, str | None]) -> dict[str, object]:
        def attributes(value: str | None) -> list[dict[str, str]]:
            return [{"code": "fulfilment", "value": value}] if value else []

        return {
            "attributes": [{"code": "colour", "value": "red"}, *attributes(shared)],
            "variants": [{"sku": sku, "attributes": attributes(value)} for sku, value in variants],
        }

    # GIVEN the value on the product, on one variant, on neither, or shipped on the product
    assert digital_skus(snapshot("digital", ("A", None), ("B", "shipped"))) == ["A", "B"]
    assert digital_skus(snapshot(None, ("A", "digital"), ("B", None))) == ["A"]
    assert digital_skus(snapshot(None, ("A", None))) == []
    assert digital_skus(snapshot("shipped", ("A", "digital"))) == []


def _event(sku: str, location: str, available: int, sequence: str) -> dict[str, object]:
    return {
        "sku": sku,
        "location_id": location,
        "location_kind": "warehouse",
        "country": "UA",
        "available": available,
        "sequence": sequence,
    }


def test_a_stock_event_is_read_with_the_default_threshold_and_a_sequence_that_sorts_as_text() -> None:
    update = stock_update(_event("LAP-1", "kyiv-dc", 7, "900"))
    assert update.stock == LocationStock("LAP-1", "kyiv-dc", "warehouse", "UA", False, 7, 5)
    # 900 < 1000 as numbers: zero-padded, the texts compare the same way
    assert update.sequence < stock_update(_event("LAP-1", "kyiv-dc", 7, "1000")).sequence


def test_a_batch_keeps_the_latest_change_of_each_level_in_the_order_the_levels_came() -> None:
    updates: list[StockUpdate] = [
        stock_update(_event("LAP-1", "kyiv-dc", 5, "20")),
        stock_update(_event("LAP-1", "lviv", 3, "11")),
        stock_update(_event("LAP-1", "kyiv-dc", 9, "9")),  # older than the first: changes nothing
        stock_update(_event("LAP-2", "kyiv-dc", 1, "12")),
        stock_update(_event("LAP-1", "lviv", 0, "30")),  # later: replaces lviv's first
    ]
    latest = latest_per_level(updates)
    assert [(u.stock.sku, u.stock.location_id, u.stock.available) for u in latest] == [
        ("LAP-1", "kyiv-dc", 5),
        ("LAP-1", "lviv", 0),
        ("LAP-2", "kyiv-dc", 1),
    ]
