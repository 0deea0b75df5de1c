"""Product types: the typed attributes (text, number with unit, enum, boolean) products declare."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from catalog.adapters import repository, taxonomy_service
from catalog.domain.commands import CreateProductType, PatchProductType
from catalog.domain.models import ProductType
from catalog.domain.views import localised
from catalog.handlers.responses import CatalogProductType, CatalogProductTypeList, StorefrontProductType
from catalog.handlers.routes.admin import AdminResource, Words, admin_routes
from catalog.handlers.routes.common import (
    LOCALISED,
    STOREFRONT,
    AcceptLanguage,
    Locale,
    chosen_locale,
    localised_response,
)
from shop_kernel.errors import NotFound
from shop_kernel.openapi import documented, ok

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
    product_type = repository().get_product_type(type_id)
    if product_type is None:
        raise NotFound(f"no product type {type_id!r}")
    body = localised(product_type.model_dump(mode="json", include={"id", "name", "attributes"}), chosen)
    return localised_response({**body, "locale": chosen}, chosen)


admin_routes(
    router,
    AdminResource[ProductType](
        path="/admin/catalog/product-types",
        id_name="type_id",
        id_type=TypeId,
        model=CatalogProductType,
        create_command=CreateProductType,
        patch_command=PatchProductType,
        document=_document,
        read=lambda type_id: taxonomy_service().product_type(type_id),
        create=lambda body, actor: taxonomy_service().create_product_type(body, actor),
        update=lambda type_id, body, version, actor: taxonomy_service().update_product_type(
            type_id, body, version, actor
        ),
        listing=(
            Words(
                "list_product_types",
                "List product types for editing",
                "Every product type with its attribute definitions, every locale and its version.",
            ),
            CatalogProductTypeList,
            lambda: repository().list_product_types(),
        ),
        created=Words(
            "create_product_type",
            "Create a product type",
            "A merchandiser declares the attributes a kind of product has (text, number with unit, "
            "enum with options, boolean), which are required and which vary per variant.",
        ),
        taken="A product type has this id",
        got=Words(
            "get_admin_product_type",
            "Read a product type for editing",
            "The product type with every locale, and its version as the ETag to send back with a change.",
        ),
        changed=Words(
            "update_product_type",
            "Change a product type",
            "Replaces the name or attribute definitions sent when the type is still at the version "
            "named in If-Match.",
        ),
        contended="A concurrent change touched the same product type",
    ),
)
