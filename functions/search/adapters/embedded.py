"""The embedded search engine: a ``SearchIndex`` on tantivy, with its files under one directory.

Layout under ``root`` (the local stack uses ``.local/search/``)::

    <alias>.alias            name of the physical index the alias points at (replaced atomically)
    <alias>.synonyms.json    synonym groups, read at query time (no reindex needed)
    indices/<name>/          one tantivy index per physical index, plus its price_slots.json

Reindex: ``create_index(name)`` returns a handle pinned to a fresh physical index; the caller fills it
and ``swap_alias(name)`` renames a new pointer file over the old one. Alias handles re-read the pointer
(a ``stat`` per call) and reopen on change, so queries keep working throughout and never see a half-built
index. Writers take tantivy's directory lock per batch (retrying while another process holds it) and
readers reload when ``meta.json`` changes, so an indexer and an API in different processes stay in step.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import tantivy

from search.adapters import embedded_query as compiler
from search.adapters.embedded_schema import (
    PRICE_SLOTS,
    analyzers,
    build_schema,
    stem_en,
    stem_for,
    text_fields,
    to_document,
)
from search.domain.model import (
    FacetBucket,
    Hit,
    SearchDocument,
    SearchQuery,
    SearchResult,
    Suggestion,
)
from search.domain.planning import QueryPlan, SynonymSet, did_you_mean, plan_text, relax
from search.domain.text import tokenize
from shop_kernel.locale import DEFAULT_LOCALE, SUPPORTED_LOCALES, localise

MAX_WINDOW = 10_000
LOCK_WAIT_SECONDS = 10.0
MLT_TERMS = 25
FIELD_WEIGHT = {"name": 2.0, "soun": 1.0, "body": 0.5}
FACET_SIZES = {"category": 500, "brand": 200, "attr": 1000}


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return None


class _Physical:
    """One tantivy index directory: schema, analyzers, price slots, the writer lock and reader freshness."""

    def __init__(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.schema = build_schema()
        self.index = tantivy.Index(self.schema, path=str(path), reuse=True)
        for name, analyzer in analyzers().items():
            self.index.register_tokenizer(name, analyzer)
        self._slots_file = path / "price_slots.json"
        self._slots: dict[str, int] = {}
        self._slots_mtime: int | None = None
        self._meta_mtime = _mtime(path / "meta.json")
        self._lock = threading.Lock()

    def searcher(self) -> tantivy.Searcher:
        mtime = _mtime(self.path / "meta.json")
        if mtime != self._meta_mtime:
            self._meta_mtime = mtime
            self.index.reload()
        return self.index.searcher()

    def price_slot(self, key: str | None) -> int | None:
        if key is None:
            return None
        return self.price_slots().get(key)

    def price_slots(self) -> dict[str, int]:
        mtime = _mtime(self._slots_file)
        if mtime != self._slots_mtime:
            self._slots_mtime = mtime
            self._slots = json.loads(self._slots_file.read_text()) if mtime is not None else {}
        return self._slots

    def write(self, docs: Sequence[SearchDocument], delete_ids: Sequence[str]) -> None:
        with self._lock:
            writer = self._acquire_writer(len(docs))
            try:
                slots = self._assign_slots(docs)
                for product_id in [*delete_ids, *(doc.product_id for doc in docs)]:
                    writer.delete_documents_by_term("id", product_id)
                for doc in docs:
                    writer.add_document(to_document(doc, slots))
                writer.commit()
            except BaseException:
                writer.rollback()
                raise
            finally:
                writer.wait_merging_threads()
            self.index.reload()
            self._meta_mtime = _mtime(self.path / "meta.json")

    def _acquire_writer(self, batch: int) -> tantivy.IndexWriter:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        threads = 1 if batch < 2_000 else min(4, os.cpu_count() or 1)
        while True:
            try:
                return self.index.writer(heap_size=50_000_000 * threads, num_threads=threads)
            except ValueError as error:
                if "LockBusy" not in str(error) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def _assign_slots(self, docs: Sequence[SearchDocument]) -> dict[str, int]:
        """Give each new price key a slot; only called under the writer lock, so slots never collide."""
        self._slots_mtime = None
        slots = dict(self.price_slots())
        new_keys = sorted({key for doc in docs for key in doc.prices} - set(slots))
        for key in new_keys:
            if len(slots) < PRICE_SLOTS:
                slots[key] = len(slots)
        if new_keys:
            _atomic_write(self._slots_file, json.dumps(slots, sort_keys=True))
        return slots


@dataclass(frozen=True)
class _Located:
    doc: SearchDocument
    address: tantivy.DocAddress


class EmbeddedSearchIndex:
    """``SearchIndex`` on tantivy; bound to an alias, or pinned to one physical index by ``create_index``."""

    def __init__(self, root: str | Path, alias: str = "products", *, pinned: str | None = None) -> None:
        self.root = Path(root)
        self.alias = alias
        self._pinned = pinned
        self._indices_dir = self.root / "indices"
        self._pointer = self.root / f"{alias}.alias"
        self._synonyms_file = self.root / f"{alias}.synonyms.json"
        self._opened: dict[str, _Physical] = {}
        self._open_lock = threading.Lock()
        self._pointer_state: tuple[int | None, str] | None = None
        self._synonym_state: tuple[int | None, dict[str, SynonymSet]] | None = None
        self.root.mkdir(parents=True, exist_ok=True)
        if pinned is None and not self._pointer.exists():
            self._indices_dir.mkdir(parents=True, exist_ok=True)
            _atomic_write(self._pointer, f"{alias}-initial")

    # -- alias and physical indices ---------------------------------------------------------------

    @property
    def current_name(self) -> str:
        if self._pinned is not None:
            return self._pinned
        mtime = _mtime(self._pointer)
        if self._pointer_state is None or self._pointer_state[0] != mtime:
            self._pointer_state = (mtime, self._pointer.read_text(encoding="utf-8").strip())
        return self._pointer_state[1]

    def _physical(self, name: str | None = None) -> _Physical:
        name = name or self.current_name
        with self._open_lock:
            if name not in self._opened:
                self._opened[name] = _Physical(self._indices_dir / name)
            return self._opened[name]

    def create_index(self, name: str) -> EmbeddedSearchIndex:
        if not name.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"index name must be alphanumeric with - or _: {name!r}")
        if (self._indices_dir / name).exists():
            raise ValueError(f"index {name!r} already exists")
        self._physical(name)
        return EmbeddedSearchIndex(self.root, self.alias, pinned=name)

    def swap_alias(self, name: str) -> None:
        if not (self._indices_dir / name / "meta.json").exists():
            raise ValueError(f"no index named {name!r}")
        _atomic_write(self._pointer, name)

    def index_names(self) -> list[str]:
        if not self._indices_dir.exists():
            return []
        return sorted(p.name for p in self._indices_dir.iterdir() if (p / "meta.json").exists())

    def drop_index(self, name: str) -> None:
        if name == EmbeddedSearchIndex(self.root, self.alias).current_name:
            raise ValueError(f"index {name!r} is behind the alias {self.alias!r}")
        with self._open_lock:
            self._opened.pop(name, None)
        path = self._indices_dir / name
        for child in sorted(path.rglob("*"), reverse=True):
            child.unlink() if child.is_file() else child.rmdir()
        if path.exists():
            path.rmdir()

    # -- writes ---------------------------------------------------------------------------------------

    def upsert(self, docs: Sequence[SearchDocument]) -> None:
        if docs:
            latest = {doc.product_id: doc for doc in docs}
            self._physical().write(list(latest.values()), [])

    def delete(self, ids: Sequence[str]) -> None:
        if ids:
            self._physical().write([], list(dict.fromkeys(ids)))

    def refresh(self) -> None:
        self._physical().searcher()

    def count(self) -> int:
        return int(self._physical().searcher().num_docs)

    # -- synonyms -------------------------------------------------------------------------------------

    def set_synonyms(self, groups: list[list[str]]) -> None:
        cleaned = [[member.strip() for member in group if member.strip()] for group in groups]
        _atomic_write(self._synonyms_file, json.dumps([g for g in cleaned if len(g) > 1], ensure_ascii=False))

    def synonyms(self) -> list[list[str]]:
        mtime = _mtime(self._synonyms_file)
        return json.loads(self._synonyms_file.read_text(encoding="utf-8")) if mtime is not None else []

    def _synonym_set(self, locale: str) -> SynonymSet:
        mtime = _mtime(self._synonyms_file)
        if self._synonym_state is None or self._synonym_state[0] != mtime:
            groups = self.synonyms()
            sets = {loc: SynonymSet(groups, partial(stem_for, loc)) for loc in SUPPORTED_LOCALES}
            self._synonym_state = (mtime, sets)
        return self._synonym_state[1].get(locale) or self._synonym_state[1][DEFAULT_LOCALE]

    def _plans(self, text: str, locale: str) -> list[QueryPlan]:
        return plan_text(text, locale, partial(stem_for, locale), self._synonym_set(locale))

    # -- reads ------------------------------------------------------------------------------------------

    def search(self, q: SearchQuery) -> SearchResult:
        locale = q.locale if q.locale in SUPPORTED_LOCALES else DEFAULT_LOCALE
        physical = self._physical()
        searcher = physical.searcher()
        filters = compiler.filter_clauses(
            physical.schema, q.filters, physical.price_slot(q.filters.price.key if q.filters.price else None)
        )
        known = _vocabulary(searcher)
        plans = _needed(self._plans(q.text, locale), locale, known)
        text_query = compiler.compile_plans(physical.schema, plans, locale, known) if plans else None
        result = self._run(physical, searcher, q, compiler.with_filters(text_query, filters))
        if result.total or not plans:
            return result
        relaxed_query = compiler.compile_plans(physical.schema, [relax(p) for p in plans], locale, known)
        relaxed = self._run(physical, searcher, q, compiler.with_filters(relaxed_query, filters))
        suggestion = self._did_you_mean(searcher, plans[0], relaxed, locale)
        return relaxed.model_copy(update={"relaxed": True, "did_you_mean": suggestion})

    def _run(
        self, physical: _Physical, searcher: tantivy.Searcher, q: SearchQuery, query: tantivy.Query
    ) -> SearchResult:
        offset = _offset(q.page_token)
        limit = max(0, min(q.limit, MAX_WINDOW - offset))
        ordering = self._ordering(physical, q)
        found = searcher.search(query, limit, offset=offset, **ordering) if limit else None
        by_score = q.sort == "relevance" or "order_by_field" not in ordering
        hits = [_hit(searcher, a, _score(k) if by_score else 0.0) for k, a in found.hits] if found else []
        total = int(getattr(found, "count", None) or 0) if found is not None else offset
        following = offset + len(hits)
        next_page = str(following) if hits and following < min(total, MAX_WINDOW) else None
        facets = self._facets(physical, searcher, q, query) if q.facets else {}
        return SearchResult(hits=hits, total=total, facets=facets, next_page=next_page)

    def _ordering(self, physical: _Physical, q: SearchQuery) -> dict[str, Any]:
        if q.sort == "newest":
            return {"order_by_field": "published", "order": tantivy.Order.Desc}
        if q.sort in ("price_asc", "price_desc"):
            slot = physical.price_slot(q.effective_price_key)
            if slot is not None:
                order = tantivy.Order.Asc if q.sort == "price_asc" else tantivy.Order.Desc
                return {"order_by_field": f"price_{slot}", "order": order}
        return {"weight_by_field": "popularity"}

    def _facets(
        self, physical: _Physical, searcher: tantivy.Searcher, q: SearchQuery, query: tantivy.Query
    ) -> dict[str, list[FacetBucket]]:
        spec: dict[str, Any] = {}
        if "category" in q.facets:
            spec["category"] = {"terms": {"field": "category", "size": FACET_SIZES["category"]}}
        if "brand" in q.facets:
            spec["brand"] = {"terms": {"field": "brand_id", "size": FACET_SIZES["brand"]}}
        if "attributes" in q.facets:
            spec["attr"] = {"terms": {"field": "attr", "size": FACET_SIZES["attr"]}}
        slot = physical.price_slot(q.effective_price_key)
        if "price" in q.facets and slot is not None:
            spec["price"] = {"range": {"field": f"price_{slot}", "ranges": _ranges(q.price_edges)}}
        if not spec:
            return {}
        raw = searcher.aggregate(query, spec)
        return _facet_buckets(raw)

    def _did_you_mean(
        self, searcher: tantivy.Searcher, plan: QueryPlan, relaxed: SearchResult, locale: str
    ) -> str | None:
        vocabulary: set[str] = set()
        for hit in relaxed.hits[:20]:
            located = self._locate(searcher, hit.product_id)
            if located:
                name = localise(located.doc.name, locale, DEFAULT_LOCALE) or ""
                vocabulary.update(tokenize(f"{name} {located.doc.brand_name or ''}"))
        return did_you_mean(plan, vocabulary) if vocabulary else None

    def _locate(self, searcher: tantivy.Searcher, product_id: str) -> _Located | None:
        query = tantivy.Query.term_query(self._physical().schema, "id", product_id, "basic")
        found = searcher.search(query, 1, count=False)
        if not found.hits:
            return None
        address = found.hits[0][1]
        raw = searcher.doc(address).get_first("doc")
        return _Located(doc=_stored(raw), address=address)

    def suggest(self, prefix: str, locale: str, limit: int) -> list[Suggestion]:
        locale = locale if locale in SUPPORTED_LOCALES else DEFAULT_LOCALE
        plans = self._plans(prefix.rstrip() if prefix.endswith(" ") else prefix, locale)
        if not plans or limit < 1:
            return []
        physical = self._physical()
        searcher = physical.searcher()
        query = compiler.compile_plans(physical.schema, plans, locale)
        found = searcher.search(query, limit, count=False, weight_by_field="popularity")
        if not found.hits:
            relaxed = compiler.compile_plans(physical.schema, [relax(p) for p in plans], locale)
            found = searcher.search(relaxed, limit, count=False, weight_by_field="popularity")
        suggestions = []
        for score, address in found.hits:
            doc = _stored(searcher.doc(address).get_first("doc"))
            text = localise(doc.name, locale, DEFAULT_LOCALE) or doc.product_id
            suggestions.append(Suggestion(text=text, product_id=doc.product_id, score=_score(score)))
        return suggestions

    def documents(self, ids: Sequence[str]) -> dict[str, SearchDocument]:
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        physical = self._physical()
        searcher = physical.searcher()
        query = tantivy.Query.term_set_query(physical.schema, "id", wanted)
        found = searcher.search(query, len(wanted), count=False)
        docs = [_stored(searcher.doc(address).get_first("doc")) for _, address in found.hits]
        return {doc.product_id: doc for doc in docs}

    def similar(self, product_id: str, limit: int) -> list[str]:
        physical = self._physical()
        searcher = physical.searcher()
        located = self._locate(searcher, product_id)
        if located is None or limit < 1:
            return []
        query = _more_like_this(physical.schema, searcher, located.doc)
        found = searcher.search(query, limit + 1, count=False)
        ids = [_id(searcher, address) for _, address in found.hits]
        return [pid for pid in ids if pid != product_id][:limit]


def _vocabulary(searcher: tantivy.Searcher) -> compiler.Known:
    """Whether a token is in a field's term dictionary (memoised for one request)."""
    cache: dict[tuple[str, str], bool] = {}

    def known(field: str, token: str) -> bool:
        if (field, token) not in cache:
            cache[field, token] = searcher.doc_freq(field, token) > 0
        return cache[field, token]

    return known


