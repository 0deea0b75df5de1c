"""Bulk import and export of products (JSON lines or CSV), one chunk per request.

The codecs and the importer are imported when a transfer route runs, so storefront reads do not pay
for them at cold start. Neither body is JSON, so both are described to the document by hand.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from catalog import wiring
from catalog.domain.commands import MAX_IMPORT_ROWS
from catalog.domain.models import ProductStatus
from catalog.handlers.responses import CatalogImportReport
from catalog.handlers.routes.common import ADMIN_SECURITY, ADMIN_TAGS, CorrelationId, Cursor, admin
from shop_kernel.errors import UnsupportedMediaType, ValidationFailed
from shop_kernel.http import json_response
from shop_kernel.openapi import documented, ok, problem

router = Router()
JSONL_TYPES = ("application/x-ndjson", "application/jsonl", "application/x-jsonlines")
CSV_TYPES = ("text/csv",)


def _text(description: str) -> dict[str, Any]:
    return {"schema": {"type": "string", "description": description}}


_JSONL = "One product per line, in the admin product shape plus an optional status"
_CSV = "A header row, then one row per variant; product columns repeat on each of its rows"
IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "description": f"Up to {MAX_IMPORT_ROWS} products as JSON lines or CSV",
        "content": {
            **{media: _text(_JSONL) for media in JSONL_TYPES},
            **{media: _text(_CSV) for media in CSV_TYPES},
        },
    }
}
EXPORT_ANSWER = {
    200: {
        "description": "One page of products in import format",
        "headers": {
            "X-Next-Cursor": {
                "description": "Pass as ?cursor= for the next page; absent on the last page",
                "required": False,
                "schema": {"type": "string"},
            }
        },
        "content": {"application/x-ndjson": _text(_JSONL), "text/csv": _text(_CSV)},
    }
}


@router.post(
    "/admin/catalog/imports",
    summary="Import products from a file",
    description=f"Creates or updates up to {MAX_IMPORT_ROWS} products by their code, from JSON lines "
    "(`Content-Type: application/x-ndjson`) or CSV (`text/csv`). Each row succeeds or fails on its own; "
    "the answer reports each one: created, updated, unchanged or failed with the offending fields and lines.",
    tags=ADMIN_TAGS,
    security=ADMIN_SECURITY,
    openapi_extensions=IMPORT_BODY,
    responses=documented(ok(CatalogImportReport), problem(413, f"More than {MAX_IMPORT_ROWS} products")),
)
def import_products(correlation_id: CorrelationId = None):
    from catalog.domain.codecs import decode_csv, decode_jsonl
    from catalog.domain.imports import ProductImporter

    actor = admin(router, correlation_id)
    content_type = (router.current_event.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type in JSONL_TYPES:
        decode = decode_jsonl
    elif content_type in CSV_TYPES:
        decode = decode_csv
    else:
        raise UnsupportedMediaType(
            "send application/x-ndjson (JSON lines) or text/csv", field="header.content-type"
        )
    rows = decode(router.current_event.decoded_body or "")
    if not rows:
        raise ValidationFailed.on("body", "the file has no products", "empty")
    return json_response(
        ProductImporter(wiring.container.repository(), wiring.container.product_service()).run(rows, actor)
    )


@router.get(
    "/admin/catalog/exports",
    summary="Export products to a file",
    description="One page of products of a status in the import format (JSON lines or CSV), so a catalog "
    "can be edited in a spreadsheet and imported back; the `X-Next-Cursor` header names the next page.",
    tags=ADMIN_TAGS,
    security=ADMIN_SECURITY,
    responses=documented(EXPORT_ANSWER),
)
def export_products(
    format: Annotated[Literal["jsonl", "csv"], Query(description="JSON lines or CSV")] = "jsonl",
    status: Annotated[ProductStatus, Query(description="Which products to export")] = ProductStatus.PUBLISHED,
    limit: Annotated[int, Query(ge=1, le=500, description="Products per page")] = 200,
    cursor: Cursor = None,
):
    from catalog.domain.codecs import encode_csv, encode_jsonl

    admin(router)
    page = wiring.container.repository().list_products(status.value, limit, cursor)
    body = encode_jsonl(page.items) if format == "jsonl" else encode_csv(page.items)
    headers = {"X-Next-Cursor": page.next_cursor} if page.next_cursor else {}
    content_type = "application/x-ndjson" if format == "jsonl" else "text/csv"
    return Response(status_code=200, content_type=content_type, body=body, headers=headers)
