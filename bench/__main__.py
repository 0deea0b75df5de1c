"""``python -m bench [name ...]``: run the benchmarks and write bench/results/*.json and bench/README.md.

Without names, every benchmark but the on-request ones runs."""

from __future__ import annotations

import importlib
import logging
import sys

from bench.results import render_readme, write
from infra.local import ensure_import_paths

BENCHMARKS = {
    "catalog_api": "bench.catalog_api",
    "search_engine": "bench.search_engine",
    "search_api": "bench.search_api",
    "checkout": "bench.checkout",
    "load": "bench.load",
    "demo_seed": "bench.seed",
    "fuzz": "bench.fuzz",
    "mutation": "bench.mutation",
    "reconcile": "bench.reconcile",
    "fulfilment": "bench.fulfilment",
    "customers_api": "bench.customers_api",
    "loyalty_api": "bench.loyalty_api",
}
# Run only when named: it compares with an earlier commit exported by git (bench/cold_compare.py).
ON_REQUEST = {"cold_compare": "bench.cold_compare"}


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto server's request log
    ensure_import_paths()
    names = argv or list(BENCHMARKS)
    for name in names:
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        figures, summary = importlib.import_module({**BENCHMARKS, **ON_REQUEST}[name]).run()
        path = write(name, figures, summary)
        for metric, value, note in summary:
            print(f"  {metric}: {value}  {note}", file=sys.stderr)
        print(f"  -> {path}", file=sys.stderr)
    render_readme()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
