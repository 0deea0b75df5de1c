"""Bulk import of products: validate every row, import the good ones, report on each.

A row is a whole product (JSON line, or the CSV lines sharing a ``code``). Bad rows are reported with
their line and the offending fields and are not imported; good rows in the same chunk still are.
Products are matched by ``code``: a row identical to the stored product changes nothing (no new
version), so importing the same file twice is harmless.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from catalog.domain.changes import Actor
from catalog.domain.codecs import RawRow
from catalog.domain.commands import MAX_IMPORT_ROWS, ImportRow
from catalog.domain.models import AttributeKind, ProductContent, ProductType
from catalog.domain.ports import CatalogRepository, ReferenceData
from catalog.domain.products import ProductService
from catalog.domain.validation import field_errors
from shop_kernel.errors import DomainError, FieldError, PayloadTooLarge

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def _typed(value: Any, kind: AttributeKind) -> Any:
    if not isinstance(value, str):
        return value
    text = value.strip()
    if kind == AttributeKind.NUMBER and _NUMBER.match(text):
        return float(text) if "." in text else int(text)
    if kind == AttributeKind.BOOLEAN and text.lower() in _BOOLEANS:
        return _BOOLEANS[text.lower()]
    return value


def typed_values(data: dict[str, Any], product_type: ProductType | None) -> dict[str, Any]:
    """CSV cells are text: convert attribute values to the kinds the product type declares."""
    if product_type is None:
        return data

    def convert(values: dict[str, Any]) -> dict[str, Any]:
        kinds = {a.code: a.kind for a in product_type.attributes}
        return {k: _typed(v, kinds[k]) if k in kinds else v for k, v in values.items()}

    variants = [
        {**v, "attributes": convert(v.get("attributes", {}))} if isinstance(v, dict) else v
        for v in data.get("variants", [])
    ]
    return {**data, "attributes": convert(data.get("attributes", {})), "variants": variants}


def _line_of(row: RawRow, field: str) -> int:
    parts = field.split(".")
    if row.text_values and len(parts) > 1 and parts[0] == "variants" and parts[1].isdigit():
        index = int(parts[1])
        if index < len(row.lines):
            return row.lines[index]
    return row.line


def _failed(row: RawRow, code: str | None, errors: list[FieldError]) -> dict[str, Any]:
    return {
        "line": row.line,
        "code": code,
        "outcome": "failed",
        "errors": [{**e.model_dump(), "line": _line_of(row, e.field)} for e in errors],
    }


class ProductImporter:
    def __init__(self, repository: CatalogRepository, products: ProductService) -> None:
        self._repository = repository
        self._products = products

    def run(self, rows: Sequence[RawRow], actor: Actor) -> dict[str, Any]:
        if len(rows) > MAX_IMPORT_ROWS:
            raise PayloadTooLarge(f"send at most {MAX_IMPORT_ROWS} products per request", rows=len(rows))
        refs = self._repository.all_reference_data()
        parsed: list[tuple[RawRow, ImportRow | None, dict[str, Any] | None]] = []
        for row in rows:
            parsed.append((row, *self._parse(row, refs)))
        codes = [command.code for _, command, _ in parsed if command is not None]
        existing = self._repository.get_products_by_code(sorted(set(codes)))
        seen: set[str] = set()
        results: list[dict[str, Any]] = []
        for row, command, failure in parsed:
            if command is None:
                assert failure is not None
                results.append(failure)
            elif command.code in seen:
                error = FieldError(
                    field="code", message="this code appears earlier in the file", code="duplicate"
                )
                results.append(_failed(row, command.code, [error]))
            else:
                seen.add(command.code)
                results.append(self._import(row, command, existing, refs, actor))
        return _report(results)

    def _parse(self, row: RawRow, refs: ReferenceData) -> tuple[ImportRow | None, dict[str, Any] | None]:
        if row.data is None:
            error = FieldError(field="", message=row.error or "unreadable", code="unreadable")
            return None, _failed(row, None, [error])
        data = row.data
        if row.text_values:
            data = typed_values(data, refs.product_types.get(str(data.get("product_type_id"))))
        try:
            return ImportRow.model_validate(data), None
        except ValidationError as exc:
            return None, _failed(
                row,
                data.get("code") if isinstance(data.get("code"), str) else None,
                field_errors(exc, prefix=""),
            )

    def _import(
        self, row: RawRow, command: ImportRow, existing: dict[str, Any], refs: ReferenceData, actor: Actor
    ) -> dict[str, Any]:
        stored = existing.get(command.code)
        content = ProductContent.model_validate(command.model_dump(exclude={"code", "status"}))
        try:
            if stored is None:
                product = self._products.create(
                    command, actor, status=command.status, refs=refs, prefix="", change="imported"
                )
                outcome = "created"
            else:
                product = self._products.apply(
                    stored, content, command.status, "imported", actor, refs, prefix=""
                )
                outcome = "unchanged" if product.version == stored.product.version else "updated"
        except DomainError as exc:
            errors = exc.errors or [FieldError(field="", message=exc.detail, code=exc.type_slug)]
            return _failed(row, command.code, errors)
        return {
            "line": row.line,
            "code": command.code,
            "outcome": outcome,
            "product_id": product.id,
            "version": product.version,
        }


def _report(results: list[dict[str, Any]]) -> dict[str, Any]:
    counts = {k: 0 for k in ("created", "updated", "unchanged", "failed")}
    for result in results:
        counts[result["outcome"]] += 1
    return {"rows": len(results), **counts, "results": results}
