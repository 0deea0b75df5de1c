"""The search service: what the API does with the index and the merchandisers' settings.

* Synonyms live in the ``search`` table (the source of truth, shared by every function instance) and are
  pushed to the engine: on a merchandiser's change at once, and by every instance when its copy is older
  than ``SYNONYM_TTL_S`` (one GetItem per instance per interval), so they apply without a reindex.
* Related products are merchandiser-curated links (``search`` table); similar products come from the
  engine's more-like-this. Every product shown -- hits, similar, related -- is summarised from its indexed
  document: the index holds only published products, so nothing is looked up or dropped afterwards.
* Engine failures become ``SearchUnavailable``; the handler answers 503 and never shows engine text.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from search.domain.documents import summary
from search.domain.model import SearchDocument, SearchQuery, SearchResult, Suggestion
from search.domain.ports import SearchIndex
from shop_kernel.clock import Clock
from shop_kernel.errors import NotFound, ValidationFailed

SYNONYM_TTL_S = 30.0
MAX_SYNONYM_GROUPS = 1_000
MAX_GROUP_TERMS = 20
MAX_TERM_CHARS = 100
MAX_RELATED = 50


class SearchSettingsStore(Protocol):
    def synonyms(self) -> tuple[list[list[str]], int]:
        """The synonym groups and their version (0 when never set)."""

    def put_synonyms(self, groups: list[list[str]], expected_version: int | None, actor: str) -> int: ...

    def related(self, product_id: str) -> list[str]: ...

    def put_related(self, product_id: str, related_ids: list[str], actor: str) -> None: ...


@dataclass
class _SynonymCopy:
    version: int = -1
    loaded_at: float = float("-inf")


def normalise_groups(groups: list[list[str]]) -> list[list[str]]:
    """Trimmed, de-duplicated groups; a group needs two distinct terms. Raises naming the bad field."""
    if len(groups) > MAX_SYNONYM_GROUPS:
        raise ValidationFailed.on("body.groups", f"at most {MAX_SYNONYM_GROUPS} groups", "too_long")
    cleaned: list[list[str]] = []
    for i, group in enumerate(groups):
        terms = list(dict.fromkeys(" ".join(t.split()) for t in group if t.strip()))
        if len(terms) < 2 or len(terms) > MAX_GROUP_TERMS:
            raise ValidationFailed.on(
                f"body.groups.{i}", f"a group lists 2 to {MAX_GROUP_TERMS} different terms", "invalid_group"
            )
        for j, term in enumerate(terms):
            if len(term) > MAX_TERM_CHARS or "," in term:
                raise ValidationFailed.on(
                    f"body.groups.{i}.{j}", f"a term has at most {MAX_TERM_CHARS} characters and no comma"
                )
        cleaned.append(terms)
    return cleaned


class SearchService:
    def __init__(
        self,
        index: SearchIndex,
        store: SearchSettingsStore,
        clock: Clock,
        synonym_ttl_s: float = SYNONYM_TTL_S,
    ) -> None:
        self._index = index
        self._store = store
        self._clock = clock
        self._ttl = synonym_ttl_s
        self._copy = _SynonymCopy()

    def _now(self) -> float:
        return self._clock.now().timestamp()

    def _sync_synonyms(self) -> None:
        if self._now() - self._copy.loaded_at < self._ttl:
            return
        groups, version = self._store.synonyms()
        if version != self._copy.version:
            self._index.set_synonyms(groups)
        self._copy = _SynonymCopy(version=version, loaded_at=self._now())

    def search(self, query: SearchQuery) -> SearchResult:
        self._sync_synonyms()
        return self._index.search(query)

    def suggest(self, prefix: str, locale: str, limit: int) -> list[Suggestion]:
        self._sync_synonyms()
        return self._index.suggest(prefix, locale, limit)

    def summaries(
        self,
        docs: Sequence[SearchDocument],
        locale: str,
        contexts: Sequence[str],
        price_lists: Collection[str],
    ) -> list[dict[str, Any]]:
        return [summary(doc, locale, contexts, price_lists) for doc in docs]

    def _documents(self, ids: Sequence[str]) -> list[SearchDocument]:
        """Indexed documents in the order of ``ids`` (an id no longer published is not in the index)."""
        found = self._index.documents(ids) if ids else {}
        return [found[i] for i in dict.fromkeys(ids) if i in found]

    def _require_product(self, product_id: str) -> None:
        if not self._index.documents([product_id]):
            raise NotFound(f"no published product {product_id}")

    def similar(
        self, product_id: str, limit: int, locale: str, contexts: Sequence[str], price_lists: Collection[str]
    ) -> list[dict[str, Any]]:
        self._require_product(product_id)
        found = self._documents(self._index.similar(product_id, limit))
        return self.summaries(found, locale, contexts, price_lists)

    def related(
        self, product_id: str, locale: str, contexts: Sequence[str], price_lists: Collection[str]
    ) -> list[dict[str, Any]]:
        self._require_product(product_id)
        return self.summaries(self._documents(self._store.related(product_id)), locale, contexts, price_lists)

    def set_related(self, product_id: str, related_ids: list[str], actor: str) -> list[str]:
        wanted = list(dict.fromkeys(related_ids))
        if product_id in wanted:
            raise ValidationFailed.on("body.product_ids", "a product cannot be related to itself")
        if len(wanted) > MAX_RELATED:
            raise ValidationFailed.on(
                "body.product_ids", f"at most {MAX_RELATED} related products", "too_long"
            )
        known = self._index.documents([product_id, *wanted])
        if product_id not in known:
            raise NotFound(f"no published product {product_id}")
        for i, related_id in enumerate(wanted):
            if related_id not in known:
                raise ValidationFailed.on(
                    f"body.product_ids.{i}", f"no published product {related_id}", "unknown"
                )
        self._store.put_related(product_id, wanted, actor)
        return wanted

    def synonyms(self) -> tuple[list[list[str]], int]:
        return self._store.synonyms()

    def set_synonyms(self, groups: list[list[str]], expected_version: int | None, actor: str) -> int:
        cleaned = normalise_groups(groups)
        version = self._store.put_synonyms(cleaned, expected_version, actor)
        self._index.set_synonyms(cleaned)
        self._copy = _SynonymCopy(version=version, loaded_at=self._now())
        return version
