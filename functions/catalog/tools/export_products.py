"""Export products through the admin API to JSON lines or CSV, in the format the importer reads back.

    python -m catalog.tools.export_products out.csv --api http://127.0.0.1:8000 --token "$TOKEN"

The format follows the file's extension (``.csv`` or JSON lines). Pages are fetched as JSON lines and
CSV is written at the end, so every line shares one header.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.parse
from pathlib import Path
from typing import Any

from catalog.domain.codecs import encode_csv
from catalog.tools.client import AdminClient, ApiError, Progress, Transport


def fetch(client: Transport, status: str, page_size: int = 200) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor: str | None = None
    progress = Progress(0, "products exported")
    while True:
        query = {
            "format": "jsonl",
            "status": status,
            "limit": str(page_size),
            **({"cursor": cursor} if cursor else {}),
        }
        code, headers, raw = client.request("GET", "/admin/catalog/exports?" + urllib.parse.urlencode(query))
        if code != 200:
            raise ApiError(code, raw.decode(errors="replace"))
        rows += [json.loads(line) for line in raw.decode().splitlines() if line.strip()]
        progress.show(len(rows))
        cursor = {k.lower(): v for k, v in headers.items()}.get("x-next-cursor")
        if not cursor:
            progress.finish()
            return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("file", type=Path)
    parser.add_argument("--api", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--status", default="published", choices=("draft", "published", "archived"))
    args = parser.parse_args(argv)
    rows = fetch(AdminClient(args.api, args.token), args.status)
    if args.file.suffix.lower() == ".csv":
        text = encode_csv(rows)
    else:
        text = "".join(
            json.dumps({**r, "status": args.status}, ensure_ascii=False, sort_keys=True) + "\n" for r in rows
        )
    args.file.write_text(text, encoding="utf-8")
    print(f"{len(rows)} products -> {args.file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
