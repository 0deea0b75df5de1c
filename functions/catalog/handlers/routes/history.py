"""Content history: who changed what and when, and any entity as it was at a past version."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from catalog import wiring
from catalog.handlers.responses import CatalogHistoryPage, CatalogVersion
from catalog.handlers.routes.common import ADMIN_SECURITY, ADMIN_TAGS, Cursor, Limit, admin
from shop_kernel.errors import NotFound
from shop_kernel.http import json_response
from shop_kernel.openapi import documented, ok, problem

router = Router()
_KINDS = {
    "products": "product",
    "categories": "category",
    "product-types": "product_type",
    "brands": "brand",
}
Collection = Annotated[
    Literal["products", "categories", "product-types", "brands"],
    Path(description="The kind of entity whose history is read"),
]
EntityId = Annotated[str, Path(description="The product's, category's, product type's or brand's id")]


@router.get(
    "/admin/catalog/<collection>/<entity_id>/history",
    summary="Read an entity's content history",
    description="Who changed a product, category, product type or brand, when, how (created, updated, "
    "published, moved...) and the field-level difference each time, newest first.",
    tags=ADMIN_TAGS,
    security=ADMIN_SECURITY,
    responses=documented(ok(CatalogHistoryPage), problem(404, "No such entity (it has no history)")),
)
def list_history(collection: Collection, entity_id: EntityId, limit: Limit = 20, cursor: Cursor = None):
    admin(router)
    page = wiring.container.repository().history(_KINDS[collection], entity_id, limit, cursor)
    if not page.items and cursor is None:
        raise NotFound(f"no history for {collection}/{entity_id}")
    return json_response({"items": page.items, "next_cursor": page.next_cursor})


@router.get(
    "/admin/catalog/<collection>/<entity_id>/versions/<version>",
    summary="Read an entity as it was at a version",
    description="The whole document of a product, category, product type or brand at a past version, with "
    "the change that made it: for audits and for restoring content by hand.",
    tags=ADMIN_TAGS,
    security=ADMIN_SECURITY,
    responses=documented(ok(CatalogVersion), problem(404, "No such entity or version")),
)
def get_version(
    collection: Collection,
    entity_id: EntityId,
    version: Annotated[int, Path(ge=1, description="A version from the history")],
):
    admin(router)
    entry = wiring.container.repository().version(_KINDS[collection], entity_id, version)
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
