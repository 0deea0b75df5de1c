"""The reindex command rebuilds from the catalog, swaps the alias atomically and queries work meanwhile."""

from __future__ import annotations

import io


def test_reindex_rebuilds_and_swaps_while_queries_keep_working(catalog, search_call):
    # GIVEN an index built by the stream indexer, then emptied behind the catalog's back
    from search.adapters import search_index
    from search.tools.reindex import reindex

    old_names = search_index().index_names()
    search_index().delete([catalog["acme"]])
    before = search_call("GET", "/search", query={"q": "acme book", "locale": "en"})
    assert catalog["acme"] not in [i["id"] for i in before.body["items"]]
    answers_during: list[int] = []
    out = io.StringIO()

    def query_meanwhile(done: int) -> None:
        answers_during.append(search_call("GET", "/search", query={"q": "globex"}).status)

    # WHEN the index is rebuilt from the catalog
    summary = reindex(out=out, on_page=query_meanwhile)
    # THEN every published product is back under a new physical index, the old ones are gone
    assert summary["documents"] == 4
    assert search_index().index_names() == [summary["index"]]
    assert summary["index"] not in old_names
    found = search_call("GET", "/search", query={"q": "acme book", "locale": "en"})
    assert catalog["acme"] in [i["id"] for i in found.body["items"]]
    # AND queries answered while it ran, and the progress bar reached the total
    assert answers_during
    assert set(answers_during) == {200}
    assert "4/4 products" in out.getvalue()
