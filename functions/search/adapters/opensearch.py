"""The ``SearchIndex`` port on OpenSearch (Amazon OpenSearch Service in the cloud, any OpenSearch 2.x locally).

Connection: ``OPENSEARCH_ENDPOINT`` (a domain host name) is signed with SigV4 (``AWSV4SignerAuth``, service
``es``) from botocore's credential chain, i.e. the function's role; ``OPENSEARCH_URL`` (``http(s)://user:
password@host:port``) is a plain or basic-auth connection to a self-run OpenSearch (contract tests).

Index lifecycle: queries and writes go through the alias (``SEARCH_INDEX_ALIAS``). The first write to a
cluster without the alias creates ``<alias>-<timestamp>`` and points the alias at it. A reindex builds a
new physical index via ``create_index`` and ``swap_alias`` moves the alias in one ``_aliases`` request
(remove + add are atomic), so readers never see a missing or half-filled index.

Synonyms: merchandisers' groups are expanded on the query side by the shared planner (so they apply on the
next query, exactly like the embedded engine), and are written into the ``synonym_graph`` filter of every
index this adapter creates; with ``synonyms_path`` (an OpenSearch Service package) ``set_synonyms`` also
asks the cluster to reload its search analyzers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from search.adapters import opensearch_query as dsl
from search.adapters.index_definition import LOCALES, document_source, index_body, synonym_lines
from search.domain.model import SearchDocument, SearchQuery, SearchResult, Suggestion
from search.domain.planning import QueryPlan, SynonymSet, did_you_mean, plan_text, relax
from search.domain.text import stem_uk, tokenize
from shop_kernel.errors import DependencyUnavailable
from shop_kernel.observability import logger

BULK_CHUNK = 500


@contextmanager
def engine_outage_is_503() -> Iterator[None]:
    """Connection failures and 5xx/429 answers are an outage (503, retry); the engine's text stays in the log."""
    from opensearchpy.exceptions import ConnectionError as EngineUnreachable
    from opensearchpy.exceptions import TransportError

    try:
        yield
    except EngineUnreachable as exc:
        logger.warning("search engine unreachable", exc_info=exc)
        raise DependencyUnavailable("search is unavailable; please retry shortly") from exc
    except TransportError as exc:
        if isinstance(exc.status_code, int) and (exc.status_code >= 500 or exc.status_code == 429):
            logger.warning("search engine failed", exc_info=exc)
            raise DependencyUnavailable("search is unavailable; please retry shortly") from exc
        raise


def stemmer(locale: str) -> Any:
    """The stem the planner matches synonyms on (the engine stems the text itself)."""
    if locale == "uk":
        return stem_uk
    return lambda word: (
        word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word
    )


def connect(*, url: str | None = None, endpoint: str | None = None, region: str = "eu-west-1") -> Any:
    """An ``OpenSearch`` client: SigV4 for an AWS endpoint, plain/basic auth for a URL."""
    from opensearchpy import OpenSearch, RequestsHttpConnection

    if url:
        return OpenSearch(hosts=[url], timeout=10, max_retries=2, retry_on_timeout=True)
    if not endpoint:
        raise ValueError("set OPENSEARCH_URL or OPENSEARCH_ENDPOINT")
    import botocore.session
    from opensearchpy import AWSV4SignerAuth

    credentials = botocore.session.get_session().get_credentials()
    host = endpoint.removeprefix("https://")
    return OpenSearch(
        hosts=[{"host": host, "port": 443}],
        http_auth=AWSV4SignerAuth(credentials, region, "es"),
        use_ssl=True,
        verify_certs=True,
        connection_class=RequestsHttpConnection,
        timeout=10,
        max_retries=2,
        retry_on_timeout=True,
        pool_maxsize=10,
    )


