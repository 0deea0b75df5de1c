"""The OpenSearch index definition is pinned: any change to analyzers or mappings fails here until the
snapshot is regenerated on purpose (``UPDATE_SNAPSHOTS=1 pytest tests/unit/search``) and reviewed."""

from __future__ import annotations

import json
import os
from pathlib import Path

from search.adapters.index_definition import document_source, index_body, synonym_lines

SNAPSHOT = Path(__file__).parent / "snapshots" / "opensearch_index.json"


def test_index_definition_matches_the_snapshot() -> None:
    # GIVEN the definition with one synonym group
    body = index_body(synonyms=synonym_lines([["laptop", "notebook", "ноутбук"]]))
    rendered = json.dumps(body, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(rendered, encoding="utf-8")
    # WHEN / THEN it is exactly the reviewed snapshot
    assert rendered == SNAPSHOT.read_text(encoding="utf-8")


def test_definition_has_the_analysis_the_issue_asks_for() -> None:
    # GIVEN the definition
    analysis = index_body()["settings"]["analysis"]
    filters = analysis["filter"]
    # THEN ICU folding, Cyrillic->Latin transform, an updateable synonym graph and edge n-grams exist
    assert filters["shop_folding"] == {"type": "icu_folding"}
    assert filters["shop_to_latin"] == {"type": "icu_transform", "id": "Any-Latin; Latin-ASCII"}
    assert filters["shop_synonyms"]["type"] == "synonym_graph"
    assert filters["shop_synonyms"]["updateable"] is True
    assert filters["shop_edge_ngram"]["type"] == "edge_ngram"
    # AND synonyms are applied at search time only
    for name, analyzer in analysis["analyzer"].items():
        if "shop_synonyms" in analyzer["filter"]:
            assert name.endswith("_search"), name
    assert filters["shop_stem_en"]["language"] == "english"


def test_synonyms_path_replaces_inline_synonyms() -> None:
    # GIVEN / WHEN a package path is given
    synonyms = index_body(synonyms=["a, b"], synonyms_path="analyzers/F1")["settings"]["analysis"]["filter"]
    # THEN the filter reads the package and lists no inline synonyms
    assert synonyms["shop_synonyms"]["synonyms_path"] == "analyzers/F1"
    assert "synonyms" not in synonyms["shop_synonyms"]


def test_document_source_fits_the_strict_mapping() -> None:
    # GIVEN a search document as the adapter dumps it
    doc = {
        "product_id": "prod_1",
        "name": {"en": "iPhone 15", "uk": "Айфон 15", "de": "ignored"},
        "attributes": {"colour": "black", "touch": True, "size": 15},
        "prices": {"EUR:retail": 99900},
        "published_at": "2026-11-23T00:00:00.000Z",
    }
    # WHEN it becomes an OpenSearch source
    source = document_source(doc)
    properties = index_body()["mappings"]["properties"]
    # THEN every field is mapped, attributes are code=value keywords and names have sound keys
    assert set(source) <= set(properties)
    assert source["attribute_values"] == ["colour=black", "size=15", "touch=true"]
    assert set(source["name"]) == {"en", "uk"}
    assert "ifon" in source["sound"].split()
