"""The OpenSearch product index as code: analysis settings and mappings (pinned by a snapshot test).

Analysis, per field family:

* ``text_<locale>`` (index) / ``text_<locale>_search`` (query): ICU tokenizer, ICU folding (lower case,
  accents, width), then the locale's stemmer. The search-time variant adds the ``shop_synonyms``
  ``synonym_graph`` filter, declared ``updateable`` so merchandisers' synonyms are reloaded with
  ``_plugins/_refresh_search_analyzers`` instead of a reindex (synonym graphs only work at search time,
  which is also why the index-time analyzer has none).
* Stemmers: English uses ``english`` (Porter); Ukrainian uses ``light_russian``. OpenSearch has no
  built-in Ukrainian stemmer (the morfologik ``analysis-ukrainian`` plugin is optional and a hunspell
  dictionary would have to be shipped to the domain), and the light Russian stemmer only strips the
  inflection endings Ukrainian shares with Russian (plural and case endings), so it conflates plural and
  case forms without over-stemming. Both sides of a match go through it, so a miss costs recall only.
* ``translit``: ``icu_transform`` ``Any-Latin; Latin-ASCII`` then folding, on index and query side, so
  Cyrillic and Latin spellings meet in one ASCII form ("ноутбук" and "noutbuk" -> ``noutbuk``).
* ``autocomplete`` (index) / ``autocomplete_search``: edge n-grams (1-20) of folded tokens for prefix
  suggestions, and ``autocomplete_translit`` for prefixes typed in the other alphabet.

Mappings are ``dynamic: strict`` (a typo in the indexer fails loudly instead of growing the mapping).
Names and descriptions have one sub-object per locale; attributes are indexed as ``code=value`` keywords
(``attribute_values``: one field for every attribute, so facets and filters need no per-attribute
mapping) plus free text (``attribute_text``); ``sound`` holds cross-script spelling keys of the names; prices are ``prices.<CURRENCY>:<price_list>`` longs.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from search.domain.text import sound_key, tokenize
from shop_kernel.availability import buyable_contexts

LOCALES: tuple[str, ...] = ("en", "uk")
STEMMERS: dict[str, str] = {"en": "english", "uk": "light_russian"}
TRANSLITERATION = "Any-Latin; Latin-ASCII"
EDGE_NGRAM_MIN = 1
EDGE_NGRAM_MAX = 20
SYNONYM_FILTER = "shop_synonyms"


def _analysis(synonyms: Sequence[str], synonyms_path: str | None) -> dict[str, Any]:
    synonym_filter: dict[str, Any] = {"type": "synonym_graph", "updateable": True, "lenient": True}
    if synonyms_path:
        # An Amazon OpenSearch Service package ("analyzers/F...") that UpdatePackage replaces.
        synonym_filter["synonyms_path"] = synonyms_path
    else:
        synonym_filter["synonyms"] = list(synonyms)
    filters: dict[str, Any] = {
        "shop_folding": {"type": "icu_folding"},
        "shop_to_latin": {"type": "icu_transform", "id": TRANSLITERATION},
        "shop_edge_ngram": {"type": "edge_ngram", "min_gram": EDGE_NGRAM_MIN, "max_gram": EDGE_NGRAM_MAX},
        SYNONYM_FILTER: synonym_filter,
    }
    analyzers: dict[str, Any] = {
        "plain": {"type": "custom", "tokenizer": "icu_tokenizer", "filter": ["shop_folding"]},
        "translit": {
            "type": "custom",
            "tokenizer": "icu_tokenizer",
            "filter": ["shop_to_latin", "shop_folding"],
        },
        "translit_search": {
            "type": "custom",
            "tokenizer": "icu_tokenizer",
            "filter": ["shop_to_latin", "shop_folding", SYNONYM_FILTER],
        },
        "autocomplete": {
            "type": "custom",
            "tokenizer": "icu_tokenizer",
            "filter": ["shop_folding", "shop_edge_ngram"],
        },
        "autocomplete_translit": {
            "type": "custom",
            "tokenizer": "icu_tokenizer",
            "filter": ["shop_to_latin", "shop_folding", "shop_edge_ngram"],
        },
        "autocomplete_search": {"type": "custom", "tokenizer": "icu_tokenizer", "filter": ["shop_folding"]},
    }
    for locale in LOCALES:
        stemmer = f"shop_stem_{locale}"
        filters[stemmer] = {"type": "stemmer", "language": STEMMERS[locale]}
        analyzers[f"text_{locale}"] = {
            "type": "custom",
            "tokenizer": "icu_tokenizer",
            "filter": ["shop_folding", stemmer],
        }
        analyzers[f"text_{locale}_search"] = {
            "type": "custom",
            "tokenizer": "icu_tokenizer",
            "filter": ["shop_folding", SYNONYM_FILTER, stemmer],
        }
    return {"filter": filters, "analyzer": analyzers}


def _localised_text(locale: str, *, prefixes: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "translit": {"type": "text", "analyzer": "translit", "search_analyzer": "translit_search"},
    }
    if prefixes:
        fields["prefix"] = {
            "type": "text",
            "analyzer": "autocomplete",
            "search_analyzer": "autocomplete_search",
        }
        fields["prefix_translit"] = {
            "type": "text",
            "analyzer": "autocomplete_translit",
            "search_analyzer": "translit",
        }
        fields["keyword"] = {"type": "keyword", "ignore_above": 256}
    return {
        "type": "text",
        "analyzer": f"text_{locale}",
        "search_analyzer": f"text_{locale}_search",
        "fields": fields,
    }


def _mappings() -> dict[str, Any]:
    keyword = {"type": "keyword"}
    return {
        "dynamic": "strict",
        "properties": {
            "product_id": keyword,
            "name": {
                "properties": {loc: _localised_text(loc, prefixes=True) for loc in LOCALES},
            },
            "description": {
                "properties": {loc: _localised_text(loc, prefixes=False) for loc in LOCALES},
            },
            "brand_id": keyword,
            "brand_name": {
                "type": "text",
                "analyzer": "plain",
                "fields": {
                    "keyword": {"type": "keyword", "ignore_above": 256},
                    "translit": {"type": "text", "analyzer": "translit"},
                },
            },
            "category_ids": keyword,
            "attribute_values": keyword,
            "attribute_text": {
                "type": "text",
                "analyzer": "plain",
                "fields": {"translit": {"type": "text", "analyzer": "translit"}},
            },
            "prices": {"type": "object", "dynamic": True},
            "skus": keyword,
            "slugs": {"type": "object", "enabled": False},
            "published_at": {"type": "date"},
            "popularity": {"type": "integer"},
            "related_ids": keyword,
            "buyable": keyword,
            # The whole SearchDocument, stored not indexed: what a hit shows.
            "document": {"type": "object", "enabled": False},
            # Cross-script spelling keys of the names (search.domain.text.sound_key), computed by the
            # adapter because no analyzer can: "айфон" and "iPhone" meet here.
            "sound": {"type": "text", "analyzer": "whitespace"},
        },
        "dynamic_templates": [
            {
                "prices_in_minor_units": {
                    "path_match": "prices.*",
                    "mapping": {"type": "long"},
                }
            }
        ],
    }


def index_body(
    *,
    synonyms: Sequence[str] = (),
    synonyms_path: str | None = None,
    shards: int = 1,
    replicas: int = 1,
) -> dict[str, Any]:
    """The ``PUT /<index>`` body. ``synonyms`` are Solr-format lines ("laptop, notebook, ноутбук")."""
    return copy.deepcopy(
        {
            "settings": {
                "index": {
                    "number_of_shards": shards,
                    "number_of_replicas": replicas,
                    # search_after pagination and facets read deep; results stay bounded by the limit.
                    "max_result_window": 10_000,
                },
                "analysis": _analysis(synonyms, synonyms_path),
            },
            "mappings": _mappings(),
        }
    )


def synonym_lines(groups: Sequence[Sequence[str]]) -> list[str]:
    """Merchandiser groups -> Solr synonym lines, equivalent terms comma separated."""
    lines = []
    for group in groups:
        terms = [t.replace(",", " ").strip() for t in group if t.strip()]
        if len(terms) > 1:
            lines.append(", ".join(terms))
    return lines


def document_source(
    doc: dict[str, Any],
) -> dict[str, Any]:
    """A ``SearchDocument.model_dump()`` -> the ``_source`` this mapping accepts."""
    attributes = doc.get("attributes") or {}
    values = [f"{code}={_scalar(value)}" for code, value in sorted(attributes.items())]
    return {
        "product_id": doc["product_id"],
        "name": {loc: text for loc, text in (doc.get("name") or {}).items() if loc in LOCALES},
        "description": {loc: text for loc, text in (doc.get("description") or {}).items() if loc in LOCALES},
        "brand_id": doc.get("brand_id"),
        "brand_name": doc.get("brand_name"),
        "category_ids": list(doc.get("category_ids") or []),
        "attribute_values": values,
        "attribute_text": " ".join(_scalar(v) for v in attributes.values() if not isinstance(v, bool)),
        "prices": dict(doc.get("prices") or {}),
        "skus": list(doc.get("skus") or []),
        "slugs": dict(doc.get("slugs") or {}),
        "published_at": doc.get("published_at"),
        "popularity": int(doc.get("popularity") or 0),
        "related_ids": list(doc.get("related_ids") or []),
        "buyable": buyable_contexts(dict(doc.get("availability") or {})),
        "document": doc,
        "sound": " ".join(
            dict.fromkeys(
                sound_key(token) for text in (doc.get("name") or {}).values() for token in tokenize(text)
            )
        ),
    }


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
