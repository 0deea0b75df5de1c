"""Embedded search engine: indexing throughput, query latency and relevance at 10k and 100k products.

Corpus: ``bench.product_generator`` (deterministic, en + uk). Latency: wall time of ``SearchIndex.search``
(planning, tantivy query, hit ids, facet aggregation where asked) per query class, after a warm-up,
p50/p95/p99 in milliseconds. Relevance: ``bench/search_queries.jsonl`` (typos, transliteration both
ways, synonyms, prefixes, keyboard layout), expected hero product in the top 10; recall@10 and MRR per
category. Synonym groups are set at runtime before the relevance run, as a merchandiser would.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.product_generator import generate, heroes
from search.adapters.embedded import EmbeddedSearchIndex
from search.domain.model import SearchQuery

SIZES = (10_000, 100_000)
BATCH = 5_000
QUERIES = Path(__file__).with_name("search_queries.jsonl")
SYNONYMS = [
    ["laptop", "notebook", "ноутбук", "лептоп"],
    ["smartphone", "cellphone", "mobile phone", "смартфон"],
    ["headphones", "earphones", "earbuds", "навушники"],
    ["vacuum cleaner", "hoover", "пилосос"],
    ["console", "game console", "консоль"],
    ["sneakers", "trainers", "кросівки"],
]
LATENCY_QUERIES: dict[str, list[dict[str, Any]]] = {
    "plain": [{"text": t} for t in ("lenovo laptop", "samsung galaxy", "wireless headphones", "coffee machine", "nike air max")],
    "fuzzy": [{"text": t} for t in ("lenvo laptpo", "samsng galaxi", "wirelss headphnes", "cofee machne", "nkie air mx")],
    "transliterated": [
        {"text": t, "locale": "uk"} for t in ("леново ідеапад", "самсунг галакси", "noutbuk asus", "navushnyky jbl", "філіпс")
    ],
    "faceted": [
        {"text": t, "facets": ["category", "brand", "price", "attributes"], "price_context": "UAH:retail"}
        for t in ("laptop", "samsung", "black", "wireless", "philips")
    ],
}  # fmt: skip


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 3)

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "n": len(ordered)}


def _index(root: Path, size: int) -> tuple[EmbeddedSearchIndex, float]:
    index = EmbeddedSearchIndex(root)
    started = time.perf_counter()
    batch = []
    for doc in generate(size):
        batch.append(doc)
        if len(batch) == BATCH:
            index.upsert(batch)
            batch = []
    index.upsert(batch)
    return index, size / (time.perf_counter() - started)


def _latency(index: EmbeddedSearchIndex, rounds: int) -> dict[str, dict[str, float]]:
    out = {}
    for kind, queries in LATENCY_QUERIES.items():
        built = [SearchQuery(**{"locale": "en", **q}) for q in queries]
        for q in built:
            index.search(q)
        samples = []
        for _ in range(rounds):
            for q in built:
                started = time.perf_counter()
                index.search(q)
                samples.append((time.perf_counter() - started) * 1000)
        out[kind] = _percentiles(samples)
    return out


def relevance(index: EmbeddedSearchIndex) -> dict[str, dict[str, Any]]:
    """recall@10 and MRR per query category, with the misses listed."""
    ids = {key: doc.product_id for key, doc in heroes().items()}
    index.set_synonyms(SYNONYMS)
    per: dict[str, dict[str, Any]] = {}
    for line in QUERIES.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        found = [
            h.product_id
            for h in index.search(SearchQuery(text=case["query"], locale=case["locale"], limit=10)).hits
        ]
        rank = found.index(ids[case["expected"]]) + 1 if ids[case["expected"]] in found else None
        entry = per.setdefault(case["category"], {"queries": 0, "found": 0, "rr": 0.0, "misses": []})
        entry["queries"] += 1
        entry["found"] += rank is not None
        entry["rr"] += 1 / rank if rank else 0.0
        if rank is None:
            entry["misses"].append(case["query"])
    return {
        name: {"recall_at_10": round(e["found"] / e["queries"], 3), "mrr": round(e["rr"] / e["queries"], 3),
               "queries": e["queries"], "misses": e["misses"]}
        for name, e in per.items()
    }  # fmt: skip


def run(
    sizes: tuple[int, ...] = SIZES, rounds: int = 40
) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    figures: dict[str, Any] = {}
    summary: list[tuple[str, str, str]] = []
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="search-bench-") as root:
            index, throughput = _index(Path(root), size)
            latency = _latency(index, rounds)
            scores = relevance(index)
        figures[str(size)] = {
            "index_docs_per_s": round(throughput),
            "latency_ms": latency,
            "relevance": scores,
        }
        label = f"{size // 1000}k"
        summary.append(
            (f"search index {label}", f"{throughput:,.0f} docs/s", "embedded tantivy, batches of 5,000")
        )
        for kind, p in latency.items():
            summary.append(
                (
                    f"search {kind} {label} p50/p95/p99",
                    f"{p['p50']}/{p['p95']}/{p['p99']} ms",
                    "target p95 <= 10 ms at 100k",
                )
            )
        recall = statistics.mean(s["recall_at_10"] for s in scores.values())
        mrr = statistics.mean(s["mrr"] for s in scores.values())
        summary.append(
            (
                f"search relevance {label}",
                f"recall@10 {recall:.3f}, MRR {mrr:.3f}",
                "mean over categories; target recall >= 0.95",
            )
        )
    return figures, summary


if __name__ == "__main__":
    import sys

    figures, summary = run(tuple(int(a) for a in sys.argv[1:]) or SIZES)
    print(json.dumps(figures, indent=1, ensure_ascii=False))