def _needed(plans: list[QueryPlan], locale: str, known: compiler.Known) -> list[QueryPlan]:
    """Drop the keyboard-layout reading when every typed word is a real word of the index."""
    if len(plans) < 2:
        return plans
    fields = (f"name_{locale}", f"body_{locale}")
    typed = [term for slot in plans[0].slots if not slot.optional for term in slot.typed]
    if all(any(known(field, term.stem) for field in fields) or known("words", term.text) for term in typed):
        return plans[:1]
    return plans


def _more_like_this(schema: tantivy.Schema, searcher: tantivy.Searcher, doc: SearchDocument) -> tantivy.Query:
    """More-like-this from the engine's statistics: the document's most distinctive terms (tf-idf), OR-ed.

    tantivy's own more-like-this re-tokenizes with the schema's built-in analyzers and cannot see the
    custom ones this index registers, so the terms are picked here from the same analyzed text.
    """
    total = max(1, int(searcher.num_docs))
    weighted: list[tuple[float, str, str]] = []
    for field, text in text_fields(doc).items():
        if field == "words":
            continue
        tokens = [stem_en(t) for t in text.split()] if field.endswith("_en") else text.split()
        for token, tf in Counter(tokens).items():
            df = searcher.doc_freq(field, token)
            if len(token) > 1 and 1 < df < total:
                weighted.append((FIELD_WEIGHT.get(field[:4], 1.0) * tf * math.log(total / df), field, token))
    occur = tantivy.Occur
    clauses = [(occur.MustNot, tantivy.Query.term_query(schema, "id", doc.product_id, "basic"))]
    for weight, field, token in sorted(weighted, reverse=True)[:MLT_TERMS]:
        term = tantivy.Query.term_query(schema, field, token, "basic")
        clauses.append(
            (occur.Should, tantivy.Query.boost_query(tantivy.Query.const_score_query(term, 1.0), weight))
        )
    if doc.category_ids:
        own = tantivy.Query.term_query(schema, "category", doc.category_ids[0], "basic")
        clauses.append((occur.Should, tantivy.Query.const_score_query(own, 2.0)))
    return tantivy.Query.boolean_query(clauses)


