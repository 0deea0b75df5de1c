"""Search holds prices as the kernel's Money and stores them as the minor units it always stored; no AWS."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from search.adapters.index_definition import document_source
from search.adapters.opensearch_query import stored_document
from search.domain.documents import search_document, summary
from search.domain.indexing import patched_snapshot, price_update
from search.domain.model import PriceFilter, SearchDocument, SearchFilters, SearchQuery
from shop_kernel.money import Money

SNAPSHOT = {
    "id": "prod_1",
    "code": "P-1",
    "version": 3,
    "name": {"en": "Kettle"},
    "seo": {"slug": {"en": "kettle"}},
    "category": {"id": "kettles", "path": ["home", "kettles"]},
    "variants": [
        {
            "sku": "K-1",
            "prices": [
                {"amount": 2500, "currency": "EUR", "price_list": "retail"},
                {"amount": 99900, "currency": "UAH", "price_list": "retail"},
            ],
        },
        {
            "sku": "K-2",
            "prices": [
                {"amount": 2300, "currency": "EUR", "price_list": "retail"},
                {"amount": 2000, "currency": "EUR", "price_list": "b2b"},
            ],
        },
    ],
    "updated_at": "2026-01-01T00:00:00.000Z",
}


def test_a_document_holds_the_lowest_price_per_key_as_money_and_stores_minor_units():
    # GIVEN a catalog snapshot whose variants are priced in two currencies and two lists
    # WHEN its search document is built
    doc = search_document(SNAPSHOT)
    # THEN each "<CURRENCY>:<list>" holds the cheapest variant's price as Money
    assert doc.prices == {
        "EUR:b2b": Money.of(2000, "EUR"),
        "EUR:retail": Money.of(2300, "EUR"),
        "UAH:retail": Money.of(99900, "UAH"),
    }
    # AND the stored JSON (what the engines keep) has the minor units documents always had
    stored = doc.model_dump(mode="json")
    assert stored["prices"] == {"EUR:b2b": 2000, "EUR:retail": 2300, "UAH:retail": 99900}
    # AND a stored document, from before or after, reads back as the same document
    assert SearchDocument.model_validate_json(doc.model_dump_json()) == doc
    assert SearchDocument.model_validate(stored) == doc


def test_opensearch_gets_prices_as_longs_and_reads_its_stored_document_back_as_money():
    # GIVEN a document  WHEN it becomes OpenSearch's _source (as OpenSearchIndex.upsert sends it)
    doc = search_document(SNAPSHOT)
    source = document_source(doc.model_dump(mode="json"))
    # THEN the prices.* fields the mapping makes longs hold minor units, and a hit's stored document is the same
    assert source["prices"] == {"EUR:b2b": 2000, "EUR:retail": 2300, "UAH:retail": 99900}
    assert stored_document({"_source": json.loads(json.dumps(source))}) == doc


def test_a_price_under_another_currency_s_key_is_refused():
    # GIVEN a price in UAH under an EUR key  WHEN a document is built THEN it is refused
    with pytest.raises(ValidationError, match="UAH price under 'EUR:retail'"):
        SearchDocument(
            product_id="p1",
            name={"en": "Kettle"},
            published_at="2026-01-01T00:00:00Z",
            prices={"EUR:retail": Money.of(100, "UAH")},
        )


def test_a_result_shows_the_prices_of_the_visible_lists_in_the_api_s_flat_shape():
    # GIVEN a document with a retail and a negotiated price
    doc = search_document(SNAPSHOT)
    # WHEN an anonymous shopper's result is summarised
    shown = summary(doc, "en", ["any"], {"retail"})
    # THEN only retail prices are shown, as {price_list, currency, amount}
    assert shown["prices"] == [
        {"price_list": "retail", "currency": "EUR", "amount": 2300},
        {"price_list": "retail", "currency": "UAH", "amount": 99900},
    ]


def test_a_price_changed_event_of_version_1_patches_the_snapshot_in_its_wire_shape():
    # GIVEN a PriceChanged 1.0 that lowers one price and removes another
    update = price_update(
        {
            "product_id": "prod_1",
            "version": 4,
            "changes": [
                {
                    "sku": "K-1",
                    "price_list": "retail",
                    "currency": "EUR",
                    "old_amount": 2500,
                    "new_amount": 1900,
                },
                {
                    "sku": "K-2",
                    "price_list": "b2b",
                    "currency": "EUR",
                    "old_amount": 2000,
                    "new_amount": None,
                },
            ],
        }
    )
    # WHEN it is read and applied to the stored snapshot
    patched = patched_snapshot(SNAPSHOT, update)
    # THEN the changes are Money, the snapshot keeps the catalog's shape, and the document follows
    assert update.changes == {("K-1", "retail", "EUR"): Money.of(1900, "EUR"), ("K-2", "b2b", "EUR"): None}
    assert patched["variants"][0]["prices"][0] == {"amount": 1900, "currency": "EUR", "price_list": "retail"}
    assert patched["variants"][1]["prices"] == [{"amount": 2300, "currency": "EUR", "price_list": "retail"}]
    assert search_document(patched).prices == {
        "EUR:retail": Money.of(1900, "EUR"),
        "UAH:retail": Money.of(99900, "UAH"),
    }


def test_a_price_filter_takes_money_in_its_currency_and_scopes_cursors_as_before():
    # GIVEN a price range in EUR
    price = PriceFilter(currency="EUR", min=Money.of(1000, "EUR"), max=Money.of(5000, "EUR"))
    # THEN its JSON (what a cursor's scope hashes) names the minor units, as before bounds were Money
    query = SearchQuery(filters=SearchFilters(price=price))
    assert query.model_dump(mode="json")["filters"]["price"] == {
        "currency": "EUR",
        "price_list": "retail",
        "min": 1000,
        "max": 5000,
    }
    # AND bounds in another currency, negative or inverted are refused
    for low, high in ((Money.of(1000, "UAH"), None), (Money.of(-1, "EUR"), None)):
        with pytest.raises(ValidationError, match="non-negative amount in EUR"):
            PriceFilter(currency="EUR", min=low, max=high)
    with pytest.raises(ValidationError, match="must not exceed"):
        PriceFilter(currency="EUR", min=Money.of(2, "EUR"), max=Money.of(1, "EUR"))
