"""Adapter factories: one engine handle, client and service per process, reused by warm invocations.

The engine comes from settings (``SEARCH_ENGINE``): the embedded tantivy index or OpenSearch; both are
imported only when chosen, so a function pays at cold start for one engine only. Each factory is
``lru_cache``d; tests call ``reset()`` after changing the environment.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from search.adapters.dynamo import DynamoSearchProjection, DynamoSearchSettings
from search.domain.indexing import SearchIndexer
from search.domain.ports import SearchIndex
from search.domain.service import SearchService
from search.settings import SearchSettings
from shop_kernel import aws
from shop_kernel.clock import SystemClock
from shop_kernel.dynamo import CursorCodec
from shop_kernel.secrets import SecretKeyProvider


@lru_cache(maxsize=1)
def settings() -> SearchSettings:
    return SearchSettings.from_env()


@lru_cache(maxsize=1)
def search_index() -> SearchIndex:
    config = settings()
    if config.search_engine == "opensearch":
        from search.adapters.opensearch import OpenSearchIndex, connect

        client = connect(
            url=config.opensearch_url, endpoint=config.opensearch_endpoint, region=config.aws_region
        )
        return OpenSearchIndex(
            client, config.search_index_alias, synonyms_path=config.opensearch_synonyms_path
        )
    from search.adapters.embedded import EmbeddedSearchIndex

    return EmbeddedSearchIndex(config.search_index_dir, config.search_index_alias)


@lru_cache(maxsize=1)
def dynamodb_client() -> Any:
    return aws.client("dynamodb")


@lru_cache(maxsize=1)
def secrets_client() -> Any:
    return aws.client("secretsmanager")


@lru_cache(maxsize=1)
def clock() -> SystemClock:
    return SystemClock()


@lru_cache(maxsize=1)
def projection() -> DynamoSearchProjection:
    return DynamoSearchProjection(dynamodb_client(), settings().search_table_name, clock())


@lru_cache(maxsize=1)
def indexer() -> SearchIndexer:
    return SearchIndexer(projection(), search_index())


@lru_cache(maxsize=1)
def search_settings_store() -> DynamoSearchSettings:
    return DynamoSearchSettings(dynamodb_client(), settings().search_table_name, clock())


@lru_cache(maxsize=1)
def cursor_codec() -> CursorCodec:
    key = SecretKeyProvider(secrets_client, settings().cursor_signing_key_secret_name)
    return CursorCodec("search", key, index=settings().search_index_alias)


@lru_cache(maxsize=1)
def search_service() -> SearchService:
    return SearchService(search_index(), search_settings_store(), clock())


_FACTORIES = (
    settings,
    search_index,
    dynamodb_client,
    secrets_client,
    clock,
    projection,
    indexer,
    search_settings_store,
    cursor_codec,
    search_service,
)


def reset() -> None:
    """Forget every cached client, engine handle and service (tests, or after the environment changed)."""
    aws.reset_clients()
    for factory in _FACTORIES:
        factory.cache_clear()
