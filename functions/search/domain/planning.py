"""Query planning: user text -> engine-independent plans, zero-result relaxation and "did you mean".

A ``QueryPlan`` is a conjunction of ``Slot``s (every slot must match, except stop words); a slot is a
disjunction of alternatives (the words the user typed, or a synonym of them); an alternative is a conjunction
of ``Term``s (a multi-word synonym). Each term carries its folded form, its stem, its cross-script sound key,
its ``AUTO`` fuzziness and whether it is an unfinished prefix (the last word of a query typed without a
trailing space). Engines compile plans into their own query objects; they never see raw user text, so
query syntax characters are just separators.

The strict plan is tried first; when it finds nothing, ``relax`` turns the conjunction into a disjunction
and allows one more edit, and ``did_you_mean`` rewrites each query word to its closest word from the
documents the relaxed query found (the index vocabulary), if that changes anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from search.domain.text import (
    MAX_QUERY_TERMS,
    STOPWORDS,
    auto_fuzziness,
    edit_distance,
    fold,
    sound_key,
    swap_layout,
    tokenize,
)

Stemmer = Callable[[str], str]
MAX_FUZZINESS = 2
MIN_PREFIX_CHARS = 2


@dataclass(frozen=True)
class Term:
    text: str
    stem: str
    sound: str
    fuzziness: int
    prefix: bool = False


@dataclass(frozen=True)
class Slot:
    alternatives: tuple[tuple[Term, ...], ...]
    optional: bool = False

    @property
    def typed(self) -> tuple[Term, ...]:
        """The words the user typed (the first alternative)."""
        return self.alternatives[0]


@dataclass(frozen=True)
class QueryPlan:
    slots: tuple[Slot, ...]
    any_slot: bool = False
    boost: float = 1.0
    source: str = "typed"

    @property
    def words(self) -> list[str]:
        return [term.text for slot in self.slots for term in slot.typed]


class SynonymSet:
    """Synonym groups matched on stems, so "laptops" expands like "laptop"; multi-word members allowed."""

    def __init__(self, groups: Iterable[Sequence[str]], stem: Stemmer) -> None:
        self.groups: list[list[str]] = [list(group) for group in groups]
        self._stem = stem
        self._members: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        for group in self.groups:
            members = [tuple(tokenize(member)) for member in group]
            members = [member for member in members if member]
            for member in members:
                key = tuple(stem(word) for word in member)
                self._members.setdefault(key, []).extend(m for m in members if m != member)
        self.longest = max((len(key) for key in self._members), default=0)

    def expansions(self, stems: Sequence[str]) -> list[tuple[str, ...]] | None:
        return self._members.get(tuple(stems))


def make_term(word: str, stem: Stemmer, *, prefix: bool = False) -> Term:
    return Term(
        text=word,
        stem=stem(word),
        sound=sound_key(word, complete=not prefix),
        fuzziness=auto_fuzziness(word),
        prefix=prefix,
    )


def plan_text(text: str, locale: str, stem: Stemmer, synonyms: SynonymSet | None = None) -> list[QueryPlan]:
    """Plans for the text as typed and, when it looks like a keyboard-layout mistake, as retyped."""
    plans = []
    typed = _plan_words(tokenize(text), text, locale, stem, synonyms)
    if typed.slots:
        plans.append(typed)
    swapped = swap_layout(text)
    if swapped:
        retyped = _plan_words(tokenize(swapped), swapped, locale, stem, synonyms)
        if retyped.slots:
            plans.append(replace(retyped, boost=0.8, source="layout"))
    return plans


def _plan_words(
    words: list[str], raw: str, locale: str, stem: Stemmer, synonyms: SynonymSet | None
) -> QueryPlan:
    words = words[:MAX_QUERY_TERMS]
    # The last word is a prefix while the user is still typing it (no trailing space or punctuation).
    open_ended = bool(words) and bool(raw) and fold(raw).rstrip()[-1:].isalnum() and raw[-1:] != " "
    stems = [stem(word) for word in words]
    stopwords = STOPWORDS.get(locale, frozenset())
    slots: list[Slot] = []
    i = 0
    while i < len(words):
        width, expansions = _synonym_at(stems, i, synonyms)
        typed = tuple(
            make_term(word, stem, prefix=open_ended and i + k == len(words) - 1)
            for k, word in enumerate(words[i : i + width])
        )
        # Synonyms expand exactly: fuzzing every member would multiply the cost and drift in meaning.
        synonyms_of = [
            tuple(replace(make_term(w, stem), fuzziness=0) for w in member) for member in expansions
        ]
        alternatives = [typed, *synonyms_of]
        optional = width == 1 and words[i] in stopwords and len(words) > 1
        slots.append(Slot(alternatives=tuple(alternatives), optional=optional))
        i += width
    return QueryPlan(slots=tuple(slots))


def _synonym_at(stems: list[str], i: int, synonyms: SynonymSet | None) -> tuple[int, list[tuple[str, ...]]]:
    if synonyms is not None:
        for width in range(min(synonyms.longest, len(stems) - i), 0, -1):
            found = synonyms.expansions(stems[i : i + width])
            if found:
                return width, found
    return 1, []


def relax(plan: QueryPlan) -> QueryPlan:
    """Any slot may match instead of all, with one more edit per term (capped at 2, as the engines allow)."""
    slots = tuple(
        replace(
            slot,
            alternatives=tuple(
                tuple(replace(term, fuzziness=min(MAX_FUZZINESS, term.fuzziness + 1)) for term in alternative)
                for alternative in slot.alternatives
            ),
        )
        for slot in plan.slots
    )
    return replace(plan, slots=slots, any_slot=True)


def did_you_mean(plan: QueryPlan, vocabulary: Iterable[str]) -> str | None:
    """The query with each word replaced by its closest vocabulary word, or None if nothing changes."""
    candidates = {word for word in vocabulary if len(word) > 1}
    corrected: list[str] = []
    for word in plan.words:
        best = _closest(word, candidates)
        corrected.append(best or word)
    suggestion = " ".join(corrected)
    return suggestion if suggestion != " ".join(plan.words) else None


def _closest(word: str, candidates: set[str]) -> str | None:
    if word in candidates or word.isdigit():
        return None
    allowed = min(MAX_FUZZINESS, auto_fuzziness(word) + 1)
    key = sound_key(word)
    best: tuple[int, int, str] | None = None
    for candidate in candidates:
        distance = min(
            edit_distance(word, candidate, allowed + 1), edit_distance(key, sound_key(candidate), allowed + 1)
        )
        if distance <= allowed:
            rank = (distance, abs(len(candidate) - len(word)), candidate)
            best = rank if best is None or rank < best else best
    return best[2] if best else None
