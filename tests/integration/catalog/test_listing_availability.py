"""Category listings say whether each product can be bought for the shopper's country or pickup store,
kept current by inventory's StockLevelChanged through catalog's own copy (never inventory's table)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.cart.conftest import catalog_events_batch
from tests.integration.catalog.conftest import product_body
from tests.support import Reply


def _stock_event(
    sku: str,
    location_id: str,
    available: int,
    sequence: int,
    *,
    kind: str = "warehouse",
    country: str = "UA",
    pickup: bool = False,
) -> Any:
    from inventory.domain.events import StockPlace, stock_level_changed

    (event,) = stock_level_changed(
        None,
        {
            "sku": sku,
            "location_id": location_id,
            "available": available,
            "updated_at": "2026-11-02T10:00:00.000Z",
        },
        StockPlace(kind=kind, country=country, pickup=pickup),  # type: ignore[arg-type]
        str(sequence),
        "2026-11-02T10:00:00.000Z",
    )
    return event


@pytest.fixture
def deliver(catalog_stack: Any, lambda_context: Any, functions: Any) -> Callable[[list[Any]], None]:
    """Stock events to catalog-stock-projector as SQS delivers what the bus's rule routed."""

    def _deliver(events: list[Any]) -> None:
        batch = catalog_events_batch(events)
        assert functions.invoke("catalog-stock-projector", batch, lambda_context) == {"batchItemFailures": []}

    return _deliver


def _publish(reference: Callable[..., Reply], n: int) -> str:
    created = reference("POST", "/admin/catalog/products", product_body(n))
    assert created.status == 201, created.body
    published = reference(
        "POST", f"/admin/catalog/products/{created.body['id']}/publish", headers={"If-Match": created.etag}
    )
    assert published.status == 200, published.body
    return str(created.body["id"])


def _listed(call: Callable[..., Reply], category: str = "computers", **query: str) -> dict[str, str]:
    reply = call("GET", f"/catalog/categories/{category}/products", query=query)
    assert reply.status == 200, reply.body
    return {item["id"]: item["availability"] for item in reply.body["items"]}


def test_listings_say_where_each_product_can_be_bought_and_in_stock_filters(
    reference: Callable[..., Reply], deliver: Callable[[list[Any]], None]
) -> None:
    # GIVEN one laptop plenty in a Ukrainian warehouse and another low at a Warsaw pickup store
    first, second = _publish(reference, 1), _publish(reference, 2)
    deliver(
        [
            _stock_event("LAP-0001-BLK", "kyiv-dc", 10, 1),
            _stock_event("LAP-0002-SLV", "warsaw", 2, 2, kind="store", country="PL", pickup=True),
        ]
    )
    # WHEN a shopper in Ukraine lists the category (and an ancestor of it)
    # THEN each product says whether it can be delivered there
    assert _listed(reference, country="UA") == {first: "in_stock", second: "sold_out"}
    assert _listed(reference, "electronics", country="UA") == {first: "in_stock", second: "sold_out"}
    # AND in_stock=true lists only what can be bought there; for pickup at Warsaw, the other one, low
    assert _listed(reference, country="UA", in_stock="true") == {first: "in_stock"}
    assert _listed(reference, store="warsaw", in_stock="true") == {second: "low_stock"}
    # AND with neither country nor store, anywhere counts
    assert _listed(reference, in_stock="true") == {first: "in_stock", second: "low_stock"}


def test_a_later_stock_change_wins_whatever_order_it_arrives_in(
    reference: Callable[..., Reply], deliver: Callable[[list[Any]], None]
) -> None:
    product = _publish(reference, 1)
    # GIVEN the product sold out (sequence 20) and, delivered late, an older level of 50 (sequence 10)
    deliver([_stock_event("LAP-0001-BLK", "kyiv-dc", 0, 20), _stock_event("LAP-0001-BLK", "kyiv-dc", 50, 10)])
    # THEN it is sold out and filtered out
    assert _listed(reference, country="UA") == {product: "sold_out"}
    assert _listed(reference, country="UA", in_stock="true") == {}


def test_stock_known_before_publication_and_after_an_edit_stays_on_the_listing(
    reference: Callable[..., Reply], deliver: Callable[[list[Any]], None]
) -> None:
    # GIVEN stock announced for a SKU before its product exists
    deliver([_stock_event("LAP-0001-SLV", "kyiv-dc", 3, 4)])
    # WHEN the product is created and published, then renamed (its listing entries are rewritten)
    product = _publish(reference, 1)
    assert _listed(reference, country="UA") == {product: "low_stock"}
    current = reference("GET", f"/admin/catalog/products/{product}")
    renamed = reference(
        "PATCH",
        f"/admin/catalog/products/{product}",
        {"name": {"en": "Acme Air", "uk": "Acme Ейр"}},
        headers={"If-Match": current.etag},
    )
    assert renamed.status == 200, renamed.body
    # THEN the listing still knows where it can be bought
    assert _listed(reference, country="UA") == {product: "low_stock"}


