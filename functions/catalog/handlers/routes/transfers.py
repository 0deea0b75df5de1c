"""Bulk import and export of products (JSON lines or CSV), one chunk per request.

The codecs and the importer are imported when a transfer route runs, so storefront reads do not pay
for them at cold start.
"""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from catalog.adapters import product_service, repository
from catalog.domain.models import ProductStatus
from catalog.handlers.routes.common import admin
from shop_kernel.errors import UnsupportedMediaType, ValidationFailed
from shop_kernel.http import json_response

router = Router()
JSONL_TYPES = ("application/x-ndjson", "application/jsonl", "application/x-jsonlines")
CSV_TYPES = ("text/csv",)


@router.post("/admin/catalog/imports", tags=["admin"])
def import_products():
    """Import up to 500 products; the answer reports each row: created, updated, unchanged or failed.

    Send JSON lines (``Content-Type: application/x-ndjson``) or CSV (``text/csv``).
    """
    from catalog.domain.codecs import decode_csv, decode_jsonl
    from catalog.domain.imports import ProductImporter

    actor = admin(router)
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
    return json_response(ProductImporter(repository(), product_service()).run(rows, actor))


@router.get("/admin/catalog/exports", tags=["admin"])
def export_products(
    format: Annotated[Literal["jsonl", "csv"], Query()] = "jsonl",
    status: Annotated[ProductStatus, Query()] = ProductStatus.PUBLISHED,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
):
    """One page of products in import format; ``X-Next-Cursor`` names the next page when there is one."""
    from catalog.domain.codecs import encode_csv, encode_jsonl

    admin(router)
    page = repository().list_products(status.value, limit, cursor)
    body = encode_jsonl(page.items) if format == "jsonl" else encode_csv(page.items)
    headers = {"X-Next-Cursor": page.next_cursor} if page.next_cursor else {}
    content_type = "application/x-ndjson" if format == "jsonl" else "text/csv"
    return Response(status_code=200, content_type=content_type, body=body, headers=headers)
