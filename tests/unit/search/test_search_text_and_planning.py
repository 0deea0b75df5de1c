"""The engine-independent text rules and query planning (``search.domain.text`` / ``planning``)."""

from __future__ import annotations

import pytest

from search.domain.planning import SynonymSet, did_you_mean, plan_text, relax
from search.domain.text import (
    MAX_QUERY_TERMS,
    MAX_TERM_CHARS,
    auto_fuzziness,
    edit_distance,
    fold,
    sound_key,
    stem_uk,
    swap_layout,
    to_cyrillic,
    to_latin,
    tokenize,
)


def identity(word: str) -> str:
    return word


@pytest.mark.parametrize(("term", "edits"), [("a", 0), ("ox", 0), ("lamp", 1), ("kettle", 2), ("blender", 2)])
def test_auto_fuzziness_follows_opensearch_auto(term: str, edits: int) -> None:
    # GIVEN a term  WHEN asking its edit budget  THEN 0 for 1-2 chars, 1 for 3-5, 2 for 6+
    assert auto_fuzziness(term) == edits


def test_fold_lowercases_strips_latin_accents_and_merges_ukrainian_variants() -> None:
    # GIVEN mixed text  WHEN folded  THEN accents go, й survives, ґ/ї merge, apostrophes inside words vanish
    assert fold("Café ÜBER Ґанок Їжак м'ясо й") == "cafe uber ганок іжак мясо й"


def test_tokenize_treats_query_syntax_as_separators_and_caps_length() -> None:
    # GIVEN query syntax and a huge word  WHEN tokenized  THEN only words remain, each capped
    assert tokenize('name:"iphone" (pro)~2 \\* a_b') == ["name", "iphone", "pro", "2", "ab"]
    assert len(tokenize("x" * 1000)[0]) == MAX_TERM_CHARS


def test_transliteration_both_ways() -> None:
    # GIVEN words in one alphabet  WHEN transliterated  THEN they read in the other
    assert to_latin("ноутбук щастя") == "noutbuk shchastia"
    assert to_cyrillic("noutbuk shchastia") == "ноутбук щастя"


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("айфон", "iPhone"),
        ("самсунг", "Samsung"),
        ("макбук", "MacBook"),
        ("ксяомі", "Xiaomi"),
        ("хуавей", "Huawei"),
    ],
)
def test_sound_keys_meet_across_alphabets(left: str, right: str) -> None:
    # GIVEN a Cyrillic spelling of a Latin brand  WHEN keyed  THEN within one edit of each other
    assert edit_distance(sound_key(left), sound_key(right)) <= 1


def test_keyboard_layout_swap_both_ways_and_only_for_one_alphabet() -> None:
    # GIVEN text typed on the wrong layout  WHEN swapped  THEN the intended words appear
    assert swap_layout("yjen,er") == "ноутбук"
    assert swap_layout("шзрщту") == "iphone"
    # AND mixed-alphabet text is not a layout mistake
    assert swap_layout("iphone чохол") is None


@pytest.mark.parametrize(
    ("word", "stem"),
    [("ноутбуки", "ноутбук"), ("ноутбуків", "ноутбук"), ("ноутбук", "ноутбук"), ("дім", "дім")],
)
def test_ukrainian_light_stemmer_strips_endings_but_keeps_short_stems(word: str, stem: str) -> None:
    # GIVEN inflected forms  WHEN stemmed  THEN they meet, and 3-letter words stay whole
    assert stem_uk(word) == stem


def test_edit_distance_counts_a_transposition_as_one() -> None:
    # GIVEN swapped letters  WHEN measured  THEN one edit; far-apart words stop at the limit
    assert edit_distance("lmap", "lamp") == 1
    assert edit_distance("abc", "xyzabcdef", limit=3) == 3


def test_plan_marks_the_unfinished_last_word_as_prefix_and_stopwords_optional() -> None:
    # GIVEN a query still being typed  WHEN planned
    plan = plan_text("case for iph", "en", identity)[0]
    # THEN only the last word is a prefix and "for" need not match
    assert [t.prefix for slot in plan.slots for t in slot.typed] == [False, False, True]
    assert [slot.optional for slot in plan.slots] == [False, True, False]
    assert not plan_text("case for iph ", "en", identity)[0].slots[-1].typed[0].prefix


def test_plan_expands_multiword_synonyms_exactly() -> None:
    # GIVEN a synonym group with a two-word member
    synonyms = SynonymSet([["laptop", "notebook computer"]], identity)
    # WHEN planning the two-word member
    plan = plan_text("notebook computer ", "en", identity, synonyms)[0]
    # THEN one slot offers both spellings, the synonym without fuzziness
    assert len(plan.slots) == 1
    alternatives = [[t.text for t in alt] for alt in plan.slots[0].alternatives]
    assert alternatives == [["notebook", "computer"], ["laptop"]]
    assert plan.slots[0].alternatives[1][0].fuzziness == 0


def test_plan_adds_the_layout_reading_with_a_lower_boost() -> None:
    # GIVEN a query on the wrong layout  WHEN planned  THEN a second, weaker plan reads it retyped
    plans = plan_text("yjen,er", "uk", identity)
    assert [p.source for p in plans] == ["typed", "layout"]
    assert plans[1].words == ["ноутбук"]
    assert plans[1].boost < 1


def test_plan_caps_the_number_of_terms() -> None:
    # GIVEN a 1,000-character query  WHEN planned  THEN the plan stays small
    assert len(plan_text("word " * 200, "en", identity)[0].slots) <= MAX_QUERY_TERMS


def test_relax_allows_any_slot_and_one_more_edit() -> None:
    # GIVEN a strict plan  WHEN relaxed  THEN any slot may match, each term with one more edit (max 2)
    relaxed = relax(plan_text("ox blender ", "en", identity)[0])
    assert relaxed.any_slot
    assert [s.typed[0].fuzziness for s in relaxed.slots] == [1, 2]


def test_did_you_mean_uses_the_closest_vocabulary_words() -> None:
    # GIVEN a misspelt query and the words of the documents the relaxed query found
    plan = plan_text("lenvo idaepad qqqq ", "en", identity)[0]
    # WHEN correcting  THEN misspelt words are replaced, unknown ones kept, and no change means None
    assert did_you_mean(plan, ["lenovo", "ideapad", "laptop"]) == "lenovo ideapad qqqq"
    assert did_you_mean(plan_text("lenovo ", "en", identity)[0], ["lenovo"]) is None
