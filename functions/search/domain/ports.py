"""What the search domain needs from a search engine, as protocols the adapters implement.

``SearchIndex`` is bound to an alias (the live index). A reindex builds a fresh physical index through
``create_index`` (a handle bound to that physical index), fills it, then ``swap_alias`` points the alias at it
atomically; readers of the alias never see a half-built index. Adapters never raise engine errors for
user text: any ``SearchQuery`` that passed validation returns a ``SearchResult``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from search.domain.model import SearchDocument, SearchQuery, SearchResult, Suggestion


class SearchIndex(Protocol):
    def upsert(self, docs: Sequence[SearchDocument]) -> None:
        """Insert or replace by ``product_id``; applying the same documents twice changes nothing."""

    def delete(self, ids: Sequence[str]) -> None:
        """Remove by ``product_id``; unknown ids are ignored."""

    def search(self, q: SearchQuery) -> SearchResult: ...

    def suggest(self, prefix: str, locale: str, limit: int) -> list[Suggestion]:
        """Product names completing ``prefix`` (typo- and transliteration-tolerant)."""

    def documents(self, ids: Sequence[str]) -> dict[str, SearchDocument]:
        """The indexed documents of ``ids`` by id; ids not in the index are absent."""

    def similar(self, product_id: str, limit: int) -> list[str]:
        """Product ids most like the given one (more-like-this), never including it."""

    def set_synonyms(self, groups: list[list[str]]) -> None:
        """Replace the synonym groups; applied at query time, so no reindex is needed."""

    def synonyms(self) -> list[list[str]]: ...

    def refresh(self) -> None:
        """Make every write so far visible to searches."""

    def count(self) -> int: ...

    def create_index(self, name: str) -> SearchIndex:
        """A new, empty physical index called ``name``; the returned handle writes to it, not to the alias."""

    def swap_alias(self, name: str) -> None:
        """Point the alias at physical index ``name`` atomically."""

    def index_names(self) -> list[str]:
        """Physical indices that exist, the aliased one included."""

    def drop_index(self, name: str) -> None:
        """Delete a physical index that the alias no longer points at."""


class FrequentlyBoughtTogether(Protocol):
    """Products co-purchased with a product; no adapter until orders exist."""

    def bought_with(self, product_id: str, limit: int) -> list[str]: ...
