"""Stock levels for ops: read a SKU everywhere, set a counted level, adjust by a delta, bulk."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from inventory.adapters import clock, store
from inventory.domain.models import LOCATION_ID, SKU
from inventory.domain.stock import AdjustStock, BulkRequest, BulkRow, SetStock, parse_row
from inventory.handlers.routes.common import expected_version, ops, versioned
from shop_kernel.errors import DomainError, FieldError, NotFound
from shop_kernel.http import json_response

router = Router()
SkuPath = Annotated[str, Path(pattern=SKU)]
LocationPath = Annotated[str, Path(pattern=LOCATION_ID)]


@router.get("/admin/inventory/stock/<sku>", tags=["admin"])
def get_stock(sku: SkuPath):
    ops(router)
    levels = store().stock_for_sku(sku)
    if not levels and not store().sku_known(sku):
        message = f"no SKU {sku!r}"
        raise NotFound(message, errors=[FieldError(field="path.sku", message=message, code="unknown")])
    return json_response({"sku": sku, "levels": [level.as_dict() for level in levels]})


@router.put("/admin/inventory/stock/<sku>/<location_id>", tags=["admin"])
def set_stock(sku: SkuPath, location_id: LocationPath, body: SetStock):
    """Set the counted on-hand figure. A new level needs no If-Match; an existing one needs its ETag."""
    actor = ops(router)
    version = expected_version(router, lambda: _level_version(sku, location_id))
    level = store().set_stock(sku, location_id, body.on_hand, version, actor, clock().now())
    return versioned(level.as_dict(), 200 if version else 201)


@router.post("/admin/inventory/stock/<sku>/<location_id>/adjustments", tags=["admin"])
def adjust_stock(sku: SkuPath, location_id: LocationPath, body: AdjustStock):
    """Add (goods received) or remove (damaged, lost) units; never below what orders have reserved."""
    actor = ops(router)
    level = store().adjust_stock(sku, location_id, body.delta, body.reason, body.note, actor, clock().now())
    return versioned(level.as_dict())


def _apply(row: BulkRow, actor: str) -> dict[str, Any]:
    now = clock().now()
    if row.on_hand is not None:
        level = store().set_stock(row.sku, row.location_id, row.on_hand, row.expected_version, actor, now)
        return {"outcome": "set", "level": level.as_dict()}
    assert row.delta is not None
    assert row.reason is not None
    level = store().adjust_stock(row.sku, row.location_id, row.delta, row.reason, row.note, actor, now)
    return {"outcome": "adjusted", "level": level.as_dict()}


@router.post("/admin/inventory/stock/bulk", tags=["admin"])
def bulk_stock(body: BulkRequest):
    """Set or adjust up to 200 levels; each row is applied on its own and reported (set, adjusted, failed)."""
    actor = ops(router)
    report = []
    for index, raw in enumerate(body.rows):
        row, errors = parse_row(raw, index)
        entry: dict[str, Any] = {"row": index, "sku": raw.get("sku"), "location_id": raw.get("location_id")}
        if row is None:
            report.append(
                {**entry, "outcome": "failed", "status": 422, "errors": [e.model_dump() for e in errors]}
            )
            continue
        try:
            report.append({**entry, **_apply(row, actor)})
        except DomainError as exc:
            problem = exc.problem()
            report.append(
                {
                    **entry,
                    "outcome": "failed",
                    "status": exc.status,
                    "detail": exc.detail,
                    "errors": problem.get("errors", []),
                }
            )
    failed = sum(1 for r in report if r["outcome"] == "failed")
    return json_response({"rows": report, "applied": len(report) - failed, "failed": failed})


def _level_version(sku: str, location_id: str) -> int | None:
    level = store().stock_level(sku, location_id)
    return level.version if level is not None else None
