"""What only the embedded engine has to prove: files on disk, several handles, reindex under load."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from search.adapters.embedded import EmbeddedSearchIndex
from search.adapters.embedded_schema import PRICE_SLOTS
from search.domain.model import PriceFilter, SearchDocument, SearchFilters, SearchQuery
from shop_kernel.money import Money


def product(product_id: str, name: str, **fields: object) -> SearchDocument:
    values: dict[str, object] = {
        "product_id": product_id,
        "name": {"en": name},
        "published_at": "2024-01-01T00:00:00Z",
    }
    values.update(fields)
    return SearchDocument.model_validate(values)


def found(index: EmbeddedSearchIndex, text: str) -> list[str]:
    return [hit.product_id for hit in index.search(SearchQuery(text=text)).hits]


def test_index_survives_reopening_and_other_handles_see_writes(tmp_path: Path) -> None:
    # GIVEN an API handle and an indexer handle on the same directory (as in the local stack)
    api = EmbeddedSearchIndex(tmp_path)
    indexer = EmbeddedSearchIndex(tmp_path)
    api.search(SearchQuery(text="kettle"))
    # WHEN the indexer writes
    indexer.upsert([product("p1", "Steel kettle")])
    # THEN the API handle sees it on its next search, and so does a handle opened later
    assert found(api, "kettle ") == ["p1"]
    assert found(EmbeddedSearchIndex(tmp_path), "kettle ") == ["p1"]


def test_queries_keep_working_during_a_reindex(tmp_path: Path) -> None:
    # GIVEN a live index under load
    live = EmbeddedSearchIndex(tmp_path)
    live.upsert([product(f"old{i}", f"Old kettle {i}") for i in range(50)])
    errors: list[BaseException] = []
    empty_answers = 0
    stop = threading.Event()

    def shopper() -> None:
        nonlocal empty_answers
        reader = EmbeddedSearchIndex(tmp_path)
        while not stop.is_set():
            try:
                empty_answers += not reader.search(SearchQuery(text="kettle ")).hits
            except BaseException as error:
                errors.append(error)

    thread = threading.Thread(target=shopper)
    thread.start()
    # WHEN a new index is built in batches and the alias swapped
    fresh = live.create_index("products-v2")
    for batch in range(5):
        fresh.upsert([product(f"new{batch}-{i}", f"New kettle {i}") for i in range(40)])
    live.swap_alias("products-v2")
    stop.set()
    thread.join()
    # THEN no search failed or came back empty, and the alias now serves the new index
    assert errors == []
    assert empty_answers == 0
    assert live.count() == 200
    live.drop_index("products-initial")
    assert live.index_names() == ["products-v2"]


def test_the_aliased_index_cannot_be_dropped_and_names_are_checked(tmp_path: Path) -> None:
    # GIVEN a live index  WHEN dropping it or creating a bad name  THEN refused
    live = EmbeddedSearchIndex(tmp_path)
    live.upsert([product("p1", "Kettle")])
    with pytest.raises(ValueError, match="behind the alias"):
        live.drop_index("products-initial")
    with pytest.raises(ValueError, match="alphanumeric"):
        live.create_index("../escape")
    with pytest.raises(ValueError, match="no index"):
        live.swap_alias("missing")


def test_price_keys_get_slots_up_to_the_limit(tmp_path: Path) -> None:
    # GIVEN more price lists than slots (slots go to keys in sorted order)
    index = EmbeddedSearchIndex(tmp_path)
    prices = {f"UAH:list{n}": Money.of(100 * (n + 1), "UAH") for n in range(PRICE_SLOTS + 2)}
    index.upsert([product("p1", "Kettle", prices=prices)])
    # WHEN filtering on a slotted key and on one beyond the limit
    inside = index.search(
        SearchQuery(
            filters=SearchFilters(
                price=PriceFilter(currency="UAH", price_list="list0", max=Money.of(100, "UAH"))
            )
        )
    )
    beyond = index.search(
        SearchQuery(
            filters=SearchFilters(
                price=PriceFilter(currency="UAH", price_list=sorted(prices)[-1].split(":")[1])
            )
        )
    )
    # THEN the first filters normally and the other matches nothing rather than failing
    assert [h.product_id for h in inside.hits] == ["p1"]
    assert beyond.hits == []


def test_synonyms_are_shared_by_handles_through_the_directory(tmp_path: Path) -> None:
    # GIVEN a merchandiser setting synonyms through one handle
    admin = EmbeddedSearchIndex(tmp_path)
    admin.upsert([product("p1", "Kivik sofa")])
    api = EmbeddedSearchIndex(tmp_path)
    assert api.search(SearchQuery(text="couch ")).relaxed
    admin.set_synonyms([["sofa", "couch"], ["single"]])
    # THEN another handle applies them at once; single-member groups are dropped
    assert found(api, "couch ") == ["p1"]
    assert api.synonyms() == [["sofa", "couch"]]
