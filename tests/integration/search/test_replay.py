"""Search rebuilds its projection from the catalog's restatement of its published products: events, not the
catalog's table; a restatement older than what search holds changes nothing."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import jsonschema

from tests.integration.catalog.conftest import product_body
from tests.support import Reply


def _publish(reference: Callable[..., Reply], n: int, **overrides: Any) -> str:
    created = reference("POST", "/admin/catalog/products", product_body(n, **overrides))
    assert created.status == 201, created.body
    published = reference(
        "POST", f"/admin/catalog/products/{created.body['id']}/publish", headers={"If-Match": created.etag}
    )
    assert published.status == 200, published.body
    return str(created.body["id"])


def _restated(functions: Any) -> list[str]:
    """What ``python -m catalog.tools.published_events`` prints, run with the catalog API's grants."""
    from catalog import wiring
    from catalog.tools.published_events import write_published_events

    out = io.StringIO()
    functions.run(
        "catalog-api", lambda: write_published_events(wiring.container.repository().published_states(), out)
    )
    return out.getvalue().splitlines()


def _replayed(functions: Any, lines: list[str]) -> dict[str, int]:
    """``python -m search.tools.replay`` with the search indexer's grants: the catalog table is not one."""
    from search import wiring
    from search.tools.replay import replay

    return dict(functions.run("search-indexer", lambda: replay(lines, wiring.container.indexer(), batch=1)))


def _found(search_call: Callable[..., Reply], **query: str) -> list[str]:
    reply = search_call("GET", "/search", query={"limit": "50", **query})
    assert reply.status == 200, reply.body
    assert reply.body["total"] == len(reply.body["items"])
    return sorted(item["id"] for item in reply.body["items"])


def test_search_rebuilds_from_the_catalog_s_restatement_after_losing_its_projection(
    reference: Callable[..., Reply], search_call: Callable[..., Reply], functions: Any
) -> None:
    # GIVEN two published products and a draft whose events never reached search (a new stage, a lost table)
    acme = _publish(reference, 1)
    globex = _publish(reference, 2, brand_id="globex", name={"en": "Globex Notebook", "uk": "Globex Ноутбук"})
    assert reference("POST", "/admin/catalog/products", product_body(3)).status == 201
    assert _found(search_call) == []
    # WHEN the catalog restates what it publishes and search replays the lines
    lines = _restated(functions)
    counts = _replayed(functions, lines)
    # THEN one ProductPublished 1.0 per published product, valid against the committed schema
    from infra.event_schemas import FUNCTIONS

    schema = json.loads((FUNCTIONS / "catalog/schemas/ProductPublished.v1.0.json").read_text())
    events = [json.loads(line) for line in lines]
    assert [e["detail-type"] for e in events] == ["ProductPublished", "ProductPublished"]
    for event in events:
        jsonschema.validate(event["detail"], schema)
    assert counts == {"events": 2, "recorded": 2, "skipped": 0, "refreshed": 2}
    # AND search answers both from its own index, prices and all, and not the draft
    assert _found(search_call) == sorted([acme, globex])
    hit = search_call("GET", "/search", query={"q": "globex", "currency": "EUR"}).body["items"][0]
    assert {"price_list": "retail", "currency": "EUR", "amount": 99902} in hit["prices"]


def test_a_stale_restatement_never_undoes_a_newer_change(
    reference: Callable[..., Reply],
    search_call: Callable[..., Reply],
    functions: Any,
    index_changes: Callable[[], dict[str, Any]],
) -> None:
    # GIVEN a restatement taken while acme was published, then acme archived and the indexer told so
    acme = _publish(reference, 1)
    lines = _restated(functions)
    current = reference("GET", f"/admin/catalog/products/{acme}")
    archived = reference(
        "POST", f"/admin/catalog/products/{acme}/archive", headers={"If-Match": current.etag}
    )
    assert archived.status == 200, archived.body
    assert index_changes() == {"batchItemFailures": []}
    assert _found(search_call) == []
    # WHEN the stale restatement is replayed
    counts = _replayed(functions, lines)
    # THEN it is older than what search holds: nothing recorded, acme stays out of every page
    assert counts["recorded"] == 0
    assert _found(search_call) == []
