"""Brands: a public list and the merchandisers' CRUD routes (``catalog.handlers.routes.admin``)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from catalog.adapters import repository, taxonomy_service
from catalog.domain.commands import CreateBrand, PatchBrand
from catalog.domain.models import Brand
from catalog.domain.views import localised
from catalog.handlers.responses import CatalogBrand, CatalogBrandList, StorefrontBrandList
from catalog.handlers.routes.admin import AdminResource, Words, admin_routes
from catalog.handlers.routes.common import (
    LOCALISED,
    STOREFRONT,
    AcceptLanguage,
    Locale,
    chosen_locale,
    localised_response,
)
from shop_kernel.openapi import documented, ok

router = Router()
BrandId = Annotated[str, Path(description="The brand's id, e.g. acme")]


def _document(brand: Brand) -> dict[str, Any]:
    return brand.model_dump(mode="json", exclude_none=True)


@router.get(
    "/catalog/brands",
    summary="List brands",
    description="Every brand with its description and logo in the requested locale, for brand filters "
    "and brand pages.",
    tags=STOREFRONT,
    responses=documented(ok(StorefrontBrandList, headers=LOCALISED)),
)
def list_public_brands(locale: Locale = None, accept_language: AcceptLanguage = None):
    chosen = chosen_locale(locale, accept_language)
    items = [
        b.model_dump(mode="json", include={"id", "name", "description", "logo_url"}, exclude_none=True)
        for b in repository().list_brands()
    ]
    return localised_response({"items": localised(items, chosen), "locale": chosen}, chosen)


admin_routes(
    router,
    AdminResource[Brand](
        path="/admin/catalog/brands",
        id_name="brand_id",
        id_type=BrandId,
        model=CatalogBrand,
        create_command=CreateBrand,
        patch_command=PatchBrand,
        document=_document,
        read=lambda brand_id: taxonomy_service().brand(brand_id),
        create=lambda body, actor: taxonomy_service().create_brand(body, actor),
        update=lambda brand_id, body, version, actor: taxonomy_service().update_brand(
            brand_id, body, version, actor
        ),
        listing=(
            Words(
                "list_brands",
                "List brands for editing",
                "Every brand with every locale and its version, for merchandisers.",
            ),
            CatalogBrandList,
            lambda: repository().list_brands(),
        ),
        created=Words(
            "create_brand",
            "Create a brand",
            "A merchandiser adds a brand products can then name; its id must be unused.",
        ),
        taken="A brand has this id",
        got=Words(
            "get_brand",
            "Read a brand for editing",
            "The brand with every locale, and its version as the ETag to send back with a change.",
        ),
        changed=Words(
            "update_brand",
            "Change a brand",
            "Replaces the name, description or logo sent when the brand is still at the version named "
            "in If-Match; published products show the new name.",
        ),
        contended="A concurrent change touched the same brand",
    ),
)
