"""Rebuild the search index from search's own projection and swap the alias: ``python -m search.tools.reindex``.

What it rebuilds from (docs/decisions.md, "Search is built from catalog events"): the products and stock
search's indexer has stored in the ``search`` table from the catalog's and inventory's events -- never the
catalog's table. It reads every published product (a filtered Scan of the search table: an offline tool,
not a request path), writes the documents with their availability into a fresh physical index
``<alias>-<UTC timestamp>``, points the alias at it in one step and drops the indices the alias left behind
(``--keep-old`` keeps them). Queries use the old index until the swap. The indexer keeps writing to the old
index meanwhile, so after the swap a catch-up pass rebuilds every product whose state or stock was stored
since the rebuild started: nothing that changed during a reindex is lost. Progress goes to stderr.

When the projection itself must be rebuilt (a new stage, a lost table), replay events into it first:
``python -m catalog.tools.published_events | python -m search.tools.replay`` (the catalog's restatement of
what it publishes), or the bus archive's catalog and inventory events (``search.tools.replay`` reads them
as JSON lines too; the archive keeps a year).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import TextIO

from search import wiring
from search.domain.indexing import SearchIndexer, SearchProjection
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
    live, products, documents = (
        wiring.container.search_index(),
        wiring.container.projection(),
        wiring.container.indexer(),
    )
    since = utc_now_iso()
    total = products.count_published()
    name = f"{live_alias()}-{time.strftime('%Y%m%d%H%M%S', time.gmtime())}"
    fresh = live.create_index(name)
    fresh.set_synonyms(live.synonyms())
    started, done = time.monotonic(), 0
    progress_bar(0, total, started, out)
    for page in products.published_products():
        fresh.upsert(documents.documents(page))
        done += len(page)
        progress_bar(done, total, started, out)
        if on_page:
            on_page(done)
    fresh.refresh()
    out.write("\n")
    previous = [n for n in live.index_names() if n != name]
    live.swap_alias(name)
    caught_up = catch_up(live, products, documents, since)
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


def catch_up(live: SearchIndex, products: SearchProjection, documents: SearchIndexer, since: str) -> int:
    """Rebuild, in the live index, every product stored since ``since``; returns how many."""
    changed = sorted(products.changed_since(since))
    for product_id in changed:
        documents.refresh(product_id)
    live.refresh()
    return len(changed)


def live_alias() -> str:
    from search import wiring

    return wiring.container.settings().search_index_alias


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
