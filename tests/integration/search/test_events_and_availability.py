"""Search from events: hits say whether they can be bought where the shopper is, in_stock filters, and
late, duplicate or out-of-order events never show an archived product or an older state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.cart.conftest import catalog_events_batch, product_snapshot


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


def _product_event(
    detail_type: str, product_id: str, version: int, name: str = "Zephyr", *, digital: bool = False
) -> Any:
    from catalog.domain.events import EVENT_MODELS, event_id
    from shop_kernel.events import make_event

    snapshot = product_snapshot(product_id, version, [(f"{product_id.upper()}-1", 129900, 5_000_000)])
    snapshot["name"] = {"en": f"{name} Ultrabook", "uk": f"{name} Ультрабук"}
    if digital:  # an e-certificate: the catalog's fulfilment enum says it is delivered electronically
        snapshot["attributes"] = [
            {"code": "fulfilment", "label": {"en": "Delivery"}, "kind": "enum", "value": "digital"}
        ]
    if detail_type == "ProductArchived":
        data: dict[str, Any] = {
            "product_id": product_id,
            "code": snapshot["code"],
            "version": version,
            "archived_at": snapshot["updated_at"],
        }
    elif detail_type == "ProductUpdated":
        data = {"product": snapshot, "changed_fields": ["name"]}
    else:
        data = {"product": snapshot}
    return make_event(
        "shop.catalog",
        detail_type,
        EVENT_MODELS[detail_type].model_validate(data),
        version="1.0",
        occurred_at=snapshot["updated_at"],
        event_id=event_id(product_id, version, detail_type),
    )


@pytest.fixture
def deliver(search_stack: Any, lambda_context: Any, functions: Any) -> Callable[[list[Any]], None]:
    """Events to the search-indexer as SQS delivers what the bus's rules routed (in the given order)."""

    def _deliver(events: list[Any]) -> None:
        batch = catalog_events_batch(events)
        assert functions.invoke("search-indexer", batch, lambda_context) == {"batchItemFailures": []}

    return _deliver


def _found(search_call: Callable[..., Any], **query: Any) -> dict[str, str]:
    reply = search_call("GET", "/search", query={"limit": "50", **query})
    assert reply.status == 200, reply.body
    items = reply.body["items"]
    # A page shows every match it counts: nothing is dropped after retrieval
    assert reply.body["total"] == len(items)
    return {item["id"]: item["availability"] for item in items}


def test_hits_say_whether_they_can_be_bought_for_the_country_or_store_and_in_stock_filters(
    catalog: dict[str, str], deliver: Callable[[list[Any]], None], search_call: Callable[..., Any]
) -> None:
    # GIVEN acme plenty in a Ukrainian warehouse, globex low at a Warsaw pickup store, the Cyrillic laptop
    # sold out in the Ukrainian warehouse, and the phone never stocked
    deliver(
        [
            _stock_event("LAP-0001-BLK", "kyiv-dc", 10, 1),
            _stock_event("LAP-0002-SLV", "warsaw", 2, 2, kind="store", country="PL", pickup=True),
            _stock_event("LAP-0004-BLK", "kyiv-dc", 0, 3),
        ]
    )
    acme, globex, cyrillic, iphone = (catalog[k] for k in ("acme", "globex", "cyrillic", "iphone"))
    # WHEN a shopper in Ukraine browses laptops THEN each hit says whether it can be delivered there
    assert _found(search_call, category="laptops", country="UA") == {
        acme: "in_stock",
        globex: "sold_out",
        cyrillic: "sold_out",
    }
    # AND in_stock=true keeps only what can be bought there, with totals and facets counting only those
    only = search_call("GET", "/search", query={"in_stock": "true", "country": "UA", "facets": "brand"})
    assert [i["id"] for i in only.body["items"]] == [acme]
    assert only.body["total"] == 1
    assert only.body["facets"]["brand"] == [{"value": "acme", "count": 1}]
    # AND for pickup at the Warsaw store, globex is low on stock and the only one there
    assert _found(search_call, store="warsaw", in_stock="true") == {globex: "low_stock"}
    # AND with both, either way counts; with neither, anywhere counts
    assert _found(search_call, country="UA", store="warsaw", in_stock="true") == {
        acme: "in_stock",
        globex: "low_stock",
    }
    assert _found(search_call, in_stock="true") == {acme: "in_stock", globex: "low_stock"}
    assert _found(search_call, q="iphone")[iphone] == "sold_out"


