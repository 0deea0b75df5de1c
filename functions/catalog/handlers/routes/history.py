"""Content history: who changed what and when, and any entity as it was at a past version."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from catalog.adapters import repository
from catalog.handlers.routes.common import admin
from shop_kernel.errors import NotFound
from shop_kernel.http import json_response

router = Router()
_COLLECTIONS = {
    "products": "product",
    "categories": "category",
    "product-types": "product_type",
    "brands": "brand",
}


def _kind(collection: str) -> str:
    kind = _COLLECTIONS.get(collection)
    if kind is None:
        raise NotFound("history is kept for products, categories, product-types and brands")
    return kind


@router.get("/admin/catalog/<collection>/<entity_id>/history", tags=["admin"])
def list_history(
    collection: str,
    entity_id: str,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
):
    """Versions newest first, each with who, when, the kind of change and the field-level diff."""
    admin(router)
    page = repository().history(_kind(collection), entity_id, limit, cursor)
    if not page.items and cursor is None:
        raise NotFound(f"no history for {collection}/{entity_id}")
    return json_response({"items": page.items, "next_cursor": page.next_cursor})


@router.get("/admin/catalog/<collection>/<entity_id>/versions/<version>", tags=["admin"])
def get_version(collection: str, entity_id: str, version: Annotated[int, Path(ge=1)]):
    admin(router)
    entry = repository().version(_kind(collection), entity_id, version)
    if entry is None:
        raise NotFound(f"{collection}/{entity_id} has no version {version}")
    return json_response(
        {
            "version": entry.version,
            "change": entry.change,
            "at": entry.at,
            "by": entry.by,
            "diff": entry.diff,
            "document": entry.document,
        }
    )
