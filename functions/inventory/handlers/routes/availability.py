"""Public availability: how many units each location has, and when a pickup store can hand one over."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from inventory.adapters import clock, store
from inventory.domain.models import LOCATION_ID, SKU
from inventory.domain.views import availability
from shop_kernel.errors import FieldError, NotFound
from shop_kernel.http import PUBLIC_CACHE, json_response
from shop_kernel.locale import negotiate

router = Router()


def _not_found(field: str, message: str) -> NotFound:
    return NotFound(message, errors=[FieldError(field=field, message=message, code="unknown")])


@router.get("/inventory/availability/<sku>", tags=["storefront"])
def get_availability(
    sku: Annotated[str, Path(pattern=SKU)],
    location: Annotated[str | None, Query(pattern=LOCATION_ID, description="Only this location")] = None,
    country: Annotated[
        str | None, Query(pattern=r"^[A-Z]{2}$", description="Only locations in this country")
    ] = None,
):
    inventory = store()
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
    locale = negotiate(router.current_event.headers.get("accept-language"))
    # A store's pickup estimate may come from any warehouse, shown or not.
    body = availability(sku, levels, shown, everywhere.values(), clock().now(), locale)
    return json_response(
        body, headers={"Cache-Control": PUBLIC_CACHE, "Content-Language": locale, "Vary": "Accept-Language"}
    )