def test_stock_changes_keep_hits_current_and_an_older_change_never_overwrites_a_later_one(
    catalog: dict[str, str], deliver: Callable[[list[Any]], None], search_call: Callable[..., Any]
) -> None:
    acme = catalog["acme"]
    # GIVEN acme in stock, then sold out (sequence 20), then the late delivery of an older change (10)
    deliver([_stock_event("LAP-0001-BLK", "kyiv-dc", 10, 5)])
    assert _found(search_call, in_stock="true", country="UA") == {acme: "in_stock"}
    deliver([_stock_event("LAP-0001-BLK", "kyiv-dc", 0, 20), _stock_event("LAP-0001-BLK", "kyiv-dc", 50, 10)])
    # THEN the latest change wins: acme is sold out in Ukraine and filtered out
    assert _found(search_call, in_stock="true", country="UA") == {}
    assert _found(search_call, q="acme book", country="UA")[acme] == "sold_out"
    # WHEN its other variant arrives at the warehouse THEN the product is as available as its best variant
    deliver([_stock_event("LAP-0001-SLV", "kyiv-dc", 3, 21)])
    assert _found(search_call, in_stock="true", country="UA") == {acme: "low_stock"}


def test_stock_known_before_publication_shows_once_the_product_is_published(
    catalog: dict[str, str],
    deliver: Callable[[list[Any]], None],
    reference: Callable[..., Any],
    index_changes: Callable[[], dict[str, Any]],
    search_call: Callable[..., Any],
) -> None:
    # GIVEN stock for the draft's SKU, announced before the draft is published
    deliver([_stock_event("LAP-0005-BLK", "kyiv-dc", 30, 7)])
    assert catalog["draft"] not in _found(search_call)
    # WHEN it is published
    draft = reference("GET", f"/admin/catalog/products/{catalog['draft']}")
    assert (
        reference(
            "POST", f"/admin/catalog/products/{catalog['draft']}/publish", headers={"If-Match": draft.etag}
        ).status
        == 200
    )
    assert index_changes() == {"batchItemFailures": []}
    # THEN its first document already knows where it can be bought
    assert _found(search_call, in_stock="true", country="UA") == {catalog["draft"]: "in_stock"}


def test_late_or_duplicate_events_never_bring_back_an_archived_product_or_an_older_version(
    search_stack: Any, deliver: Callable[[list[Any]], None], search_call: Callable[..., Any]
) -> None:
    # GIVEN a product published (v1), updated (v3) and, delivered late, its older update (v2)
    deliver(
        [
            _product_event("ProductPublished", "zeph", 1, "Alpha"),
            _product_event("ProductUpdated", "zeph", 3, "Zephyr"),
            _product_event("ProductUpdated", "zeph", 2, "Boreas"),
        ]
    )
    # THEN search shows the latest version only
    assert "zeph" in _found(search_call, q="zephyr")
    assert "zeph" not in _found(search_call, q="boreas")
    # WHEN it is archived (v4) and then a duplicate publication and the late update arrive again
    deliver(
        [
            _product_event("ProductArchived", "zeph", 4),
            _product_event("ProductPublished", "zeph", 1, "Alpha"),
            _product_event("ProductUpdated", "zeph", 3, "Zephyr"),
        ]
    )
    # THEN it stays gone: no hit, no count, no suggestion, no similar/related page
    assert _found(search_call, q="zephyr") == {}
    assert _found(search_call) == {}
    assert search_call("GET", "/search/products/zeph/similar").status == 404
    # AND a real republication (a newer version) brings it back
    deliver([_product_event("ProductPublished", "zeph", 5, "Zephyr")])
    assert "zeph" in _found(search_call, q="zephyr")


def test_price_changes_apply_in_either_order_with_their_update(
    search_stack: Any, deliver: Callable[[list[Any]], None], search_call: Callable[..., Any]
) -> None:
    from catalog.domain.events import PriceChange, PriceChanged, event_id
    from shop_kernel.events import make_event

    deliver([_product_event("ProductPublished", "zeph", 1)])
    # GIVEN a price change of version 2 delivered before the update of the same version
    change = PriceChanged(
        product_id="zeph",
        version=2,
        changes=[
            PriceChange(
                sku="ZEPH-1", price_list="retail", currency="EUR", old_amount=129900, new_amount=99900
            )
        ],
    )
    deliver(
        [
            make_event(
                "shop.catalog",
                "PriceChanged",
                change,
                version="1.0",
                occurred_at="2026-11-03T00:00:00.000Z",
                event_id=event_id("zeph", 2, "PriceChanged"),
            )
        ]
    )
    reply = search_call("GET", "/search", query={"q": "zephyr"})
    # THEN the hit shows the new price at once (minor units with its currency)
    (item,) = reply.body["items"]
    assert {"price_list": "retail", "currency": "EUR", "amount": 99900} in item["prices"]
    # AND a price filter finds it at the new price and not at the old
    assert search_call("GET", "/search", query={"currency": "EUR", "max_price": "100000"}).body["total"] == 1


