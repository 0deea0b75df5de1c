"""Product files: JSON lines (one product per line, the API's shape) and CSV (one variant per line).

CSV columns are dotted paths into the JSON shape: ``code``, ``status``, ``name.en``, ``seo.slug.uk``,
``attributes.<code>``, ``media``, then per variant ``variant.sku``, ``variant.attributes.<code>``,
``variant.prices.<price_list>.<CURRENCY>`` (integer minor units) and ``variant.media``. Lines with
the same ``code`` are one product; product columns are read from its first line. Media cells hold
``|``-separated URLs, or a JSON list when media carry alt texts. CSV values are text: the importer converts attribute values using the product
type, and prices must be whole numbers of minor units.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from typing import Any

from shop_kernel.errors import ValidationFailed

_INT = re.compile(r"^-?\d+$")
PRODUCT_COLUMNS = (
    "code", "status", "product_type_id", "category_id", "brand_id",
    "name.en", "name.uk", "description.en", "description.uk",
    "seo.slug.en", "seo.slug.uk", "seo.title.en", "seo.title.uk",
    "seo.description.en", "seo.description.uk", "seo.canonical_url.en", "seo.canonical_url.uk",
)  # fmt: skip
EXPORT_FIELDS = (
    "code",
    "status",
    "product_type_id",
    "category_id",
    "brand_id",
    "name",
    "description",
    "attributes",
    "variants",
    "media",
    "seo",
)


@dataclass(frozen=True)
class RawRow:
    """One product read from a file, or why it could not be read. ``lines`` are its source lines."""

    line: int
    data: dict[str, Any] | None = None
    error: str | None = None
    lines: tuple[int, ...] = ()
    text_values: bool = False


def decode_jsonl(text: str) -> list[RawRow]:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError:
            rows.append(RawRow(line=number, error="the line is not valid JSON", lines=(number,)))
            continue
        if not isinstance(data, dict):
            rows.append(RawRow(line=number, error="each line must be a JSON object", lines=(number,)))
        else:
            rows.append(RawRow(line=number, data=data, lines=(number,)))
    return rows


def _set(target: dict[str, Any], path: list[str], value: Any) -> None:
    for key in path[:-1]:
        target = target.setdefault(key, {})
    target[path[-1]] = value


def _media(cell: str) -> Any:
    if cell.lstrip().startswith("["):
        try:
            return json.loads(cell)
        except ValueError:
            return cell  # reported by validation as "not a list"
    return [{"url": url.strip()} for url in cell.split("|") if url.strip()]


def _media_cell(media: list[dict[str, Any]]) -> str:
    """Plain URLs when that says everything, the JSON list when items carry alt text or a kind."""
    if all(set(m) <= {"url", "kind"} and m.get("kind", "image") == "image" for m in media):
        return "|".join(m["url"] for m in media)
    return json.dumps(media, ensure_ascii=False, separators=(",", ":"))


def _variant(record: dict[str, str]) -> dict[str, Any]:
    variant: dict[str, Any] = {"attributes": {}, "prices": []}
    for column, cell in record.items():
        if not column or not column.startswith("variant.") or cell in ("", None):
            continue
        path = column.split(".")[1:]
        if path == ["sku"]:
            variant["sku"] = cell
        elif path == ["media"]:
            variant["media"] = _media(cell)
        elif path[0] == "attributes" and len(path) == 2:
            variant["attributes"][path[1]] = cell
        elif path[0] == "prices" and len(path) == 3:
            amount: Any = int(cell) if _INT.match(cell) else cell
            variant["prices"].append({"price_list": path[1], "currency": path[2], "amount": amount})
    return variant


def _product(record: dict[str, str]) -> dict[str, Any]:
    product: dict[str, Any] = {}
    for column, cell in record.items():
        if not column or column.startswith("variant.") or cell in ("", None):
            continue
        if column == "media":
            product["media"] = _media(cell)
        else:
            _set(product, column.split("."), cell)
    return product


def decode_csv(text: str) -> list[RawRow]:
    """The file's products, one row per code; a file the csv module cannot read is a 422 on the body."""
    try:
        return _decode_csv(text)
    except csv.Error as exc:
        raise ValidationFailed.on("body", f"the file is not CSV we can read: {exc}", "not_csv") from exc


def _decode_csv(text: str) -> list[RawRow]:
    # newline="": the csv module reads \r, \n and \r\n line ends itself (a lone \r in a line was an error).
    reader = csv.DictReader(io.StringIO(text, newline=""))
    groups: dict[str, tuple[list[int], dict[str, Any]]] = {}
    rows: list[RawRow] = []
    for record in reader:
        number = reader.line_num
        if None in record:
            rows.append(RawRow(line=number, error="the line has more cells than the header", lines=(number,)))
            continue
        code = (record.get("code") or "").strip()
        if not code:
            rows.append(RawRow(line=number, error="code is required on every line", lines=(number,)))
            continue
        if code not in groups:
            groups[code] = ([], {**_product(record), "variants": []})
        lines, product = groups[code]
        lines.append(number)
        product["variants"].append(_variant(record))
    for lines, product in groups.values():
        rows.append(RawRow(line=lines[0], data=product, lines=tuple(lines), text_values=True))
    return sorted(rows, key=lambda r: r.line)


def export_row(document: dict[str, Any]) -> dict[str, Any]:
    """A stored product document in the shape the importer reads back unchanged."""
    return {k: document[k] for k in EXPORT_FIELDS if document.get(k) not in (None, {}, [])}


def encode_jsonl(documents: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(export_row(d), ensure_ascii=False, sort_keys=True) + "\n" for d in documents)


def _flatten(prefix: str, value: Any, out: dict[str, str]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}" if prefix else key, inner, out)
    elif isinstance(value, bool):
        out[prefix] = "true" if value else "false"
    elif value is not None:
        out[prefix] = str(value)


def _csv_lines(document: dict[str, Any]) -> list[dict[str, str]]:
    product: dict[str, str] = {}
    _flatten("", {k: v for k, v in export_row(document).items() if k not in ("variants", "media")}, product)
    if document.get("media"):
        product["media"] = _media_cell(document["media"])
    lines = []
    for variant in document["variants"]:
        line = {**product, "variant.sku": variant["sku"]}
        _flatten("variant.attributes", variant.get("attributes", {}), line)
        for price in variant["prices"]:
            line[f"variant.prices.{price.get('price_list', 'retail')}.{price['currency']}"] = str(
                price["amount"]
            )
        if variant.get("media"):
            line["variant.media"] = _media_cell(variant["media"])
        lines.append(line)
    return lines


def encode_csv(documents: list[dict[str, Any]]) -> str:
    lines = [line for d in documents for line in _csv_lines(d)]
    extra = sorted(
        {c for line in lines for c in line} - set(PRODUCT_COLUMNS) - {"media"},
        key=lambda c: (c.startswith("variant."), c != "variant.sku", c),
    )
    columns = [*PRODUCT_COLUMNS, "media", *extra]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(lines)
    return out.getvalue()
