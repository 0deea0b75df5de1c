"""Products: public reads (by id, by localised slug, category pages) and merchandiser commands."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from catalog.adapters import product_service, repository
from catalog.domain.commands import CreateProduct, PatchProduct
from catalog.domain.models import Slug, Status
from catalog.domain.ports import ListingFilter
from catalog.domain.views import localised, public_product_response
from catalog.handlers.routes.common import (
    admin,
    chosen_locale,
    expected_version,
    localised_response,
    versioned,
)
from shop_kernel.availability import shopper_contexts
from shop_kernel.errors import NotFound, ValidationFailed
from shop_kernel.http import json_response
from shop_kernel.money import MINOR_UNITS

router = Router()
Locale = Annotated[str | None, Query(description="Overrides Accept-Language: en or uk")]
Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=2048, description="next_cursor of the previous page")]


@router.get("/catalog/products/<product_id>", tags=["storefront"])
def get_product(product_id: str, locale: Locale = None):
    chosen = chosen_locale(router, locale)
    document = repository().public_product(product_id)
    if document is None:
        raise NotFound(f"no published product {product_id!r}")
    return localised_response(public_product_response(document, chosen), chosen)


@router.get("/catalog/products/by-slug/<slug>", tags=["storefront"])
def get_product_by_slug(slug: Annotated[Slug, Path()], locale: Locale = None):
    chosen = chosen_locale(router, locale)
    document = repository().public_product_by_slug(chosen, slug)
    if document is None:
        raise NotFound(f"no published product with the {chosen} slug {slug!r}")
    return localised_response(public_product_response(document, chosen), chosen)


def _listing_filter(
    brand: list[str] | None,
    currency: str | None,
    price_list: str,
    min_price: int | None,
    max_price: int | None,
    attr: list[str] | None,
) -> ListingFilter:
    if currency is not None and currency not in MINOR_UNITS:
        raise ValidationFailed.on(
            "query.currency", "unknown currency: use an ISO-4217 code such as EUR", "unknown"
        )
    if (min_price is not None or max_price is not None) and currency is None:
        raise ValidationFailed.on("query.currency", "a price range needs a currency", "missing")
    attributes: dict[str, tuple[str, ...]] = {}
    for raw in attr or []:
        code, sep, value = raw.partition(":")
        if not sep or not code or not value:
            raise ValidationFailed.on(
                "query.attr", "filter attributes as code:value, e.g. colour:black", "format"
            )
        attributes[code] = (*attributes.get(code, ()), value)
    return ListingFilter(
        brand_ids=tuple(brand or ()),
        currency=currency,
        price_list=price_list,
        min_price=min_price,
        max_price=max_price,
        attributes=attributes,
    )


@router.get("/catalog/categories/<category_id>/products", tags=["storefront"])
def list_category_products(
    category_id: str,
    locale: Locale = None,
    brand: Annotated[list[str] | None, Query(description="Brand ids; any of them")] = None,
    currency: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
    price_list: Annotated[str, Query(pattern=r"^[a-z][a-z0-9_]{0,19}$")] = "retail",
    min_price: Annotated[int | None, Query(ge=0, description="Minor units")] = None,
    max_price: Annotated[int | None, Query(ge=0, description="Minor units")] = None,
    attr: Annotated[list[str] | None, Query(description="code:value; repeat for more")] = None,
    limit: Limit = 24,
    cursor: Cursor = None,
    country: Annotated[
        str | None,
        Query(
            pattern=r"^[A-Z]{2}$",
            description="Destination country (ISO 3166-1 alpha-2): each product's availability for delivery there",
        ),
    ] = None,
    store: Annotated[
        str | None,
        Query(
            pattern=r"^[a-z0-9][a-z0-9-]{1,39}$",
            description="Pickup store (location id): availability for pickup there; with country, either way counts",
        ),
    ] = None,
    in_stock: Annotated[
        bool | None,
        Query(description="true: only products not sold out for the country/store (anywhere if neither)"),
    ] = None,
):
    chosen = chosen_locale(router, locale)
    filters = replace(
        _listing_filter(brand, currency, price_list, min_price, max_price, attr),
        contexts=tuple(shopper_contexts(country, store)),
        in_stock=bool(in_stock),
    )
    page = repository().category_page(category_id, filters, limit, cursor)
    body = {"items": localised(page.items, chosen), "next_cursor": page.next_cursor, "locale": chosen}
    return localised_response(body, chosen)


@router.get("/admin/catalog/products", tags=["admin"])
def list_products(
    status: Annotated[Status, Query()] = Status.DRAFT, limit: Limit = 50, cursor: Cursor = None
):
    admin(router)
    page = repository().list_products(status.value, limit, cursor)
    return json_response({"items": page.items, "next_cursor": page.next_cursor})


@router.post("/admin/catalog/products", tags=["admin"])
def create_product(body: CreateProduct):
    product = product_service().create(body, admin(router))
    return versioned(product.document(), 201, f"/admin/catalog/products/{product.id}")


@router.get("/admin/catalog/products/<product_id>", tags=["admin"])
def get_admin_product(product_id: str):
    admin(router)
    return versioned(product_service().get(product_id).product.document())


@router.patch("/admin/catalog/products/<product_id>", tags=["admin"])
def update_product(product_id: str, body: PatchProduct):
    actor = admin(router)
    product = product_service().update(product_id, body, expected_version(router), actor)
    return versioned(product.document())


@router.post("/admin/catalog/products/<product_id>/publish", tags=["admin"])
def publish_product(product_id: str):
    actor = admin(router)
    return versioned(product_service().publish(product_id, expected_version(router), actor).document())


@router.post("/admin/catalog/products/<product_id>/archive", tags=["admin"])
def archive_product(product_id: str):
    actor = admin(router)
    return versioned(product_service().archive(product_id, expected_version(router), actor).document())
