"""The ``SearchIndex`` contract: every engine must behave like this (embedded always, OpenSearch on request).

Queries whose last word should count as a finished word end with a space: without one, the last word is
also matched as a prefix (search-as-you-type), which would blur the fuzziness boundaries tested here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench.product_generator import generate, heroes
from search.domain.model import PriceFilter, SearchDocument, SearchFilters, SearchQuery, SearchResult
from search.domain.ports import SearchIndex
from shop_kernel.availability import buyable_filter, shopper_contexts
from shop_kernel.money import Money


def doc(product_id: str, en: str, uk: str | None = None, **fields: Any) -> SearchDocument:
    values: dict[str, Any] = {
        "product_id": product_id,
        "name": {"en": en, **({"uk": uk} if uk else {})},
        "brand_id": "brand_acme",
        "brand_name": "Acme",
        "category_ids": ["misc"],
        "prices": {"UAH:retail": uah(100_00)},
        "published_at": "2024-01-01T00:00:00Z",
    }
    values.update(fields)
    return SearchDocument(**values)


def uah(amount: int) -> Money:
    return Money.of(amount, "UAH")


def load(index: SearchIndex, docs: list[SearchDocument]) -> SearchIndex:
    index.upsert(docs)
    index.refresh()
    return index


def ids(result: SearchResult) -> list[str]:
    return [hit.product_id for hit in result.hits]


def search(index: SearchIndex, text: str = "", locale: str = "en", **kwargs: Any) -> SearchResult:
    return index.search(SearchQuery(text=text, locale=locale, **kwargs))


CATALOG = [
    doc("p_iphone", "Apple iPhone 15 Pro smartphone", "Смартфон Apple iPhone 15 Pro", brand_id="brand_apple",
        brand_name="Apple", category_ids=["phones", "electronics"], attributes={"color": "black", "nfc": True},
        prices={"UAH:retail": uah(4_999_900)}, published_at="2024-03-01T00:00:00Z"),
    doc("p_lenovo", "Lenovo IdeaPad 5 laptop", "Ноутбук Lenovo IdeaPad 5", brand_id="brand_lenovo",
        brand_name="Lenovo", category_ids=["laptops", "computers", "electronics"],
        attributes={"color": "grey", "ram_gb": 16}, prices={"UAH:retail": uah(2_899_900)},
        description={"en": "Slim aluminium body with a battery that lasts all day."},
        published_at="2024-05-01T00:00:00Z"),
    doc("p_asus", "Asus ZenBook 14 laptop", "Ноутбук Asus ZenBook 14", brand_id="brand_asus", brand_name="Asus",
        category_ids=["laptops", "computers", "electronics"], attributes={"color": "blue", "ram_gb": 8},
        prices={"UAH:retail": uah(3_499_900)}, published_at="2023-11-01T00:00:00Z"),
    doc("p_sofa", "Kivik three-seat sofa", "Диван Kivik тримісний", brand_id="brand_ikea", brand_name="IKEA",
        category_ids=["furniture", "home"], attributes={"material": "linen"}, prices={"UAH:retail": uah(1_999_900)},
        published_at="2022-01-01T00:00:00Z"),
    doc("p_kettle", "Tefal Express electric kettle", "Електрочайник Tefal Express", brand_id="brand_tefal",
        brand_name="Tefal", category_ids=["kettles", "home"], attributes={"material": "bamboo"},
        description={"en": "Stainless steel kettle with an ox-hide handle."}, prices={"UAH:retail": uah(99_900)},
        published_at="2024-07-01T00:00:00Z"),
    doc("p_headphones", "Sony wireless headphones", "Бездротові навушники Sony", brand_id="brand_sony",
        brand_name="Sony", category_ids=["headphones", "audio", "electronics"], attributes={"wireless": True},
        prices={"UAH:retail": uah(1_299_900)}, published_at="2024-02-01T00:00:00Z"),
    doc("p_blender", "Bosch blender with lamp", "Блендер Bosch", brand_id="brand_bosch", brand_name="Bosch",
        category_ids=["kitchen", "home"], prices={"UAH:retail": uah(299_900)}, published_at="2021-01-01T00:00:00Z"),
]  # fmt: skip


@pytest.fixture
def catalog(index: SearchIndex) -> SearchIndex:
    return load(index, CATALOG)


# --- full text and locales ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("ideapad ", "p_lenovo"), ("aluminium ", "p_lenovo"), ("tefal ", "p_kettle"), ("bamboo ", "p_kettle")],
    ids=["name", "description", "brand", "attribute"],
)
def test_full_text_covers_name_description_brand_and_attributes(
    catalog: SearchIndex, text: str, expected: str
) -> None:
    # GIVEN a catalog  WHEN searching a word that appears in only one field of one product
    result = search(catalog, text)
    # THEN that product is found without relaxation
    assert ids(result)[:1] == [expected]
    assert not result.relaxed


def test_ukrainian_locale_searches_ukrainian_names_and_falls_back_to_english(catalog: SearchIndex) -> None:
    # GIVEN products with Ukrainian names  WHEN searching in Ukrainian
    sofas = search(catalog, "диван ", "uk")
    # THEN the Ukrainian name matches, and English-only text still matches through the fallback
    assert ids(sofas)[:1] == ["p_sofa"]
    assert "p_lenovo" in ids(search(catalog, "aluminium ", "uk"))


def test_english_stemming_matches_inflected_forms(catalog: SearchIndex) -> None:
    # GIVEN "laptop" and "battery" in the catalog  WHEN searching plurals  THEN the singulars match
    assert set(ids(search(catalog, "laptops "))) >= {"p_lenovo", "p_asus"}
    assert "p_lenovo" in ids(search(catalog, "batteries "))


def test_ukrainian_light_stemming_matches_plural_and_genitive(catalog: SearchIndex) -> None:
    # GIVEN "Ноутбук" in Ukrainian names  WHEN searching "ноутбуки" and "ноутбуків"  THEN both laptops match
    for text in ("ноутбуки ", "ноутбуків "):
        assert set(ids(search(catalog, text, "uk"))) >= {"p_lenovo", "p_asus"}


# --- typo tolerance: fuzziness AUTO -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "strict"),
    [
        ("ox ", "p_kettle", True),  # 2 chars: exact
        ("ax ", "p_kettle", False),  # 2 chars, 1 edit: not strict
        ("lmap ", "p_blender", True),  # 4 chars, 1 transposition
        ("lxmq ", "p_blender", False),  # 4 chars, 2 edits: too many
        ("blendre ", "p_blender", True),  # 7 chars, 1 edit
        ("bkendrr ", "p_blender", True),  # 7 chars, 2 edits
        ("bkqndrr ", "p_blender", False),  # 7 chars, 3 edits
    ],
)
def test_fuzziness_auto_allows_edits_by_term_length(
    catalog: SearchIndex, text: str, expected: str, strict: bool
) -> None:
    # GIVEN "ox", "lamp" and "blender" in the catalog  WHEN searching with typos
    result = search(catalog, text)
    # THEN the strict query matches only within AUTO's edit budget; beyond it only the relaxed fallback runs
    if strict:
        assert expected in ids(result)
        assert not result.relaxed
    else:
        assert result.relaxed


# --- transliteration, keyboard layout, synonyms ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("айфон", "uk", "p_iphone"),
        ("noutbuk", "en", "p_lenovo"),
        ("леново", "uk", "p_lenovo"),
        ("zenbuk", "en", "p_asus"),
    ],
)
def test_transliteration_both_ways(catalog: SearchIndex, text: str, locale: str, expected: str) -> None:
    # GIVEN Latin brand names and Cyrillic product nouns  WHEN searching in the other alphabet  THEN found
    result = search(catalog, text, locale)
    assert expected in ids(result)
    assert not result.relaxed


def test_keyboard_layout_mistake_is_understood(catalog: SearchIndex) -> None:
    # GIVEN "Ноутбук" products  WHEN "ноутбук" is typed on an English layout
    result = search(catalog, "yjen,er", "uk")
    # THEN the laptops are found
    assert set(ids(result)) >= {"p_lenovo", "p_asus"}
    assert not result.relaxed


def test_synonyms_apply_at_runtime_without_reindex(catalog: SearchIndex) -> None:
    # GIVEN no synonyms: "couch" finds no sofa strictly
    assert search(catalog, "couch ").relaxed
    # WHEN a merchandiser sets a synonym group (multi-word and Cyrillic members included)
    catalog.set_synonyms([["sofa", "couch", "settee", "диван"], ["laptop", "notebook computer"]])
    # THEN the same index answers with the synonyms at once
    assert ids(search(catalog, "couch "))[:1] == ["p_sofa"]
    assert set(ids(search(catalog, "notebook computer "))) >= {"p_lenovo", "p_asus"}
    assert catalog.synonyms()[0] == ["sofa", "couch", "settee", "диван"]


# --- facets, filters, sorting, pagination -------------------------------------------------------------------


def test_category_filter_includes_descendants(catalog: SearchIndex) -> None:
    # GIVEN laptops, phones and headphones under "electronics"  WHEN filtering by the root category
    result = search(catalog, filters=SearchFilters(category_id="electronics"))
    # THEN every descendant's products are listed, nothing else
    assert set(ids(result)) == {"p_iphone", "p_lenovo", "p_asus", "p_headphones"}


def test_facets_count_categories_brands_prices_and_attributes(catalog: SearchIndex) -> None:
    # GIVEN the catalog  WHEN asking for every facet on "laptop"
    result = search(
        catalog, "laptop ", facets=["category", "brand", "price", "attributes"], price_context="UAH:retail"
    )
    facets = {name: {b.value: b.count for b in buckets} for name, buckets in result.facets.items()}
    # THEN counts cover ancestors, brands, price buckets and typed attribute values
    assert facets["category"]["electronics"] == 2
    assert facets["category"]["laptops"] == 2
    assert facets["brand"] == {"brand_lenovo": 1, "brand_asus": 1}
    assert facets["attributes.ram_gb"] == {"16": 1, "8": 1}
    assert sum(facets["price"].values()) == 2
    assert facets["price"]["2500000-5000000"] == 2


def test_filters_combine_brand_price_and_attributes(catalog: SearchIndex) -> None:
    # GIVEN the catalog  WHEN filtering by brand, a price range and an attribute
    by_brand = search(catalog, filters=SearchFilters(brand_ids=["brand_asus", "brand_sony"]))
    by_price = search(
        catalog,
        filters=SearchFilters(price=PriceFilter(currency="UAH", min=uah(1_000_000), max=uah(3_000_000))),
    )
    by_attr = search(catalog, filters=SearchFilters(attributes={"color": ["grey", "blue"], "ram_gb": ["16"]}))
    by_bool = search(catalog, filters=SearchFilters(attributes={"wireless": ["true"]}))
    # A currency no product is priced in: its price key is unknown to the index.
    unknown_price = search(
        catalog, filters=SearchFilters(price=PriceFilter(currency="JPY", min=Money.of(1, "JPY")))
    )
    # THEN each filter narrows exactly
    assert set(ids(by_brand)) == {"p_asus", "p_headphones"}
    assert set(ids(by_price)) == {"p_lenovo", "p_sofa", "p_headphones"}
    assert ids(by_attr) == ["p_lenovo"]
    assert ids(by_bool) == ["p_headphones"]
    assert ids(unknown_price) == []


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("price_asc", ["p_kettle", "p_blender", "p_headphones", "p_sofa", "p_lenovo", "p_asus", "p_iphone"]),
        ("price_desc", ["p_iphone", "p_asus", "p_lenovo", "p_sofa", "p_headphones", "p_blender", "p_kettle"]),
        ("newest", ["p_kettle", "p_lenovo", "p_iphone", "p_headphones", "p_asus", "p_sofa", "p_blender"]),
    ],
)
def test_sorting_by_price_and_newest(catalog: SearchIndex, sort: str, expected: list[str]) -> None:
    # GIVEN products with distinct prices and dates  WHEN listing with a sort  THEN the order follows it
    assert ids(search(catalog, sort=sort, price_context="UAH:retail", limit=20)) == expected


def test_pagination_walks_every_hit_once(catalog: SearchIndex) -> None:
    # GIVEN 7 products  WHEN paging by 3
    seen: list[str] = []
    token = None
    for _ in range(5):
        page = search(catalog, limit=3, page_token=token, sort="newest")
        seen += ids(page)
        token = page.next_page
        if token is None:
            break
    # THEN every product appears exactly once and the last page has no next token
    assert sorted(seen) == sorted(d.product_id for d in CATALOG)
    assert token is None
    assert page.total == 7


# --- relaxation, suggest, similar --------------------------------------------------------------------------------


def test_zero_results_fall_back_to_relaxed_query_with_did_you_mean(catalog: SearchIndex) -> None:
    # GIVEN no product matches every word  WHEN searching with typos and a nonsense word
    result = search(catalog, "lenvo idaepad qqqqqq ")
    # THEN a relaxed query answers and suggests the vocabulary's spelling
    assert result.relaxed
    assert ids(result)[:1] == ["p_lenovo"]
    assert result.did_you_mean == "lenovo ideapad qqqqqq"


@pytest.mark.parametrize(
    ("prefix", "locale", "expected"),
    [("idea", "en", "p_lenovo"), ("zenb", "en", "p_asus"), ("ideqp", "en", "p_lenovo"), ("айфо", "uk", "p_iphone"),
     ("ноутб", "uk", "p_lenovo"), ("yjen", "uk", "p_lenovo")],
)  # fmt: skip
def test_suggest_completes_prefixes_with_typos_and_transliteration(
    catalog: SearchIndex, prefix: str, locale: str, expected: str
) -> None:
    # GIVEN the catalog  WHEN asking for completions of a prefix
    suggestions = catalog.suggest(prefix, locale, 5)
    # THEN the product is suggested under its localised name
    assert expected in [s.product_id for s in suggestions]
    assert all(s.text for s in suggestions)


def test_similar_products_share_category_and_words(index: SearchIndex) -> None:
    # GIVEN laptops and kettles
    docs = [doc(f"lap{i}", f"Lenovo IdeaPad {i} laptop grey", category_ids=["laptops"]) for i in range(4)]
    docs += [doc(f"ket{i}", f"Tefal steel electric kettle {i}", category_ids=["kettles"]) for i in range(4)]
    load(index, docs)
    # WHEN asking for products similar to a laptop
    similar = index.similar("lap0", 3)
    # THEN other laptops come back, never the product itself
    assert len(similar) == 3
    assert all(pid.startswith("lap") for pid in similar)
    assert "lap0" not in similar
    assert index.similar("missing", 3) == []


# --- writes -----------------------------------------------------------------------------------------------


def test_upsert_is_idempotent_and_replaces(index: SearchIndex) -> None:
    # GIVEN a product indexed twice, then renamed
    load(index, [doc("p1", "Red kettle")])
    load(index, [doc("p1", "Red kettle")])
    assert index.count() == 1
    load(index, [doc("p1", "Blue teapot")])
    # THEN one document remains, with the new text only
    assert index.count() == 1
    assert ids(search(index, "teapot ")) == ["p1"]
    assert search(index, "kettle ").hits == []


def test_delete_removes_and_ignores_unknown_ids(index: SearchIndex) -> None:
    # GIVEN two products  WHEN deleting one and an unknown id
    load(index, [doc("p1", "Red kettle"), doc("p2", "Red teapot")])
    index.delete(["p1", "never-indexed"])
    index.refresh()
    # THEN only the other remains
    assert ids(search(index, "red ")) == ["p2"]
    assert index.count() == 1


def test_reindex_builds_a_fresh_index_and_swaps_the_alias(index: SearchIndex) -> None:
    # GIVEN a live index  WHEN a new index is built beside it
    load(index, [doc("old", "Old kettle")])
    fresh = index.create_index("contract-v2")
    load(fresh, [doc("new", "New kettle")])
    # THEN the alias still serves the old one until the swap, then the new one
    assert ids(search(index, "kettle ")) == ["old"]
    index.swap_alias("contract-v2")
    index.refresh()
    assert ids(search(index, "kettle ")) == ["new"]
    assert "contract-v2" in index.index_names()


# --- bad input ------------------------------------------------------------------------------------------------

NASTY = ['"', "(", ")", ":", "*", "~", "\\", '" ( ) : * ~ \\', 'name:"iphone" AND (x OR y)~2 \\*', "a" * 1000,
         "айфон " * 166, "-", "+", "[*", "{}", "/", "^2", "!", "&& ||", "\x00", "🙂", "    "]  # fmt: skip


@pytest.mark.parametrize("text", NASTY, ids=range(len(NASTY)))
def test_syntax_characters_and_long_queries_never_raise(catalog: SearchIndex, text: str) -> None:
    # GIVEN any user text  WHEN searching and suggesting  THEN results come back, never an engine error
    result = search(catalog, text[:1000], facets=["category"])
    assert result.total >= 0
    assert isinstance(catalog.suggest(text[:200], "uk", 5), list)


def test_empty_query_lists_by_filters(catalog: SearchIndex) -> None:
    # GIVEN the catalog  WHEN the text is empty  THEN every product is listed (the category/listing path)
    assert search(catalog).total == len(CATALOG)


# --- relevance on a generated catalogue ---------------------------------------------------------------------


def test_relevance_query_set_on_generated_catalogue(engine_factory: Any, queries_file: Path) -> None:
    # GIVEN 300 generated products (heroes among near-namesakes) and merchandiser synonyms
    from bench.search_engine import SYNONYMS

    index = load(engine_factory(), list(generate(300)))
    index.set_synonyms(SYNONYMS)
    expected = {key: d.product_id for key, d in heroes().items()}
    # WHEN running every query of the bench query set
    misses = []
    cases = [json.loads(line) for line in queries_file.read_text(encoding="utf-8").splitlines()]
    for case in cases:
        found = ids(index.search(SearchQuery(text=case["query"], locale=case["locale"], limit=10)))
        if expected[case["expected"]] not in found:
            misses.append(case["query"])
    # THEN recall@10 is at least 0.95
    assert 1 - len(misses) / len(cases) >= 0.95, misses


# --- the page is the index's own: documents on hits, lookups by id, availability -------------------


def test_every_hit_carries_the_document_it_shows(catalog: SearchIndex) -> None:
    # GIVEN the catalog WHEN a page is searched THEN each hit carries its whole indexed document
    result = search(catalog, "laptop ")
    assert set(ids(result)) == {"p_lenovo", "p_asus"}
    by_id = {d.product_id: d for d in CATALOG}
    for hit in result.hits:
        assert hit.document == by_id[hit.product_id]


def test_documents_are_read_by_id_and_unknown_or_deleted_ids_are_absent(catalog: SearchIndex) -> None:
    # GIVEN one product deleted from the index
    catalog.delete(["p_sofa"])
    catalog.refresh()
    # WHEN documents are read by id THEN only indexed ones come back
    found = catalog.documents(["p_kettle", "p_sofa", "p_unknown", "p_kettle"])
    assert list(found) == ["p_kettle"]
    assert found["p_kettle"].name["en"] == "Tefal Express electric kettle"
    assert catalog.documents([]) == {}


def test_in_stock_filters_on_the_contexts_where_a_product_is_not_sold_out(index: SearchIndex) -> None:
    # GIVEN a phone in stock for delivery to UA, a laptop low at the podil store, a sofa sold out everywhere
    load(
        index,
        [
            doc("p_phone", "Phone", availability={"any": "in_stock", "country:UA": "in_stock"}),
            doc("p_laptop", "Laptop", availability={"any": "low_stock", "store:podil": "low_stock"}),
            doc("p_sofa", "Sofa", availability={"any": "sold_out", "country:UA": "sold_out"}),
            doc("p_lamp", "Lamp"),
        ],
    )

    def buyable(*contexts: str) -> list[str]:
        result = search(index, filters=SearchFilters(buyable_in=list(contexts)), facets=["brand"])
        # totals and facets count only what the filter lets through
        assert result.total == len(result.hits)
        assert sum(b.count for b in result.facets.get("brand", [])) == result.total
        return sorted(ids(result))

    # WHEN filtered per context THEN only products not sold out there are found
    assert buyable("country:UA") == ["p_phone"]
    assert buyable("store:podil") == ["p_laptop"]
    assert buyable("country:UA", "store:podil") == ["p_laptop", "p_phone"]
    assert buyable("any") == ["p_laptop", "p_phone"]
    assert buyable("country:PL") == []


def test_an_electronic_product_passes_every_in_stock_filter(index: SearchIndex) -> None:
    # GIVEN an e-certificate, in stock everywhere without levels, and a phone in stock for delivery to UA
    load(
        index,
        [
            doc("p_ecert", "E-gift certificate", availability={"everywhere": "in_stock"}),
            doc("p_phone", "Phone", availability={"any": "in_stock", "country:UA": "in_stock"}),
        ],
    )
    # WHEN in_stock=true is asked for any country, pickup store or anywhere
    found = {
        (country, store): sorted(
            ids(
                search(
                    index, filters=SearchFilters(buyable_in=buyable_filter(shopper_contexts(country, store)))
                )
            )
        )
        for country, store in (("UA", None), ("PL", None), (None, "podil"), (None, None))
    }
    # THEN the e-certificate is always found; the phone only where it is stocked
    assert found == {
        ("UA", None): ["p_ecert", "p_phone"],
        ("PL", None): ["p_ecert"],
        (None, "podil"): ["p_ecert"],
        (None, None): ["p_ecert", "p_phone"],
    }
