"""Locations (warehouses and stores) for ops: create or replace with If-Match, read, list."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from inventory.adapters import clock, store
from inventory.adapters.dynamo import location_document
from inventory.domain.models import LOCATION_ID, LocationBody
from inventory.handlers.routes.common import expected_version, ops, versioned
from shop_kernel.errors import FieldError, NotFound
from shop_kernel.http import json_response

router = Router()
LocationPath = Annotated[str, Path(pattern=LOCATION_ID)]


@router.put("/admin/inventory/locations/<location_id>", tags=["admin"])
def put_location(location_id: LocationPath, body: LocationBody):
    """Create (no If-Match) or replace (If-Match: the ETag you read) a warehouse or store."""
    ops(router)
    version = expected_version(router)
    location = store().put_location(location_id, body, version, clock().now())
    return versioned(location_document(location), 200 if version else 201)


@router.get("/admin/inventory/locations/<location_id>", tags=["admin"])
def get_location(location_id: LocationPath):
    ops(router)
    location = store().location(location_id)
    if location is None:
        message = f"no location {location_id!r}"
        raise NotFound(
            message, errors=[FieldError(field="path.location_id", message=message, code="unknown")]
        )
    return versioned(location_document(location))


@router.get("/admin/inventory/locations", tags=["admin"])
def list_locations():
    ops(router)
    locations = store().locations()
    return json_response(
        {"items": [location_document(loc) for loc in sorted(locations.values(), key=lambda x: x.id)]}
    )
