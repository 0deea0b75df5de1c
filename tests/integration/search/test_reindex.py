"""The reindex command rebuilds from search's own projection, swaps the alias atomically and queries work meanwhile."""

from __future__ import annotations

import io


def test_reindex_rebuilds_and_swaps_while_queries_keep_working(catalog, search_call):
    # GIVEN an index built by the event indexer, then emptied behind its back
    from search import wiring
    from search.tools.reindex import reindex

    old_names = wiring.container.search_index().index_names()
    wiring.container.search_index().delete([catalog["acme"]])
    before = search_call("GET", "/search", query={"q": "acme book", "locale": "en"})
    assert catalog["acme"] not in [i["id"] for i in before.body["items"]]
    answers_during: list[int] = []
    out = io.StringIO()

    def query_meanwhile(done: int) -> None:
        answers_during.append(search_call("GET", "/search", query={"q": "globex"}).status)

    # WHEN the index is rebuilt from search's projection of the events
    summary = reindex(out=out, on_page=query_meanwhile)
    # THEN every published product is back under a new physical index, the old ones are gone
    assert summary["documents"] == 4
    assert wiring.container.search_index().index_names() == [summary["index"]]
    assert summary["index"] not in old_names
    found = search_call("GET", "/search", query={"q": "acme book", "locale": "en"})
    assert catalog["acme"] in [i["id"] for i in found.body["items"]]
    # AND queries answered while it ran, and the progress bar reached the total
    assert answers_during
    assert set(answers_during) == {200}
    assert "4/4 products" in out.getvalue()


def test_changes_made_during_a_reindex_are_not_lost(catalog, search_call, reference, index_changes):
    # GIVEN a reindex that, half-way through, sees one product archived and another renamed
    from search.tools.reindex import reindex

    changes: list[str] = []

    def change_catalog_meanwhile(done: int) -> None:
        if changes:
            return
        current = reference("GET", f"/admin/catalog/products/{catalog['globex']}")
        renamed = reference(
            "PATCH",
            f"/admin/catalog/products/{catalog['globex']}",
            {"name": {"en": "Globex Zephyr Ultrabook", "uk": "Globex Зефір Ультрабук"}},
            headers={"If-Match": current.etag},
        )
        assert renamed.status == 200, renamed.body
        acme = reference("GET", f"/admin/catalog/products/{catalog['acme']}")
        archived = reference(
            "POST", f"/admin/catalog/products/{catalog['acme']}/archive", headers={"If-Match": acme.etag}
        )
        assert archived.status == 200, archived.body
        index_changes()  # the event indexer writes these to the index the alias still points at
        changes.append("done")

    # WHEN the rebuild finishes and swaps
    summary = reindex(out=io.StringIO(), on_page=change_catalog_meanwhile)
    # THEN the catch-up applied both changes to the new index
    assert changes == ["done"]
    assert summary["caught_up"] >= 2
    renamed = search_call("GET", "/search", query={"q": "zephyr", "locale": "en"})
    assert catalog["globex"] in [i["id"] for i in renamed.body["items"]]
    gone = search_call("GET", "/search", query={"q": "acme book", "locale": "en"})
    assert catalog["acme"] not in [i["id"] for i in gone.body["items"]]
