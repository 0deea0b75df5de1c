"""Product types: the typed attributes (text, number with unit, enum, boolean) products declare."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from catalog import wiring
from catalog.domain.commands import CreateProductType, PatchProductType
from catalog.domain.models import ProductType
from catalog.domain.views import localised
from catalog.handlers.responses import CatalogProductType, CatalogProductTypeList, StorefrontProductType
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
from shop_kernel.errors import NotFound
from shop_kernel.http import json_response
from shop_kernel.openapi import documented, ok, problem

router = Router()
TypeId = Annotated[str, Path(description="The product type's id, e.g. laptop")]


def _document(product_type: ProductType) -> dict[str, Any]:
    return product_type.model_dump(mode="json", exclude_none=True)


@router.get(
    "/catalog/product-types/<type_id>",
    summary="Read a product type's attributes",
    description="Attribute labels, units and enum options in the requested locale, for building filter "
    "panels and specification tables.",
    tags=STOREFRONT,
    responses=documented(ok(StorefrontProductType, headers=LOCALISED), 404),
)
def get_product_type(type_id: TypeId, locale: Locale = None, accept_language: AcceptLanguage = None):
    chosen = chosen_locale(locale, accept_language)
    product_type = wiring.container.repository().get_product_type(type_id)
    if product_type is None:
        raise NotFound(f"no product type {type_id!r}")
    body = localised(product_type.model_dump(mode="json", include={"id", "name", "attributes"}), chosen)
    return localised_response({**body, "locale": chosen}, chosen)


@router.get(
    "/admin/catalog/product-types",
    summary="List product types for editing",
    description="Every product type with its attribute definitions, every locale and its version.",
    tags=ADMIN_TAGS,
    security=ADMIN_SECURITY,
    responses=documented(ok(CatalogProductTypeList)),
)
def list_product_types():
    admin(router)
    return json_response(
        {"items": [_document(t) for t in wiring.container.repository().list_product_types()]}
    )


@router.post(
    "/admin/catalog/product-types",
    summary="Create a product type",
    description="A merchandiser declares the attributes a kind of product has (text, number with unit, "
    "enum with options, boolean), which are required and which vary per variant.",
    tags=ADMIN_TAGS,
    security=ADMIN_SECURITY,
    status_code=201,
    responses=documented(
        ok(CatalogProductType, "Created", status=201, headers=CREATED),
        problem(409, "A product type has this id"),
    ),
)
def create_product_type(body: CreateProductType, correlation_id: CorrelationId = None):
    product_type = wiring.container.taxonomy_service().create_product_type(
        body, admin(router, correlation_id)
    )
    return versioned(_document(product_type), 201, f"/admin/catalog/product-types/{product_type.id}")


@router.get(
    "/admin/catalog/product-types/<type_id>",
    summary="Read a product type for editing",
    description="The product type with every locale, and its version as the ETag to send back with a change.",
    tags=ADMIN_TAGS,
    security=ADMIN_SECURITY,
    responses=documented(ok(CatalogProductType, headers=VERSIONED), 404),
)
def get_admin_product_type(type_id: TypeId):
    admin(router)
    return versioned(_document(wiring.container.taxonomy_service().product_type(type_id)))


@router.patch(
    "/admin/catalog/product-types/<type_id>",
    summary="Change a product type",
    description="Replaces the name or attribute definitions sent when the type is still at the version "
    "named in If-Match.",
    tags=ADMIN_TAGS,
    security=ADMIN_SECURITY,
    responses=documented(
        ok(CatalogProductType, headers=VERSIONED),
        404,
        problem(409, "A concurrent change touched the same product type"),
        412,
        428,
    ),
)
def update_product_type(
    type_id: TypeId, body: PatchProductType, if_match: IfMatch = None, correlation_id: CorrelationId = None
):
    actor = admin(router, correlation_id)
    product_type = wiring.container.taxonomy_service().update_product_type(
        type_id, body, expected_version(if_match), actor
    )
    return versioned(_document(product_type))