@pytest.mark.parametrize(
    "query",
    [{"country": "Ukraine"}, {"country": "ua"}, {"store": "Not A Store"}, {"in_stock": "maybe"}],
    ids=["country-name", "country-lowercase", "store-id", "in_stock"],
)
def test_a_bad_availability_parameter_is_a_422_problem(
    search_call: Callable[..., Any], query: dict[str, str]
) -> None:
    # GIVEN a malformed country, store or in_stock WHEN searching THEN 422 problem+json, never a 5xx
    reply = search_call("GET", "/search", query=query)
    assert reply.status == 422, reply.body
    assert reply.headers["Content-Type"].startswith("application/problem+json")
    assert search_call("GET", "/search/products/p_1/similar", query=query).status in (404, 422)


def test_a_reindex_rebuilds_from_searchs_projection_with_availability(
    catalog: dict[str, str], deliver: Callable[[list[Any]], None], search_call: Callable[..., Any]
) -> None:
    import io

    from search import wiring
    from search.tools.reindex import reindex

    # GIVEN acme in stock in Ukraine, and an index that lost every document behind search's back
    deliver([_stock_event("LAP-0001-BLK", "kyiv-dc", 10, 1)])
    wiring.container.search_index().delete(list(catalog.values()))
    assert _found(search_call) == {}
    # WHEN the index is rebuilt (from search's own table: the catalog's table is not even readable)
    summary = reindex(out=io.StringIO())
    # THEN the published products are back with their availability, the draft is not
    assert summary["documents"] == 4
    assert _found(search_call, in_stock="true", country="UA") == {catalog["acme"]: "in_stock"}
    assert catalog["draft"] not in _found(search_call)


def test_a_batch_of_stock_levels_looks_up_its_products_and_their_states_in_one_call_each(
    catalog: dict[str, str],
    deliver: Callable[[list[Any]], None],
    functions: Any,
    search_call: Callable[..., Any],
) -> None:
    from search import wiring

    client = functions.run("search-indexer", lambda: wiring.container.dynamodb_client())
    calls: list[str] = []

    def count(model: Any, **_: Any) -> None:
        calls.append(model.name)

    client.meta.events.register("before-call.dynamodb.*", count)
    try:
        # GIVEN one batch of four levels of acme's two SKUs, one of them twice
        deliver(
            [
                _stock_event("LAP-0001-BLK", "kyiv-dc", 0, 31),
                _stock_event("LAP-0001-SLV", "kyiv-dc", 2, 32),
                _stock_event("LAP-0001-BLK", "lviv", 9, 33, kind="store", pickup=True),
                _stock_event("LAP-0001-BLK", "kyiv-dc", 7, 34),
            ]
        )
    finally:
        client.meta.events.unregister("before-call.dynamodb.*", count)
    # THEN the levels (the latest of kyiv-dc's two) are one transaction of conditional puts, and the SKUs'
    # product and its state one read each for the batch
    assert calls.count("TransactWriteItems") == 1
    assert calls.count("PutItem") == 0
    assert calls.count("BatchGetItem") == 2
    assert "GetItem" not in calls
    # AND the hit shows the batch's last levels
    assert _found(search_call, in_stock="true", country="UA") == {catalog["acme"]: "in_stock"}
    assert _found(search_call, in_stock="true", store="lviv") == {catalog["acme"]: "in_stock"}


def test_an_electronic_product_is_in_stock_for_every_country_and_store_without_stock_levels(
    catalog: dict[str, str], deliver: Callable[[list[Any]], None], search_call: Callable[..., Any]
) -> None:
    # GIVEN acme plenty in a Ukrainian warehouse and an e-certificate (fulfilment digital) that inventory
    # never announced a level for
    deliver(
        [
            _stock_event("LAP-0001-BLK", "kyiv-dc", 10, 1),
            _product_event("ProductPublished", "ecert", 1, digital=True),
        ]
    )
    acme = catalog["acme"]
    # WHEN shoppers search for delivery to a country, to one no warehouse serves, for pickup, or anywhere
    # THEN the e-certificate is in stock for each of them, and in_stock=true keeps it
    assert _found(search_call, category="laptops", country="UA")["ecert"] == "in_stock"
    assert _found(search_call, country="UA", in_stock="true") == {acme: "in_stock", "ecert": "in_stock"}
    assert _found(search_call, country="FR", in_stock="true") == {"ecert": "in_stock"}
    assert _found(search_call, store="warsaw", in_stock="true") == {"ecert": "in_stock"}
    assert _found(search_call, in_stock="true") == {acme: "in_stock", "ecert": "in_stock"}
