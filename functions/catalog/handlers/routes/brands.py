"""Brands: a public list and merchandiser commands."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from catalog.adapters import repository, taxonomy_service
from catalog.domain.commands import CreateBrand, PatchBrand
from catalog.domain.models import Brand
from catalog.domain.views import localised
from catalog.handlers.routes.common import (
    admin,
    chosen_locale,
    expected_version,
    localised_response,
    versioned,
)
from shop_kernel.http import json_response

router = Router()


def _document(brand: Brand) -> dict[str, Any]:
    return brand.model_dump(mode="json", exclude_none=True)


@router.get("/catalog/brands", tags=["storefront"])
def list_public_brands(
    locale: Annotated[str | None, Query(description="Overrides Accept-Language")] = None,
):
    chosen = chosen_locale(router, locale)
    items = [
        b.model_dump(mode="json", include={"id", "name", "description", "logo_url"}, exclude_none=True)
        for b in repository().list_brands()
    ]
    return localised_response({"items": localised(items, chosen), "locale": chosen}, chosen)


@router.get("/admin/catalog/brands", tags=["admin"])
def list_brands():
    admin(router)
    return json_response({"items": [_document(b) for b in repository().list_brands()]})


@router.post("/admin/catalog/brands", tags=["admin"])
def create_brand(body: CreateBrand):
    brand = taxonomy_service().create_brand(body, admin(router))
    return versioned(_document(brand), 201, f"/admin/catalog/brands/{brand.id}")


@router.get("/admin/catalog/brands/<brand_id>", tags=["admin"])
def get_brand(brand_id: str):
    admin(router)
    return versioned(_document(taxonomy_service().brand(brand_id)))


@router.patch("/admin/catalog/brands/<brand_id>", tags=["admin"])
def update_brand(brand_id: str, body: PatchBrand):
    actor = admin(router)
    return versioned(_document(taxonomy_service().update_brand(brand_id, body, _version(brand_id), actor)))


def _version(brand_id: str) -> int | None:
    """The version If-Match names for a brand command (``*``: the brand's current version)."""
    return expected_version(router, lambda: taxonomy_service().brand(brand_id).version)
