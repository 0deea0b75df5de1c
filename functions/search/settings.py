"""The search functions' environment, read once per cold start.

``search_engine`` picks the adapter: ``embedded`` (tantivy files under ``search_index_dir``; the local stack
and tests) or ``opensearch`` (``opensearch_url`` for a self-run cluster with plain/basic auth, else
``opensearch_endpoint``, an Amazon OpenSearch Service host signed with SigV4). Queries and writes go
through the ``search_index_alias``.
"""

from __future__ import annotations

from typing import Literal

from shop_kernel.settings import ServiceSettings, local_default


class SearchSettings(ServiceSettings):
    search_engine: Literal["embedded", "opensearch"] = "embedded"
    search_index_dir: str = local_default(".local/search/local")
    search_index_alias: str = "products"
    opensearch_url: str | None = None
    opensearch_endpoint: str | None = None
    opensearch_synonyms_path: str | None = None
    search_table_name: str = local_default("shop-local-search")
    cursor_signing_key_secret_name: str = local_default("shop-local-cursor-signing-key")
