"""Compiles the domain's query plans and filters into tantivy ``Query`` objects.

Every query is built from terms with the Query API (term, fuzzy term, term set, range, boolean,
disjunction-max), never by the query parser, so no user text can be a syntax error.

Per term, a disjunction-max over: the stem in the locale's name (strongest) and body fields, the sound key
(cross-script), fuzzy variants of those with the term's ``AUTO`` edit distance, and for an unfinished last
word, prefix matches on the folded words and sound keys (with a typo allowed once the prefix is 4+ long).
Fuzzy and prefix matches score a constant, so the boosts below rank exact > stemmed > fuzzy.

A word found as it is in the index vocabulary gets no fuzzy expansion (``Known``): it already matches, its
near neighbours would only add noise, and skipping the Levenshtein automata keeps fuzzy queries within the
latency budget at 100k products. An unknown word gets the full ``AUTO`` budget.
"""

from __future__ import annotations

from collections.abc import Callable

import tantivy

from search.domain.model import SearchFilters
from search.domain.planning import QueryPlan, Slot, Term
from search.domain.text import auto_fuzziness

Occur = tantivy.Occur
Query = tantivy.Query
Known = Callable[[str, str], bool]


def _unknown(field: str, token: str) -> bool:
    return False


NAME_BOOST = 4.0
BODY_BOOST = 1.0
SOUND_BOOST = 1.5
FUZZY_NAME_BOOST = 1.2
FUZZY_BODY_BOOST = 0.4
FUZZY_SOUND_BOOST = 0.6
PREFIX_BOOST = 2.0
FUZZY_PREFIX_SHARE = 0.5
TIE_BREAKER = 0.2


def compile_plans(
    schema: tantivy.Schema, plans: list[QueryPlan], locale: str, known: Known = _unknown
) -> Query:
    compiled = [
        (Occur.Should, _boost(compile_plan(schema, plan, locale, known), plan.boost)) for plan in plans
    ]
    return compiled[0][1] if len(compiled) == 1 else Query.boolean_query(compiled)


def compile_plan(schema: tantivy.Schema, plan: QueryPlan, locale: str, known: Known = _unknown) -> Query:
    clauses = []
    for slot in plan.slots:
        occur = Occur.Should if plan.any_slot or slot.optional else Occur.Must
        clauses.append((occur, _slot(schema, slot, locale, known)))
    if all(occur == Occur.Should for occur, _ in clauses):
        return Query.boolean_query(clauses, 1) if len(clauses) > 1 else clauses[0][1]
    return Query.boolean_query(clauses)


def _slot(schema: tantivy.Schema, slot: Slot, locale: str, known: Known) -> Query:
    alternatives = [_alternative(schema, terms, locale, known) for terms in slot.alternatives]
    if len(alternatives) == 1:
        return alternatives[0]
    return Query.boolean_query([(Occur.Should, alternative) for alternative in alternatives])


def _alternative(schema: tantivy.Schema, terms: tuple[Term, ...], locale: str, known: Known) -> Query:
    if len(terms) == 1:
        return term_query(schema, terms[0], locale, known)
    return Query.boolean_query([(Occur.Must, term_query(schema, term, locale, known)) for term in terms])


def term_query(schema: tantivy.Schema, term: Term, locale: str, known: Known = _unknown) -> Query:
    name, body = f"name_{locale}", f"body_{locale}"
    options = [
        _boost(Query.term_query(schema, name, term.stem, "freq"), NAME_BOOST),
        _boost(Query.term_query(schema, body, term.stem, "freq"), BODY_BOOST),
    ]
    if term.sound:
        options.append(_boost(Query.term_query(schema, "sound", term.sound, "freq"), SOUND_BOOST))
    if term.fuzziness and not (known(name, term.stem) or known(body, term.stem)):
        options += [
            _boost(_fuzzy(schema, name, term.stem, term.fuzziness), FUZZY_NAME_BOOST),
            _boost(_fuzzy(schema, body, term.stem, term.fuzziness), FUZZY_BODY_BOOST),
        ]
        if term.sound:
            sound_fuzz = min(term.fuzziness, auto_fuzziness(term.sound))
            if sound_fuzz:
                options.append(_boost(_fuzzy(schema, "sound", term.sound, sound_fuzz), FUZZY_SOUND_BOOST))
    if term.prefix:
        options += _prefix_options(schema, term, with_typo=not known("words", term.text))
    return Query.disjunction_max_query(options, TIE_BREAKER)


def _prefix_options(schema: tantivy.Schema, term: Term, *, with_typo: bool) -> list[Query]:
    # A typo is allowed in a prefix only once it is long enough not to match half the vocabulary.
    options = []
    for field, text, boost in (("words", term.text, PREFIX_BOOST), ("sound", term.sound, PREFIX_BOOST * 0.8)):
        if len(text) >= 2:
            options.append(_boost(_fuzzy(schema, field, text, 0, prefix=True), boost))
        if with_typo and len(text) >= 4:
            options.append(_boost(_fuzzy(schema, field, text, 1, prefix=True), boost * FUZZY_PREFIX_SHARE))
    return options


def _fuzzy(schema: tantivy.Schema, field: str, text: str, distance: int, *, prefix: bool = False) -> Query:
    return Query.fuzzy_term_query(schema, field, text, distance, True, prefix)


def _boost(query: Query, boost: float) -> Query:
    return query if boost == 1.0 else Query.boost_query(query, boost)


def filter_clauses(schema: tantivy.Schema, filters: SearchFilters, price_slot: int | None) -> list[Query]:
    """One clause per active filter; an unknown price key yields a query that matches nothing."""
    clauses: list[Query] = []
    if filters.category_id:
        clauses.append(Query.term_query(schema, "category", filters.category_id, "basic"))
    if filters.brand_ids:
        clauses.append(Query.term_set_query(schema, "brand_id", list(filters.brand_ids)))
    for code, values in filters.attributes.items():
        if values:
            clauses.append(Query.term_set_query(schema, "attr", [f"{code}={value}" for value in values]))
    if filters.buyable_in:
        clauses.append(Query.term_set_query(schema, "buyable", list(filters.buyable_in)))
    price = filters.price
    if price is not None:
        if price_slot is None:
            clauses.append(Query.empty_query())
        elif price.min is not None or price.max is not None:
            field = f"price_{price_slot}"
            low, high = (None if b is None else b.amount for b in (price.min, price.max))
            clauses.append(Query.range_query(schema, field, tantivy.FieldType.Integer, low, high))
        else:
            clauses.append(Query.exists_query(f"price_{price_slot}"))
    return clauses


def with_filters(text_query: Query | None, filters: list[Query]) -> Query:
    if not filters:
        return text_query if text_query is not None else Query.all_query()
    clauses = [(Occur.Must, Query.const_score_query(f, 0.0)) for f in filters]
    if text_query is not None:
        clauses.insert(0, (Occur.Must, text_query))
    return Query.boolean_query(clauses)
