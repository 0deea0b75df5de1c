"""The embedded engine's tantivy schema, its analyzers, and how a ``SearchDocument`` becomes index fields.

Text is normalised in Python with the shared rules of ``search.domain.text`` and handed to tantivy as
space-separated tokens, so index and query side cannot drift:

- ``name_<locale>`` / ``body_<locale>``: the product name, and name + brand + description + attribute values +
  SKUs, in each supported locale (a missing translation falls back to English). English goes through tantivy's
  English (Snowball) stemmer (analyzer ``shop_en``); Ukrainian is pre-stemmed with the light ``stem_uk``.
- ``words``: unstemmed folded words of every name and the brand, for prefix completion.
- ``sound``: ``sound_key`` of every name word and the brand, for cross-script and sound-alike matches.
- ``brand_id``, ``category`` (own + ancestors), ``attr`` (``"code=value"``): raw keyword fast fields for
  filters and facet aggregations; ``buyable``: the availability contexts (``any``, ``country:<CC>``,
  ``store:<id>``) where the product is not sold out, for the ``in_stock`` filter.
- ``price_0`` .. ``price_15``: integer fast fields; ``price_slots.json`` beside the index maps each
  ``"<CURRENCY>:<price_list>"`` to a slot (tantivy cannot range-filter or sort on a JSON sub-path).
- ``published`` (epoch seconds) and ``popularity`` (damped): fast fields for the "newest" sort and relevance weighting.
- ``doc``: the whole ``SearchDocument`` as stored JSON bytes: what a hit shows (the result page is answered
  from the index alone), suggestions, did-you-mean, more-like-this.
"""

from __future__ import annotations

import math
from datetime import datetime
from functools import lru_cache

import tantivy

from search.domain.model import SearchDocument
from search.domain.text import sound_key, stem_uk, tokenize
from shop_kernel.availability import buyable_contexts
from shop_kernel.locale import DEFAULT_LOCALE, SUPPORTED_LOCALES, localise

PRICE_SLOTS = 16
EN_ANALYZER = "shop_en"
PLAIN_ANALYZER = "shop_plain"
_ANALYZER_OF = {"en": EN_ANALYZER}


def analyzers() -> dict[str, tantivy.TextAnalyzer]:
    plain = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()
    english = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )
    return {PLAIN_ANALYZER: plain, EN_ANALYZER: english}


_ENGLISH = analyzers()[EN_ANALYZER]


@lru_cache(maxsize=65_536)
def stem_en(word: str) -> str:
    stems = _ENGLISH.analyze(word)
    return stems[0] if stems else word


def stem_for(locale: str, word: str) -> str:
    return stem_en(word) if locale == "en" else stem_uk(word)


def build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw", index_option="basic")
    for locale in SUPPORTED_LOCALES:
        analyzer = _ANALYZER_OF.get(locale, PLAIN_ANALYZER)
        builder.add_text_field(f"name_{locale}", tokenizer_name=analyzer, index_option="freq")
        builder.add_text_field(f"body_{locale}", tokenizer_name=analyzer, index_option="freq")
    builder.add_text_field("words", tokenizer_name=PLAIN_ANALYZER, index_option="basic")
    builder.add_text_field("sound", tokenizer_name=PLAIN_ANALYZER, index_option="freq")
    for keyword in ("brand_id", "category", "attr", "buyable"):
        builder.add_text_field(keyword, tokenizer_name="raw", index_option="basic", fast=True)
    for slot in range(PRICE_SLOTS):
        builder.add_integer_field(f"price_{slot}", indexed=True, fast=True)
    builder.add_integer_field("published", indexed=True, fast=True)
    builder.add_float_field("popularity", fast=True)
    builder.add_bytes_field("doc", stored=True)
    return builder.build()


def localised_text(doc: SearchDocument, locale: str) -> dict[str, str]:
    """The analyzed-ready text of the name and body fields in one locale (pre-stemmed where Python stems)."""
    name = localise(doc.name, locale, DEFAULT_LOCALE) or ""
    description = localise(doc.description, locale, DEFAULT_LOCALE) or ""
    attribute_values = [str(v) for v in doc.attributes.values() if not isinstance(v, bool)]
    body_parts = [name, doc.brand_name or "", description, *attribute_values, *doc.skus]
    name_words = tokenize(name)
    body_words = tokenize(" ".join(body_parts))
    if locale != "en":
        name_words = [stem_uk(word) for word in name_words]
        body_words = [stem_uk(word) for word in body_words]
    return {f"name_{locale}": " ".join(name_words), f"body_{locale}": " ".join(body_words)}


def display_words(doc: SearchDocument) -> list[str]:
    """Every folded word of every name and the brand, once each."""
    words = tokenize(" ".join([*doc.name.values(), doc.brand_name or ""]))
    return list(dict.fromkeys(words))


def text_fields(doc: SearchDocument) -> dict[str, str]:
    fields: dict[str, str] = {}
    for locale in SUPPORTED_LOCALES:
        fields.update(localised_text(doc, locale))
    words = display_words(doc)
    fields["words"] = " ".join(words)
    fields["sound"] = " ".join(dict.fromkeys(sound_key(word) for word in words))
    return fields


def attribute_pairs(attributes: dict[str, object]) -> list[str]:
    return [f"{code}={attribute_value(value)}" for code, value in attributes.items()]


def attribute_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def popularity_weight(popularity: int) -> float:
    """Damped so relevance still leads: tantivy multiplies scores by log2(2 + w), here at most ~1.5x."""
    return math.log10(1 + max(0, popularity)) / 4


def epoch_seconds(iso: str) -> int:
    try:
        return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return 0


def to_document(doc: SearchDocument, slots: dict[str, int]) -> tantivy.Document:
    out = tantivy.Document()
    out.add_text("id", doc.product_id)
    for field, text in text_fields(doc).items():
        out.add_text(field, text)
    if doc.brand_id:
        out.add_text("brand_id", doc.brand_id)
    for category_id in dict.fromkeys(doc.category_ids):
        out.add_text("category", category_id)
    for pair in attribute_pairs(dict(doc.attributes)):
        out.add_text("attr", pair)
    for context in buyable_contexts(dict(doc.availability)):
        out.add_text("buyable", context)
    for key, price in doc.prices.items():
        if key in slots:
            out.add_integer(f"price_{slots[key]}", price.amount)
    out.add_integer("published", epoch_seconds(doc.published_at))
    out.add_float("popularity", popularity_weight(doc.popularity))
    out.add_bytes("doc", doc.model_dump_json().encode())
    return out
