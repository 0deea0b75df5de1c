"""Locations (warehouses and stores) for ops: create or replace with If-Match, read, list."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from inventory import wiring
from inventory.adapters.dynamo import location_document
from inventory.domain.models import LOCATION_ID
from inventory.handlers.responses import InventoryLocation, InventoryLocationBody, InventoryLocations
from inventory.handlers.routes.common import OPS_ONLY, VERSION_HEADER, expected_version, ops, versioned
from shop_kernel.errors import FieldError, NotFound
from shop_kernel.http import json_response
from shop_kernel.openapi import IfMatch, documented, ok, problem

router = Router()
LocationPath = Annotated[
    str, Path(pattern=LOCATION_ID, description="The location's id, chosen by ops", examples=["kyiv-dc"])
]
NO_LOCATION = problem(404, "No location has this id")


@router.put(
    "/admin/inventory/locations/<location_id>",
    summary="Create or replace a warehouse or store",
    description=(
        "For ops: describes a location whole: kind, localised name, address, time zone, opening hours and "
        "closed dates, whether shoppers may pick up there, shipping priority and carrier cut-off "
        "(warehouses), transfer lead times and handling time (stores). A new id needs no If-Match and "
        "answers 201; replacing an existing location needs the ETag you read as If-Match."
    ),
    tags=["admin"],
    responses=documented(
        ok(InventoryLocation, "Created", status=201, headers=VERSION_HEADER),
        ok(InventoryLocation, "Replaced", headers=VERSION_HEADER),
        *OPS_ONLY,
        problem(412, "The location changed since the ETag sent in If-Match, or does not exist yet"),
        problem(428, "The location exists: send If-Match with the ETag you read"),
        problem(
            422, "A field is not valid (unknown time zone, weekday or warehouse, a pickup warehouse, ...)"
        ),
    ),
)
def put_location(location_id: LocationPath, body: InventoryLocationBody, if_match: IfMatch = None):
    ops(router)
    version = expected_version(if_match, lambda: _location_version(location_id))
    location = wiring.container.store().put_location(
        location_id, body, version, wiring.container.clock().now()
    )
    return versioned(location_document(location), 200 if version else 201)


@router.get(
    "/admin/inventory/locations/<location_id>",
    summary="Read a warehouse or store",
    description="For ops: one location as stored, with the ETag to send as If-Match when replacing it.",
    tags=["admin"],
    responses=documented(
        ok(InventoryLocation, "The location", headers=VERSION_HEADER), *OPS_ONLY, NO_LOCATION
    ),
)
def get_location(location_id: LocationPath):
    ops(router)
    location = wiring.container.store().location(location_id)
    if location is None:
        message = f"no location {location_id!r}"
        raise NotFound(
            message, errors=[FieldError(field="path.location_id", message=message, code="unknown")]
        )
    return versioned(location_document(location))


@router.get(
    "/admin/inventory/locations",
    summary="List warehouses and stores",
    description="For ops: every location, by id, read fresh (not from the availability cache).",
    tags=["admin"],
    responses=documented(ok(InventoryLocations, "Every location"), *OPS_ONLY),
)
def list_locations():
    ops(router)
    locations = wiring.container.store().locations()
    return json_response(
        {"items": [location_document(loc) for loc in sorted(locations.values(), key=lambda x: x.id)]}
    )


def _location_version(location_id: str) -> int | None:
    location = wiring.container.store().location(location_id)
    return location.version if location is not None else None
