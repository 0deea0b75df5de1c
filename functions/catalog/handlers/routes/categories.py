"""Categories: the public tree and merchandiser commands (create, rename/re-describe, move)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from catalog.adapters import repository, taxonomy_service
from catalog.domain.categories import tree
from catalog.domain.commands import CreateCategory, MoveCategory, PatchCategory
from catalog.domain.models import Category
from catalog.domain.views import localised
from catalog.handlers.responses import (
    CatalogCategory,
    CatalogCategoryList,
    StorefrontCategoryDetail,
    StorefrontCategoryTree,
)
from catalog.handlers.routes.admin import AdminResource, Words, admin_routes
from catalog.handlers.routes.common import (
    ADMIN_SECURITY,
    ADMIN_TAGS,
    LOCALISED,
    STOREFRONT,
    VERSIONED,
    AcceptLanguage,
    CorrelationId,
    IfMatch,
    Locale,
    admin,
    chosen_locale,
    expected_version,
    localised_response,
    versioned,
)
from shop_kernel.errors import NotFound
from shop_kernel.openapi import documented, ok, problem

router = Router()
CategoryId = Annotated[str, Path(description="The category's id, e.g. laptops")]
TAKEN = "The id or a slug is already taken, or a concurrent change touched the same categories"


def _document(category: Category) -> dict[str, Any]:
    return category.model_dump(mode="json", exclude_none=True)


def _public(category: Category) -> dict[str, Any]:
    return {
        "id": category.id,
        "parent_id": category.parent_id,
        "path": category.path,
        **category.model_dump(mode="json", include={"name", "description", "seo"}, exclude_none=True),
    }


@router.get(
    "/catalog/categories",
    summary="Read the category tree",
    description="Every category for shop navigation and menus, nested under its parent, siblings ordered "
    "by id, with names and slugs in the requested locale.",
    tags=STOREFRONT,
    responses=documented(ok(StorefrontCategoryTree, headers=LOCALISED)),
)
def category_tree(locale: Locale = None, accept_language: AcceptLanguage = None):
    chosen = chosen_locale(locale, accept_language)
    nodes = tree(repository().list_categories(), _public)
    return localised_response({"items": localised(nodes, chosen), "locale": chosen}, chosen)


@router.get(
    "/catalog/categories/<category_id>",
    summary="Read a category",
    description="One category's name, description, SEO meta and path from the root (for breadcrumbs), in "
    "the requested locale.",
    tags=STOREFRONT,
    responses=documented(ok(StorefrontCategoryDetail, headers=LOCALISED), 404),
)
def get_category(category_id: CategoryId, locale: Locale = None, accept_language: AcceptLanguage = None):
    chosen = chosen_locale(locale, accept_language)
    category = repository().get_category(category_id)
    if category is None:
        raise NotFound(f"no category {category_id!r}")
    return localised_response({**localised(_public(category), chosen), "locale": chosen}, chosen)


admin_routes(
    router,
    AdminResource[Category](
        path="/admin/catalog/categories",
        id_name="category_id",
        id_type=CategoryId,
        model=CatalogCategory,
        create_command=CreateCategory,
        patch_command=PatchCategory,
        document=_document,
        read=lambda category_id: taxonomy_service().category(category_id),
        create=lambda body, actor: taxonomy_service().create_category(body, actor),
        update=lambda category_id, body, version, actor: taxonomy_service().update_category(
            category_id, body, version, actor
        ),
        listing=(
            Words(
                "list_categories",
                "List categories for editing",
                "Every category, flat, with every locale and its version, for merchandisers.",
            ),
            CatalogCategoryList,
            lambda: repository().list_categories(),
        ),
        created=Words(
            "create_category",
            "Create a category",
            "A merchandiser adds a category at the root or under a parent (at most five levels deep); "
            "its id and slugs must be unused.",
        ),
        taken=TAKEN,
        got=Words(
            "get_admin_category",
            "Read a category for editing",
            "The category with every locale, and its version as the ETag to send back with a change.",
        ),
        changed=Words(
            "update_category",
            "Rename or re-describe a category",
            "Replaces the name, description or SEO meta sent when the category is still at the version "
            "named in If-Match; its products' listings follow.",
        ),
        contended=TAKEN,
    ),
)


@router.post(
    "/admin/catalog/categories/<category_id>/move",
    summary="Move a category",
    description="Moves the category with its whole subtree under another parent (or to the root); its "
    "products are listed under the new ancestors. A category cannot move under itself or its descendants.",
    tags=ADMIN_TAGS,
    security=ADMIN_SECURITY,
    responses=documented(ok(CatalogCategory, headers=VERSIONED), 404, problem(409, TAKEN), 412, 428),
)
def move_category(
    category_id: CategoryId,
    body: MoveCategory,
    if_match: IfMatch = None,
    correlation_id: CorrelationId = None,
):
    actor = admin(router, correlation_id)
    category = taxonomy_service().move_category(
        category_id, body.parent_id, expected_version(if_match), actor
    )
    return versioned(_document(category))
