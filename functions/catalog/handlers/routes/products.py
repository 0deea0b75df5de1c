"""Products: public reads (by id, by localised slug, category pages) and merchandiser commands."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from catalog import wiring
from catalog.domain.commands import CreateProduct, PatchProduct
from catalog.domain.models import Product, ProductStatus, Slug
from catalog.domain.ports import ListingFilter
from catalog.domain.views import localised, public_product_response, visible_prices
from catalog.handlers.responses import (
    CatalogProduct,
    CatalogProductPage,
    StorefrontListingPage,
    StorefrontProduct,
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
    Cursor,
    IfMatch,
    Limit,
    Locale,
    admin,
    chosen_locale,
    expected_version,
    localised_response,
    price_lists,
    require_visible,
    versioned,
)
from shop_kernel.availability import shopper_contexts
from shop_kernel.errors import NotFound, ValidationFailed
from shop_kernel.http import json_response
from shop_kernel.money import MINOR_UNITS, Money
from shop_kernel.openapi import documented, ok, problem

router = Router()
ProductId = Annotated[str, Path(description="The product's id (from a listing, search or the admin API)")]


@router.get(
    "/catalog/products/<product_id>",
    summary="Read a published product",
    description="The product page's content for shoppers: names, attributes with labels and units, variants "
    "with their prices and media, in the requested locale. Drafts and archived products are not found.",
    tags=STOREFRONT,
    responses=documented(
        ok(StorefrontProduct, headers=LOCALISED), problem(404, "No published product has this id")
    ),
)
def get_product(product_id: ProductId, locale: Locale = None, accept_language: AcceptLanguage = None):
    chosen = chosen_locale(locale, accept_language)
    document = wiring.container.repository().public_product(product_id)
    if document is None:
        raise NotFound(f"no published product {product_id!r}")
    visible = price_lists(router)
    return localised_response(public_product_response(document, chosen, visible), chosen, visible)


@router.get(
    "/catalog/products/by-slug/<slug>",
    summary="Read a published product by its URL slug",
    description="Resolves a shop URL to its product: the slug is matched in the requested locale (each "
    "locale has its own slugs), and `alternates` gives the product's slug in every other locale.",
    tags=STOREFRONT,
    responses=documented(
        ok(StorefrontProduct, headers=LOCALISED),
        problem(404, "No published product has this slug in this locale"),
    ),
)
def get_product_by_slug(
    slug: Annotated[Slug, Path(description="Lower-case words joined by hyphens")],
    locale: Locale = None,
    accept_language: AcceptLanguage = None,
):
    chosen = chosen_locale(locale, accept_language)
    document = wiring.container.repository().public_product_by_slug(chosen, slug)
    if document is None:
        raise NotFound(f"no published product with the {chosen} slug {slug!r}")
    visible = price_lists(router)
    return localised_response(public_product_response(document, chosen, visible), chosen, visible)


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
        raise ValidationFailed.on("query.currency", "a price range needs a currency", "currency_required")
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
        min_price=None if min_price is None or currency is None else Money.of(min_price, currency),
        max_price=None if max_price is None or currency is None else Money.of(max_price, currency),
        attributes=attributes,
    )


@router.get(
    "/catalog/categories/<category_id>/products",
    summary="List a category's products",
    description="A category page for shoppers: published products of the category and its subcategories, "
    "one tile each with the lowest price per price list and currency, filtered by brand, price range and "
    "attribute values, a page at a time. An unknown category is an empty page.",
    tags=STOREFRONT,
    responses=documented(ok(StorefrontListingPage, headers=LOCALISED)),
)
def list_category_products(
    category_id: Annotated[str, Path(description="The category's id")],
    locale: Locale = None,
    accept_language: AcceptLanguage = None,
    brand: Annotated[list[str] | None, Query(description="Brand ids; a product matches any of them")] = None,
    currency: Annotated[
        str | None,
        Query(pattern=r"^[A-Z]{3}$", description="ISO-4217 code; required with min_price or max_price"),
    ] = None,
    price_list: Annotated[
        str,
        Query(
            pattern=r"^[a-z][a-z0-9_]{0,19}$",
            description="Whose prices the range applies to: retail, or the signed-in caller's own price "
            "group (422 otherwise: negotiated prices are confidential)",
        ),
    ] = "retail",
    min_price: Annotated[
        int | None, Query(ge=0, description="Lowest price, in minor units of currency")
    ] = None,
    max_price: Annotated[
        int | None, Query(ge=0, description="Highest price, in minor units of currency")
    ] = None,
    attr: Annotated[
        list[str] | None,
        Query(description="code:value, e.g. colour:black; repeat for more (values of one code are ORed)"),
    ] = None,
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
        Query(
            description="true: only products not sold out for the country/store (anywhere if neither); "
            "electronically delivered products (e-certificates) always match"
        ),
    ] = None,
):
    chosen = chosen_locale(locale, accept_language)
    visible = price_lists(router)
    require_visible(price_list, visible)
    filters = replace(
        _listing_filter(brand, currency, price_list, min_price, max_price, attr),
        contexts=tuple(shopper_contexts(country, store)),
        in_stock=bool(in_stock),
    )
    page = wiring.container.repository().category_page(category_id, filters, limit, cursor)
    items = [{**item, "prices": visible_prices(item.get("prices") or [], visible)} for item in page.items]
    body = {"items": localised(items, chosen), "next_cursor": page.next_cursor, "locale": chosen}
    return localised_response(body, chosen, visible)


@router.get(
    "/admin/catalog/products",
    summary="List products by status",
    description="For merchandisers: products in one status (drafts by default), every locale, a page at a time.",
    tags=ADMIN_TAGS,
    security=ADMIN_SECURITY,
    responses=documented(ok(CatalogProductPage)),
)
def list_products(
    status: Annotated[ProductStatus, Query(description="Which products to list")] = ProductStatus.DRAFT,
    limit: Annotated[int, Query(ge=1, le=100, description="Items per page")] = 50,
    cursor: Cursor = None,
):
    admin(router)
    page = wiring.container.repository().list_products(status.value, limit, cursor)
    return json_response({"items": page.items, "next_cursor": page.next_cursor})


admin_routes(
    router,
    AdminResource[Product](
        path="/admin/catalog/products",
        id_name="product_id",
        id_type=ProductId,
        model=CatalogProduct,
        create_command=CreateProduct,
        patch_command=PatchProduct,
        document=Product.document,
        read=lambda product_id: wiring.container.product_service().get(product_id).product,
        create=lambda body, actor: wiring.container.product_service().create(body, actor),
        update=lambda product_id, body, version, actor: wiring.container.product_service().update(
            product_id, body, version, actor
        ),
        created=Words(
            "create_product",
            "Create a draft product",
            "A merchandiser adds a product with its variants and prices. It starts as a draft that "
            "shoppers cannot see; attributes are checked against its product type, and codes, SKUs and "
            "slugs must be unique.",
        ),
        taken="The code, a SKU or a slug is already taken",
        got=Words(
            "get_admin_product",
            "Read a product for editing",
            "The product in any status with every locale, and its version as the ETag to send back "
            "with a change.",
        ),
        changed=Words(
            "update_product",
            "Change a product",
            "Replaces the fields sent (absent fields stay as they are) when the product is still at "
            "the version named in If-Match. A published product's shop page changes at once.",
        ),
        contended="A SKU or slug is already taken",
    ),
)


@router.post(
    "/admin/catalog/products/<product_id>/publish",
    summary="Publish a product",
    description="Makes the product visible to shoppers (its page, category listings, search) at the "
    "version named in If-Match.",
    tags=ADMIN_TAGS,
    security=ADMIN_SECURITY,
    responses=documented(
        ok(CatalogProduct, headers=VERSIONED), 404, problem(409, "The product is already published"), 412, 428
    ),
)
def publish_product(product_id: ProductId, if_match: IfMatch = None, correlation_id: CorrelationId = None):
    actor = admin(router, correlation_id)
    product = wiring.container.product_service().publish(product_id, expected_version(if_match), actor)
    return versioned(product.document())


@router.post(
    "/admin/catalog/products/<product_id>/archive",
    summary="Archive a product",
    description="Takes the product off sale: it leaves its shop page, listings and search, and carts can "
    "no longer check it out. Its history is kept.",
    tags=ADMIN_TAGS,
    security=ADMIN_SECURITY,
    responses=documented(
        ok(CatalogProduct, headers=VERSIONED), 404, problem(409, "The product is already archived"), 412, 428
    ),
)
def archive_product(product_id: ProductId, if_match: IfMatch = None, correlation_id: CorrelationId = None):
    actor = admin(router, correlation_id)
    product = wiring.container.product_service().archive(product_id, expected_version(if_match), actor)
    return versioned(product.document())