def _stored(raw: Any) -> SearchDocument:
    return SearchDocument.model_validate_json(bytes(raw))


def _offset(token: str | None) -> int:
    if token and token.isdigit():
        return min(int(token), MAX_WINDOW)
    return 0


def _score(key: object) -> float:
    return float(key) if isinstance(key, int | float) else 0.0


def _hit(searcher: tantivy.Searcher, address: tantivy.DocAddress, score: float) -> Hit:
    doc = _stored(searcher.doc(address).get_first("doc"))
    return Hit(product_id=doc.product_id, score=score, document=doc)


def _id(searcher: tantivy.Searcher, address: tantivy.DocAddress) -> str:
    return str(searcher.doc(address).get_first("id"))


def _ranges(edges: tuple[int, ...]) -> list[dict[str, int]]:
    points = sorted(set(edges))
    ranges: list[dict[str, int]] = [{"to": points[0]}] if points else []
    ranges += [{"from": low, "to": high} for low, high in itertools.pairwise(points)]
    if points:
        ranges.append({"from": points[-1]})
    return ranges


def _facet_buckets(raw: dict[str, Any]) -> dict[str, list[FacetBucket]]:
    facets: dict[str, list[FacetBucket]] = {}
    for name in ("category", "brand"):
        if name in raw:
            facets[name] = [
                FacetBucket(value=str(b["key"]), count=b["doc_count"]) for b in raw[name]["buckets"]
            ]
    if "attr" in raw:
        for bucket in raw["attr"]["buckets"]:
            code, _, value = str(bucket["key"]).partition("=")
            facets.setdefault(f"attributes.{code}", []).append(
                FacetBucket(value=value, count=bucket["doc_count"])
            )
    if "price" in raw:
        facets["price"] = [_price_bucket(b) for b in raw["price"]["buckets"]]
    return facets


def _price_bucket(bucket: dict[str, Any]) -> FacetBucket:
    low = int(bucket["from"]) if "from" in bucket else None
    high = int(bucket["to"]) if "to" in bucket else None
    value = f"{'*' if low is None else low}-{'*' if high is None else high}"
    return FacetBucket(value=value, count=bucket["doc_count"], min=low, max=high)