def test_a_bad_country_or_store_is_a_422_problem(reference: Callable[..., Reply]) -> None:
    for query in ({"country": "ukraine"}, {"store": "NOT A STORE"}, {"in_stock": "maybe"}):
        reply = reference("GET", "/catalog/categories/computers/products", query=query)
        assert reply.status == 422, (query, reply.body)
        assert reply.headers["Content-Type"].startswith("application/problem+json")


def test_a_batch_rewrites_each_product_it_touched_once_with_all_its_levels(
    reference: Callable[..., Reply],
    deliver: Callable[[list[Any]], None],
    monkeypatch: pytest.MonkeyPatch,
    functions: Any,
) -> None:
    import catalog.wiring

    product = _publish(reference, 1)
    # The projector's own repository (each function has its own container, as in Lambda).
    stock = functions.run("catalog-stock-projector", lambda: catalog.wiring.container.repository().stock)
    refreshed: list[str] = []
    original = stock.refresh_listing

    def counting(product_id: str) -> int:
        refreshed.append(product_id)
        return original(product_id)

    monkeypatch.setattr(stock, "refresh_listing", counting)
    # GIVEN one batch of four levels of the product's two SKUs: in Kyiv, in Warsaw, a pickup store
    deliver(
        [
            _stock_event("LAP-0001-BLK", "kyiv-dc", 0, 1),
            _stock_event("LAP-0001-SLV", "kyiv-dc", 3, 2),
            _stock_event("LAP-0001-BLK", "warsaw-dc", 40, 3, country="PL"),
            _stock_event("LAP-0001-SLV", "lviv", 9, 4, kind="store", pickup=True),
        ]
    )
    # THEN the listing was rewritten once, and it shows every level of the batch
    assert refreshed == [product]
    assert _listed(reference, country="UA") == {product: "low_stock"}
    assert _listed(reference, country="PL") == {product: "in_stock"}
    assert _listed(reference, store="lviv", in_stock="true") == {product: "in_stock"}


def test_a_batch_looks_up_the_products_of_its_skus_in_one_call(
    reference: Callable[..., Reply], deliver: Callable[[list[Any]], None], functions: Any
) -> None:
    import catalog.wiring

    product = _publish(reference, 1)
    client = functions.run("catalog-stock-projector", lambda: catalog.wiring.container.dynamodb_client())
    calls: list[str] = []

    def count(model: Any, **_: Any) -> None:
        calls.append(model.name)

    client.meta.events.register("before-call.dynamodb.*", count)
    try:
        # GIVEN one batch of three levels of the product's two SKUs
        deliver(
            [
                _stock_event("LAP-0001-BLK", "kyiv-dc", 0, 1),
                _stock_event("LAP-0001-SLV", "kyiv-dc", 3, 2),
                _stock_event("LAP-0001-BLK", "warsaw-dc", 40, 3, country="PL"),
            ]
        )
    finally:
        client.meta.events.unregister("before-call.dynamodb.*", count)
    # THEN the levels are one transaction of conditional puts and the SKUs' products one read for the
    # whole batch
    assert calls.count("TransactWriteItems") == 1
    assert calls.count("PutItem") == 0
    assert calls.count("BatchGetItem") == 1
    # AND only the product itself is read one by one, to rewrite its listing entries
    assert calls.count("GetItem") == 1
    assert _listed(reference, country="PL") == {product: "in_stock"}


def test_an_electronic_product_is_in_stock_for_every_country_and_store_without_stock_levels(
    reference: Callable[..., Reply], deliver: Callable[[list[Any]], None]
) -> None:
    from infra.local.seed_catalog import GIFT_CARD_TYPE, e_gift_product

    # GIVEN a laptop plenty in a Ukrainian warehouse and the e-certificate (fulfilment digital), which
    # inventory never announced a level for
    assert reference("POST", "/admin/catalog/product-types", GIFT_CARD_TYPE).status == 201
    laptop = _publish(reference, 1)
    body = {k: v for k, v in e_gift_product().items() if k != "status"}  # the seed's import publishes it
    created = reference("POST", "/admin/catalog/products", {**body, "category_id": "laptops"})
    assert created.status == 201, created.body
    published = reference(
        "POST", f"/admin/catalog/products/{created.body['id']}/publish", headers={"If-Match": created.etag}
    )
    assert published.status == 200, published.body
    ecert = str(created.body["id"])
    deliver([_stock_event("LAP-0001-BLK", "kyiv-dc", 10, 1)])
    # WHEN shoppers list the category for delivery anywhere, to a country no warehouse serves, or pickup
    # THEN the e-certificate is in stock for each of them, and in_stock=true keeps it
    assert _listed(reference, country="UA") == {laptop: "in_stock", ecert: "in_stock"}
    assert _listed(reference, country="FR", in_stock="true") == {ecert: "in_stock"}
    assert _listed(reference, store="lviv", in_stock="true") == {ecert: "in_stock"}
    assert _listed(reference, in_stock="true") == {laptop: "in_stock", ecert: "in_stock"}
