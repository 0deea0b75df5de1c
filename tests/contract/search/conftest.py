"""One contract suite for every ``SearchIndex`` adapter.

``engine_factory`` makes fresh, empty indices of one engine: the embedded tantivy engine always, OpenSearch
when ``OPENSEARCH_URL`` is set (each index under a unique alias, deleted afterwards).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from search.domain.ports import SearchIndex

Factory = Callable[[], SearchIndex]


def _embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Factory]:
    from search.adapters.embedded import EmbeddedSearchIndex

    def make() -> SearchIndex:
        return EmbeddedSearchIndex(tmp_path_factory.mktemp("search"))

    yield make


def _opensearch() -> Iterator[Factory]:
    url = os.environ.get("OPENSEARCH_URL")
    if not url:
        pytest.skip("OPENSEARCH_URL not set: OpenSearch contract run skipped")
    from search.adapters.opensearch import OpenSearchIndex, connect

    client = connect(url=url)
    made: list[Any] = []

    def make() -> SearchIndex:
        index = OpenSearchIndex(client, f"contract-{uuid.uuid4().hex[:12]}", replicas=0)
        made.append(index)
        return index

    yield make
    for index in made:
        for name in index.index_names():
            client.indices.delete(index=name, ignore_unavailable=True)


@pytest.fixture(scope="module", params=["embedded", "opensearch"])
def engine_factory(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Factory]:
    if request.param == "embedded":
        yield from _embedded(tmp_path_factory)
    else:
        yield from _opensearch()


@pytest.fixture
def index(engine_factory: Factory) -> SearchIndex:
    return engine_factory()


@pytest.fixture(scope="session")
def queries_file() -> Path:
    return Path(__file__).parents[3] / "bench" / "search_queries.jsonl"
