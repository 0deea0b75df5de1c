"""Stock levels for ops: read a SKU everywhere, set a counted level, adjust by a delta, bulk."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from inventory import wiring
from inventory.domain.models import LOCATION_ID, SKU
from inventory.domain.stock import BulkRow, parse_row
from inventory.handlers.responses import (
    InventoryBulkReport,
    InventoryBulkStock,
    InventoryStockAdjustment,
    InventoryStockCount,
    InventoryStockLevel,
    InventoryStockLevels,
)
from inventory.handlers.routes.common import OPS_ONLY, VERSION_HEADER, expected_version, ops, versioned
from shop_kernel.errors import DomainError, FieldError, NotFound
from shop_kernel.http import json_response
from shop_kernel.openapi import IfMatch, documented, ok, problem

router = Router()
SkuPath = Annotated[str, Path(pattern=SKU, description="The variant's SKU", examples=["LAP-0001-BLK"])]
LocationPath = Annotated[
    str, Path(pattern=LOCATION_ID, description="The location's id", examples=["kyiv-dc"])
]
UNKNOWN_TARGET = problem(404, "The catalog has no such SKU, or there is no such location")


@router.get(
    "/admin/inventory/stock/<sku>",
    summary="A SKU's stock at every location",
    description="For ops: on hand, reserved for orders and available, per location that holds the SKU.",
    tags=["admin"],
    responses=documented(
        ok(InventoryStockLevels, "The SKU's levels"), *OPS_ONLY, problem(404, "The catalog has no such SKU")
    ),
)
def get_stock(sku: SkuPath):
    ops(router)
    levels = wiring.container.store().stock_for_sku(sku)
    if not levels and not wiring.container.store().sku_known(sku):
        message = f"no SKU {sku!r}"
        raise NotFound(message, errors=[FieldError(field="path.sku", message=message, code="unknown")])
    return json_response({"sku": sku, "levels": [level.as_dict() for level in levels]})


@router.put(
    "/admin/inventory/stock/<sku>/<location_id>",
    summary="Set a counted stock level",
    description=(
        "For ops after a count: sets the units on hand of a SKU at a location; available follows as on hand "
        "minus what orders have reserved, and a figure below the reserved units is refused. The first level "
        "of a SKU at a location needs no If-Match (201); an existing one needs the ETag you read."
    ),
    tags=["admin"],
    responses=documented(
        ok(InventoryStockLevel, "The first level of this SKU here", status=201, headers=VERSION_HEADER),
        ok(InventoryStockLevel, "The level, counted", headers=VERSION_HEADER),
        *OPS_ONLY,
        problem(404, "No such SKU or location, or If-Match was sent for a level that does not exist yet"),
        problem(409, "on_hand is below the units reserved for orders"),
        problem(412, "The level changed since the ETag sent in If-Match"),
        problem(428, "The level exists: send If-Match with the ETag you read"),
    ),
)
def set_stock(sku: SkuPath, location_id: LocationPath, body: InventoryStockCount, if_match: IfMatch = None):
    actor = ops(router)
    version = expected_version(if_match, lambda: _level_version(sku, location_id))
    level = wiring.container.store().set_stock(
        sku, location_id, body.on_hand, version, actor, wiring.container.clock().now()
    )
    return versioned(level.as_dict(), 200 if version else 201)


@router.post(
    "/admin/inventory/stock/<sku>/<location_id>/adjustments",
    summary="Adjust stock by a movement",
    description=(
        "For ops and the warehouse: adds units (goods received, returned) or removes them (damaged, lost) "
        "with a reason recorded in the stock ledger; never below what orders have reserved. No If-Match: "
        "movements add up whatever the current figure."
    ),
    tags=["admin"],
    responses=documented(
        ok(InventoryStockLevel, "The level after the movement", headers=VERSION_HEADER),
        *OPS_ONLY,
        UNKNOWN_TARGET,
        problem(409, "Fewer units are available than the delta removes, or on_hand would exceed the maximum"),
    ),
)
def adjust_stock(sku: SkuPath, location_id: LocationPath, body: InventoryStockAdjustment):
    actor = ops(router)
    level = wiring.container.store().adjust_stock(
        sku, location_id, body.delta, body.reason, body.note, actor, wiring.container.clock().now()
    )
    return versioned(level.as_dict())


def _apply(row: BulkRow, actor: str) -> dict[str, Any]:
    now = wiring.container.clock().now()
    if row.on_hand is not None:
        level = wiring.container.store().set_stock(
            row.sku, row.location_id, row.on_hand, row.expected_version, actor, now
        )
        return {"outcome": "set", "level": level.as_dict()}
    assert row.delta is not None
    assert row.reason is not None
    level = wiring.container.store().adjust_stock(
        row.sku, row.location_id, row.delta, row.reason, row.note, actor, now
    )
    return {"outcome": "adjusted", "level": level.as_dict()}


def _as_sent(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@router.post(
    "/admin/inventory/stock/bulk",
    summary="Set or adjust many stock levels",
    description=(
        "For ops and ERP feeds: up to 200 rows, each either a counted on_hand (with expected_version when "
        "the level exists) or a delta with a reason. Each row is applied on its own and reported as set, "
        "adjusted or failed with the status and fields a single request would have got; a bad row never "
        "stops the others, so the answer is 200 whenever the request itself is readable."
    ),
    tags=["admin"],
    responses=documented(ok(InventoryBulkReport, "What happened to each row"), *OPS_ONLY),
)
def bulk_stock(body: InventoryBulkStock):
    actor = ops(router)
    report = []
    for index, raw in enumerate(body.rows):
        row, errors = parse_row(raw, index)
        entry: dict[str, Any] = {
            "row": index,
            "sku": _as_sent(raw.get("sku")),
            "location_id": _as_sent(raw.get("location_id")),
        }
        if row is None:
            report.append(
                {**entry, "outcome": "failed", "status": 422, "errors": [e.model_dump() for e in errors]}
            )
            continue
        try:
            report.append({**entry, **_apply(row, actor)})
        except DomainError as exc:
            problem_body = exc.problem()
            report.append(
                {
                    **entry,
                    "outcome": "failed",
                    "status": exc.status,
                    "detail": exc.detail,
                    "errors": problem_body.get("errors", []),
                }
            )
    failed = sum(1 for r in report if r["outcome"] == "failed")
    return json_response({"rows": report, "applied": len(report) - failed, "failed": failed})


def _level_version(sku: str, location_id: str) -> int | None:
    level = wiring.container.store().stock_level(sku, location_id)
    return level.version if level is not None else None
