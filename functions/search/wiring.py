"""What the search functions are built from: one ``SearchContainer``, its parts built once per environment.

The engine comes from settings (``SEARCH_ENGINE``): the embedded tantivy index or OpenSearch; both are
imported only when chosen, so a function pays at cold start for one engine only. Handlers look the parts
up through this module (``wiring.container.search_service()``), so a test that puts
``SearchContainer(search_index=fake)`` here (or the test harness, which gives each function its own fresh
container) is seen by every handler. Each provider imports what it builds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shop_kernel.wiring import ContextContainer, provided

if TYPE_CHECKING:
    from search.adapters.dynamo import DynamoSearchProjection, DynamoSearchSettings
    from search.domain.indexing import SearchIndexer
    from search.domain.ports import SearchIndex
    from search.domain.service import SearchService
    from search.settings import SearchSettings
    from shop_kernel.dynamo import CursorCodec


class SearchContainer(ContextContainer):
    @provided
    def settings(self) -> SearchSettings:
        from search.settings import SearchSettings

        return SearchSettings.from_env()

    @provided
    def search_index(self) -> SearchIndex:
        config = self.settings()
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

    @provided
    def projection(self) -> DynamoSearchProjection:
        from search.adapters.dynamo import DynamoSearchProjection

        return DynamoSearchProjection(self.dynamodb_client(), self.settings().search_table_name, self.clock())

    @provided
    def indexer(self) -> SearchIndexer:
        from search.domain.indexing import SearchIndexer

        return SearchIndexer(self.projection(), self.search_index())

    @provided
    def search_settings_store(self) -> DynamoSearchSettings:
        from search.adapters.dynamo import DynamoSearchSettings

        return DynamoSearchSettings(self.dynamodb_client(), self.settings().search_table_name, self.clock())

    @provided
    def cursor_codec(self) -> CursorCodec:
        from shop_kernel.dynamo import CursorCodec
        from shop_kernel.secrets import SecretKeyProvider

        key = SecretKeyProvider(self.secrets_client, self.settings().cursor_signing_key_secret_name)
        return CursorCodec("search", key, index=self.settings().search_index_alias)

    @provided
    def search_service(self) -> SearchService:
        from search.domain.service import SearchService

        return SearchService(self.search_index(), self.search_settings_store(), self.clock())


container = SearchContainer()
