"""Brands: a public list and merchandiser commands."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from catalog import wiring
from catalog.domain.commands import CreateBrand, PatchBrand
from catalog.domain.models import Brand
from catalog.domain.views import localised
from catalog.handlers.responses import CatalogBrand, CatalogBrandList, StorefrontBrandList
from catalog.handlers.routes.common import (
    ADMIN_SECURITY,
    ADMIN_TAGS,
    CREATED,
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
from shop_kernel.http import json_response
from shop_kernel.openapi import documented, ok, problem

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
        for b in wiring.container.repository().list_brands()
    ]
    return localised_response({"items": localised(items, chosen), "locale": chosen}, chosen)


@router.get(
    "/admin/catalog/brands",
    summary="List brands for editing",
    description="Every brand with every locale and its version, for merchandisers.",
    tags=ADMIN_TAGS,
    security=ADMIN_SECURITY,
    responses=documented(ok(CatalogBrandList)),
)
def list_brands():
    admin(router)
    return json_response({"items": [_document(b) for b in wiring.container.repository().list_brands()]})


@router.post(
    "/admin/catalog/brands",
    summary="Create a brand",
    description="A merchandiser adds a brand products can then name; its id must be unused.",
    tags=ADMIN_TAGS,
    security=ADMIN_SECURITY,
    status_code=201,
    responses=documented(
        ok(CatalogBrand, "Created", status=201, headers=CREATED), problem(409, "A brand has this id")
    ),
)
def create_brand(body: CreateBrand, correlation_id: CorrelationId = None):
    brand = wiring.container.taxonomy_service().create_brand(body, admin(router, correlation_id))
    return versioned(_document(brand), 201, f"/admin/catalog/brands/{brand.id}")


@router.get(
    "/admin/catalog/brands/<brand_id>",
    summary="Read a brand for editing",
    description="The brand with every locale, and its version as the ETag to send back with a change.",
    tags=ADMIN_TAGS,
    security=ADMIN_SECURITY,
    responses=documented(ok(CatalogBrand, headers=VERSIONED), 404),
)
def get_brand(brand_id: BrandId):
    admin(router)
    return versioned(_document(wiring.container.taxonomy_service().brand(brand_id)))


@router.patch(
    "/admin/catalog/brands/<brand_id>",
    summary="Change a brand",
    description="Replaces the name, description or logo sent when the brand is still at the version named "
    "in If-Match; published products show the new name.",
    tags=ADMIN_TAGS,
    security=ADMIN_SECURITY,
    responses=documented(
        ok(CatalogBrand, headers=VERSIONED),
        404,
        problem(409, "A concurrent change touched the same brand"),
        412,
        428,
    ),
)
def update_brand(
    brand_id: BrandId, body: PatchBrand, if_match: IfMatch = None, correlation_id: CorrelationId = None
):
    actor = admin(router, correlation_id)
    brand = wiring.container.taxonomy_service().update_brand(
        brand_id, body, expected_version(if_match), actor
    )
    return versioned(_document(brand))
