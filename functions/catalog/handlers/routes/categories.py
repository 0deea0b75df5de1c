"""Categories: the public tree and merchandiser commands (create, rename/re-describe, move)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from catalog.adapters import repository, taxonomy_service
from catalog.domain.categories import tree
from catalog.domain.commands import CreateCategory, MoveCategory, PatchCategory
from catalog.domain.models import Category
from catalog.domain.views import localised
from catalog.handlers.routes.common import (
    admin,
    chosen_locale,
    expected_version,
    localised_response,
    versioned,
)
from shop_kernel.errors import NotFound
from shop_kernel.http import json_response

router = Router()
Locale = Annotated[str | None, Query(description="Overrides Accept-Language: en or uk")]


def _document(category: Category) -> dict[str, Any]:
    return category.model_dump(mode="json", exclude_none=True)


def _public(category: Category) -> dict[str, Any]:
    return {
        "id": category.id,
        "parent_id": category.parent_id,
        "path": category.path,
        **category.model_dump(mode="json", include={"name", "description", "seo"}, exclude_none=True),
    }


@router.get("/catalog/categories", tags=["storefront"])
def category_tree(locale: Locale = None):
    chosen = chosen_locale(router, locale)
    nodes = tree(repository().list_categories(), _public)
    return localised_response({"items": localised(nodes, chosen), "locale": chosen}, chosen)


@router.get("/catalog/categories/<category_id>", tags=["storefront"])
def get_category(category_id: str, locale: Locale = None):
    chosen = chosen_locale(router, locale)
    category = repository().get_category(category_id)
    if category is None:
        raise NotFound(f"no category {category_id!r}")
    return localised_response({**localised(_public(category), chosen), "locale": chosen}, chosen)


@router.get("/admin/catalog/categories", tags=["admin"])
def list_categories():
    admin(router)
    return json_response({"items": [_document(c) for c in repository().list_categories()]})


@router.post("/admin/catalog/categories", tags=["admin"])
def create_category(body: CreateCategory):
    category = taxonomy_service().create_category(body, admin(router))
    return versioned(_document(category), 201, f"/admin/catalog/categories/{category.id}")


@router.get("/admin/catalog/categories/<category_id>", tags=["admin"])
def get_admin_category(category_id: str):
    admin(router)
    return versioned(_document(taxonomy_service().category(category_id)))


@router.patch("/admin/catalog/categories/<category_id>", tags=["admin"])
def update_category(category_id: str, body: PatchCategory):
    actor = admin(router)
    category = taxonomy_service().update_category(category_id, body, _version(category_id), actor)
    return versioned(_document(category))


@router.post("/admin/catalog/categories/<category_id>/move", tags=["admin"])
def move_category(category_id: str, body: MoveCategory):
    actor = admin(router)
    category = taxonomy_service().move_category(category_id, body.parent_id, _version(category_id), actor)
    return versioned(_document(category))


def _version(category_id: str) -> int | None:
    """The version If-Match names for a category command (``*``: the category's current version)."""
    return expected_version(router, lambda: taxonomy_service().category(category_id).version)
