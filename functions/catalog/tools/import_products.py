"""Import a products file through the admin API in chunks, with a progress bar.

    python -m catalog.tools.import_products products.jsonl --api http://127.0.0.1:8000 --token "$TOKEN"

JSON lines (``.jsonl``/``.ndjson``) or CSV (``.csv``). CSV lines of one product (same ``code``) are
never split across chunks. Failed rows are listed with their line in the file; the exit status is 1
when any row failed. Re-running the same file changes nothing.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from catalog.domain.imports import MAX_IMPORT_ROWS
from catalog.tools.client import AdminClient, ApiError, Progress, Transport


@dataclass(frozen=True)
class Chunk:
    body: str
    products: int
    lines: tuple[int, ...]  # file line of each line in the chunk (index 0 = chunk line 1)


def jsonl_chunks(text: str, size: int) -> Iterator[Chunk]:
    numbered = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    for start in range(0, len(numbered), size):
        part = numbered[start : start + size]
        yield Chunk("\n".join(line for _, line in part) + "\n", len(part), tuple(n for n, _ in part))


def csv_chunks(text: str, size: int) -> Iterator[Chunk]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        return
    groups: dict[str, list[tuple[int, list[str]]]] = {}
    code_at = header.index("code") if "code" in header else 0
    for record in reader:
        groups.setdefault(record[code_at] if len(record) > code_at else "", []).append(
            (reader.line_num, record)
        )
    products = list(groups.values())
    for start in range(0, len(products), size):
        part = [line for product in products[start : start + size] for line in product]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(record for _, record in part)
        yield Chunk(out.getvalue(), len(products[start : start + size]), (1, *(n for n, _ in part)))


def _file_line(chunk: Chunk, line: int) -> int:
    return chunk.lines[line - 1] if 0 < line <= len(chunk.lines) else line


def run(path: Path, client: Transport, chunk_size: int = MAX_IMPORT_ROWS) -> dict[str, int]:
    text = path.read_text(encoding="utf-8")
    is_csv = path.suffix.lower() == ".csv"
    chunks = list(csv_chunks(text, chunk_size) if is_csv else jsonl_chunks(text, chunk_size))
    content_type = "text/csv" if is_csv else "application/x-ndjson"
    totals = {"rows": 0, "created": 0, "updated": 0, "unchanged": 0, "failed": 0}
    progress = Progress(sum(c.products for c in chunks))
    failures: list[str] = []
    for chunk in chunks:
        status, _, raw = client.request("POST", "/admin/catalog/imports", chunk.body.encode(), content_type)
        if status != 200:
            raise ApiError(status, raw.decode(errors="replace"))
        report = json.loads(raw)
        for key in totals:
            totals[key] += report[key]
        for result in report["results"]:
            for error in result.get("errors", []):
                line = _file_line(chunk, error.get("line", result["line"]))
                failures.append(
                    f"line {line} ({result.get('code')}): {error['field'] or 'row'}: {error['message']}"
                )
        note = " ".join(f"{k} {totals[k]}" for k in ("created", "updated", "unchanged", "failed"))
        progress.show(totals["rows"], note)
    progress.finish()
    for failure in failures:
        print(failure, file=sys.stderr)
    return totals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("file", type=Path)
    parser.add_argument("--api", required=True, help="API base URL, e.g. http://127.0.0.1:8000")
    parser.add_argument("--token", required=True, help="a merchandisers bearer token (make token)")
    parser.add_argument("--chunk", type=int, default=MAX_IMPORT_ROWS, help="products per request (max 500)")
    args = parser.parse_args(argv)
    totals = run(args.file, AdminClient(args.api, args.token), min(max(args.chunk, 1), MAX_IMPORT_ROWS))
    print(" ".join(f"{k}={v}" for k, v in totals.items()))
    return 1 if totals["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
