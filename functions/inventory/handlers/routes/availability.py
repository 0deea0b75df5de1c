"""Public availability: how many units each location has, and when a pickup store can hand one over."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from inventory import wiring
from inventory.domain.models import LOCATION_ID, SKU
from inventory.domain.views import availability
from inventory.handlers.responses import InventoryAvailability
from shop_kernel.errors import FieldError, NotFound
from shop_kernel.http import PUBLIC_CACHE, json_response
from shop_kernel.locale import negotiate
from shop_kernel.openapi import AcceptLanguage, documented, ok, problem

router = Router()


def _not_found(field: str, message: str) -> NotFound:
    return NotFound(message, errors=[FieldError(field=field, message=message, code="unknown")])


@router.get(
    "/inventory/availability/<sku>",
    summary="Where a product variant is in stock, and when it can be picked up",
    description=(
        "For a product page or the cart: how many units of a SKU each warehouse and store can sell now, and "
        "for pickup stores the earliest moment a shopper could collect one if ordering now (from the store's "
        "shelf after handling, or transferred from a warehouse after its carrier cut-off and the lead time, "
        "within the store's opening hours in its time zone). Narrow to one location or one country. Store "
        "names follow Accept-Language."
    ),
    tags=["storefront"],
    responses=documented(
        ok(
            InventoryAvailability,
            "Units per location and pickup estimates",
            headers={
                "Content-Language": "The language of location names: en or uk",
                "Cache-Control": "Public, cacheable for a short time",
            },
        ),
        problem(404, "The catalog has no such SKU, or there is no such location"),
    ),
)
def get_availability(
    sku: Annotated[str, Path(pattern=SKU, description="The variant's SKU", examples=["LAP-0001-BLK"])],
    location: Annotated[
        str | None, Query(pattern=LOCATION_ID, description="Only this location", examples=["podil"])
    ] = None,
    country: Annotated[
        str | None,
        Query(
            pattern=r"^[A-Z]{2}$",
            description="Only locations in this country (ISO 3166-1 alpha-2)",
            examples=["UA"],
        ),
    ] = None,
    accept_language: AcceptLanguage = None,
):
    inventory = wiring.container.store()
    levels = inventory.stock_for_sku(sku)
    if not levels and not inventory.sku_known(sku):
        raise _not_found("path.sku", f"no SKU {sku!r}")
    everywhere = inventory.locations()
    if location is not None and location not in everywhere:
        raise _not_found("query.location", f"no location {location!r}")
    shown = [
        loc
        for loc in everywhere.values()
        if (location is None or loc.id == location) and (country is None or loc.address.country == country)
    ]
    locale = negotiate(accept_language)
    # A store's pickup estimate may come from any warehouse, shown or not.
    body = availability(sku, levels, shown, everywhere.values(), wiring.container.clock().now(), locale)
    return json_response(
        body, headers={"Cache-Control": PUBLIC_CACHE, "Content-Language": locale, "Vary": "Accept-Language"}
    )
