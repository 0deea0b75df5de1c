"""Rebuild the search index from the catalog and swap the alias atomically: ``python -m search.tools.reindex``.

Reads every published product with Query gsi1 ``PRODUCTS#published`` (pages of 100, never a Scan), writes
the documents into a fresh physical index ``<alias>-<UTC timestamp>``, then points the alias at it in one
step and drops the indices the alias left behind (``--keep-old`` keeps them). Queries keep using the old
index until the swap, so they work throughout. Progress goes to stderr. The engine and tables come from
the same settings as the functions (``SEARCH_ENGINE``, ``SEARCH_INDEX_DIR``/``OPENSEARCH_*``,
``CATALOG_TABLE_NAME``). The stream indexer keeps writing to the old index while the new one fills, so
after the swap a catch-up pass re-applies every product changed since the rebuild started (published ones
upserted, archived or unpublished ones deleted): nothing changed during a reindex is lost.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any, TextIO

from search.adapters import catalog_products, search_index
from search.domain.documents import search_document
from search.domain.ports import SearchIndex
from shop_kernel.clock import utc_now_iso

BAR_WIDTH = 30


def progress_bar(done: int, total: int, started: float, out: TextIO) -> None:
    filled = BAR_WIDTH if total == 0 else int(BAR_WIDTH * min(done, total) / total)
    rate = done / max(time.monotonic() - started, 1e-6)
    out.write(f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total} products  {rate:,.0f}/s")
    out.flush()


def reindex(
    *,
    keep_old: bool = False,
    out: TextIO = sys.stderr,
    on_page: Callable[[int], None] | None = None,
) -> dict[str, object]:
    """Build, fill and swap in a fresh index; returns what happened."""
    live = search_index()
    products = catalog_products()
    since = utc_now_iso()
    total = products.count_published()
    name = f"{live_alias()}-{time.strftime('%Y%m%d%H%M%S', time.gmtime())}"
    fresh = live.create_index(name)
    fresh.set_synonyms(live.synonyms())
    started, done = time.monotonic(), 0
    progress_bar(0, total, started, out)
    for page in products.published_items():
        documents = [d for d in (search_document(item) for item in page) if d is not None]
        fresh.upsert(documents)
        done += len(page)
        progress_bar(done, total, started, out)
        if on_page:
            on_page(done)
    fresh.refresh()
    out.write("\n")
    previous = [n for n in live.index_names() if n != name]
    live.swap_alias(name)
    caught_up = catch_up(live, products, since)
    dropped = [] if keep_old else previous
    for old in dropped:
        live.drop_index(old)
    return {
        "index": name,
        "documents": fresh.count(),
        "seconds": round(time.monotonic() - started, 2),
        "dropped": dropped,
        "caught_up": caught_up,
    }


def _changed_since(page: Iterable[dict[str, Any]], since: str) -> list[dict[str, Any]]:
    changed = []
    for item in page:
        doc = json.loads(item["doc"]) if isinstance(item.get("doc"), str) else item.get("doc") or {}
        if str(doc.get("updated_at") or "") >= since:
            changed.append(item)
    return changed


def catch_up(live: SearchIndex, products: Any, since: str) -> int:
    """Re-apply products changed since ``since`` to the live index; returns how many were touched."""
    touched = 0
    for page in products.items_with_status("published"):
        documents = [d for d in map(search_document, _changed_since(page, since)) if d is not None]
        live.upsert(documents)
        touched += len(documents)
    for status in ("archived", "draft"):
        for page in products.items_with_status(status):
            ids = [str(item["gsi1sk"]) for item in _changed_since(page, since)]
            live.delete(ids)
            touched += len(ids)
    live.refresh()
    return touched


def live_alias() -> str:
    from search.adapters import settings

    return settings().search_index_alias


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m search.tools.reindex", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--keep-old", action="store_true", help="keep the indices the alias no longer points at"
    )
    args = parser.parse_args(argv)
    summary = reindex(keep_old=args.keep_old)
    print(
        f"alias {live_alias()} -> {summary['index']}: {summary['documents']} documents in {summary['seconds']} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
