"""Rebuild the search index from the catalog and swap the alias atomically: ``python -m search.tools.reindex``.

Reads every published product with Query gsi1 ``PRODUCTS#published`` (pages of 100, never a Scan), writes
the documents into a fresh physical index ``<alias>-<UTC timestamp>``, then points the alias at it in one
step and drops the indices the alias left behind (``--keep-old`` keeps them). Queries keep using the old
index until the swap, so they work throughout. Progress goes to stderr. The engine and tables come from
the same settings as the functions (``SEARCH_ENGINE``, ``SEARCH_INDEX_DIR``/``OPENSEARCH_*``,
``CATALOG_TABLE_NAME``); writes made by the indexer during the rebuild land in the old index, so run the
indexer's catch-up (replaying the stream) or a second reindex if the catalog changed meanwhile.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import TextIO

from search.adapters import catalog_products, search_index
from search.domain.documents import search_document

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
    dropped = [] if keep_old else previous
    for old in dropped:
        live.drop_index(old)
    return {
        "index": name,
        "documents": fresh.count(),
        "seconds": round(time.monotonic() - started, 2),
        "dropped": dropped,
    }


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