class OpenSearchIndex:
    def __init__(
        self,
        client: Any,
        alias: str,
        *,
        target: str | None = None,
        synonyms_path: str | None = None,
        replicas: int = 1,
    ) -> None:
        self._client = client
        self._alias = alias
        # Writes and reads go to ``target`` (a physical index during a reindex) or to the alias.
        self._target = target or alias
        self._synonyms_path = synonyms_path
        self._replicas = replicas
        self._groups: list[list[str]] = []
        self._synonym_sets: dict[str, SynonymSet] = {}
        self._ready = target is not None
        self._lock = threading.Lock()

    # --- lifecycle -------------------------------------------------------------------------------

    def _ensure(self) -> None:
        if self._ready:
            return
        with self._lock:
            if not self._client.indices.exists_alias(name=self._alias):
                name = f"{self._alias}-{time.strftime('%Y%m%d%H%M%S')}"
                self._create(name)
                self._client.indices.put_alias(index=name, name=self._alias)
            self._ready = True

    def _create(self, name: str) -> None:
        body = index_body(
            synonyms=synonym_lines(self._groups), synonyms_path=self._synonyms_path, replicas=self._replicas
        )
        self._client.indices.create(index=name, body=body)

    def create_index(self, name: str) -> OpenSearchIndex:
        self._create(name)
        handle = OpenSearchIndex(
            self._client, self._alias, target=name, synonyms_path=self._synonyms_path, replicas=self._replicas
        )
        handle.set_synonyms(self._groups)
        return handle

    def swap_alias(self, name: str) -> None:
        actions: list[dict[str, Any]] = [{"remove": {"index": "*", "alias": self._alias}}]
        if not self._client.indices.exists_alias(name=self._alias):
            actions = []
        actions.append({"add": {"index": name, "alias": self._alias}})
        self._client.indices.update_aliases(body={"actions": actions})
        self._ready = True

    def index_names(self) -> list[str]:
        found = self._client.indices.get(
            index=f"{self._alias}-*", allow_no_indices=True, ignore_unavailable=True
        )
        return sorted(found)

    def drop_index(self, name: str) -> None:
        aliased = self._client.indices.get_alias(name=self._alias, ignore_unavailable=True)
        if name in (aliased or {}):
            raise ValueError(f"{name} is the live index behind {self._alias}")
        self._client.indices.delete(index=name, ignore_unavailable=True)

    def refresh(self) -> None:
        self._ensure()
        self._client.indices.refresh(index=self._target)

    def count(self) -> int:
        self._ensure()
        return int(self._client.count(index=self._target)["count"])

    # --- writes ----------------------------------------------------------------------------------

    def upsert(self, docs: Sequence[SearchDocument]) -> None:
        self._ensure()
        for start in range(0, len(docs), BULK_CHUNK):
            lines: list[dict[str, Any]] = []
            for doc in docs[start : start + BULK_CHUNK]:
                lines.append({"index": {"_index": self._target, "_id": doc.product_id}})
                lines.append(document_source(doc.model_dump(mode="json")))
            self._bulk(lines)

    def delete(self, ids: Sequence[str]) -> None:
        self._ensure()
        for start in range(0, len(ids), BULK_CHUNK):
            self._bulk(
                [{"delete": {"_index": self._target, "_id": i}} for i in ids[start : start + BULK_CHUNK]]
            )

    def _bulk(self, lines: list[dict[str, Any]]) -> None:
        if not lines:
            return
        response = self._client.bulk(body=lines)
        if response.get("errors"):
            failures = [
                item
                for entry in response.get("items", [])
                for item in entry.values()
                # Deleting what is not there is success for an idempotent indexer.
                if item.get("status", 200) >= 300 and item.get("status") != 404
            ]
            if failures:
                raise RuntimeError(f"OpenSearch refused {len(failures)} bulk item(s): {failures[0]}")

    # --- synonyms --------------------------------------------------------------------------------

    def set_synonyms(self, groups: list[list[str]]) -> None:
        self._groups = [list(g) for g in groups]
        self._synonym_sets = {}
        if self._synonyms_path and self._ready:
            # The package file was updated by whoever publishes synonyms; reload the search analyzers.
            self._client.transport.perform_request(
                "POST", f"/_plugins/_refresh_search_analyzers/{self._target}"
            )

    def synonyms(self) -> list[list[str]]:
        return [list(g) for g in self._groups]

    def _plans(self, text: str, locale: str) -> list[QueryPlan]:
        if locale not in self._synonym_sets:
            self._synonym_sets[locale] = SynonymSet(self._groups, stemmer(locale))
        return plan_text(text, locale, stemmer(locale), self._synonym_sets[locale])

    # --- reads -----------------------------------------------------------------------------------

    def _search(self, body: dict[str, Any]) -> dict[str, Any]:
        with engine_outage_is_503():
            self._ensure()
            return dict(self._client.search(index=self._target, body=body))

    def search(self, q: SearchQuery) -> SearchResult:
        plans = self._plans(q.text, q.locale) if q.text.strip() else []
        result = dsl.parse_response(self._search(dsl.search_body(q, plans)), q)
        if result.total or not plans or q.page_token:
            return result
        relaxed = [relax(p) for p in plans]
        response = self._search(dsl.search_body(q, relaxed, with_names=True))
        vocabulary = [w for name in dsl.names_in(response) for w in tokenize(name)]
        suggestion = did_you_mean(plans[0], vocabulary)
        return dsl.parse_response(response, q).model_copy(
            update={"relaxed": True, "did_you_mean": suggestion}
        )

    def suggest(self, prefix: str, locale: str, limit: int) -> list[Suggestion]:
        plans = self._plans(prefix, locale)
        if not plans:
            return []
        response = self._search(dsl.suggest_body(plans, locale, limit))
        suggestions = []
        for hit in response.get("hits", {}).get("hits", []):
            names = (hit.get("_source") or {}).get("name") or {}
            text = names.get(locale) or names.get("en") or next(iter(names.values()), "")
            suggestions.append(
                Suggestion(text=text, product_id=hit["_id"], score=float(hit.get("_score") or 0))
            )
        return suggestions

    def documents(self, ids: Sequence[str]) -> dict[str, SearchDocument]:
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        with engine_outage_is_503():
            self._ensure()
            response = self._client.mget(index=self._target, body={"ids": wanted}, _source=["document"])
        found = [dsl.stored_document(d) for d in response.get("docs", []) if d.get("found")]
        return {doc.product_id: doc for doc in found if doc is not None}

    def similar(self, product_id: str, limit: int) -> list[str]:
        fields = [f"name.{loc}" for loc in LOCALES] + [f"description.{loc}" for loc in LOCALES]
        response = self._search(dsl.similar_body(self._target, product_id, limit, fields))
        return [hit["_id"] for hit in response.get("hits", {}).get("hits", []) if hit["_id"] != product_id]
