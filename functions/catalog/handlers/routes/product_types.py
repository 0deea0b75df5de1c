"""Product types: the typed attributes (text, number with unit, enum, boolean) products declare."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from catalog.adapters import repository, taxonomy_service
from catalog.domain.commands import CreateProductType, PatchProductType
from catalog.domain.models import ProductType
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


def _document(product_type: ProductType) -> dict[str, Any]:
    return product_type.model_dump(mode="json", exclude_none=True)


@router.get("/catalog/product-types/<type_id>", tags=["storefront"])
def get_product_type(
    type_id: str, locale: Annotated[str | None, Query(description="Overrides Accept-Language")] = None
):
    """Attribute labels, units and options, for building filter UIs."""
    chosen = chosen_locale(router, locale)
    product_type = repository().get_product_type(type_id)
    if product_type is None:
        raise NotFound(f"no product type {type_id!r}")
    body = localised(product_type.model_dump(mode="json", include={"id", "name", "attributes"}), chosen)
    return localised_response({**body, "locale": chosen}, chosen)


@router.get("/admin/catalog/product-types", tags=["admin"])
def list_product_types():
    admin(router)
    return json_response({"items": [_document(t) for t in repository().list_product_types()]})


@router.post("/admin/catalog/product-types", tags=["admin"])
def create_product_type(body: CreateProductType):
    product_type = taxonomy_service().create_product_type(body, admin(router))
    return versioned(_document(product_type), 201, f"/admin/catalog/product-types/{product_type.id}")


@router.get("/admin/catalog/product-types/<type_id>", tags=["admin"])
def get_admin_product_type(type_id: str):
    admin(router)
    return versioned(_document(taxonomy_service().product_type(type_id)))


@router.patch("/admin/catalog/product-types/<type_id>", tags=["admin"])
def update_product_type(type_id: str, body: PatchProductType):
    actor = admin(router)
    product_type = taxonomy_service().update_product_type(type_id, body, _version(type_id), actor)
    return versioned(_document(product_type))


def _version(type_id: str) -> int | None:
    """The version If-Match names for a product type command (``*``: the product type's current version)."""
    return expected_version(router, lambda: taxonomy_service().product_type(type_id).version)
