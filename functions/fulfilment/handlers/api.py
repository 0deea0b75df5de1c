"""Fulfilment REST API: the warehouse's packed report, ``POST /admin/fulfilment/shipments/{id}/packed``,
and stores' collections, ``POST /admin/fulfilment/shipments/{id}/collected`` (``ops``).

The warehouse system (a machine user in the ``ops`` group of the staff pool; locally the warehouse
stand-in) reports what it packed for a shipment ``FulfilmentRequested`` asked for. The report resumes the
workflow with the task token fulfilment stored when it asked (``SendTaskSuccess``): the token never leaves
our side. A report delivered twice answers the same and resumes the workflow once; an unknown shipment is
a 404; a shipment that is not waiting for a pick, or a different report for one already packed, a 409.
Agents' fraud review decisions are the orders context's route (``POST /admin/orders/{id}/review`` on
orders-api); fulfilment answers the review token when their ``OrderReviewDecided`` reaches
``fulfilment-cancellations`` (docs/decisions.md).
One resolver, one OpenAPI document (``GET /admin/fulfilment/openapi.json``, read without a token).
"""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, ConfigDict, Field

from fulfilment import wiring
from fulfilment.domain.models import ShipmentLine
from shop_kernel.auth import Group, require
from shop_kernel.http import api_function, json_response
from shop_kernel.observability import logger
from shop_kernel.openapi import BEARER_SECURITY, bearer_scheme, documented, ok, problem

TITLE = "Fulfilment API"
VERSION = "1.0.0"

router = Router()
ShipmentIdPath = Annotated[
    str,
    Path(
        pattern=r"^shp_[0-9A-HJKMNP-TV-Z]{26}$",
        description="The shipment's id, from FulfilmentRequested",
        examples=["shp_01JD3Q4Z9K8M2N5P7R9T1V3X5Z"],
    ),
]


class PackedLine(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=0, le=10_000, description="Units packed (fewer than asked: a short pick)")


class PackedReport(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lines: list[PackedLine] = Field(max_length=50, description="Packed units per SKU; a SKU left out: none")


class PickResult(BaseModel):
    packed: list[PackedLine]
    dropped: list[PackedLine] = Field(description="Units that will not ship (short pick), never charged")
    packed_units: int


@router.post(
    "/admin/fulfilment/shipments/<shipment_id>/packed",
    summary="Report a shipment packed (warehouse)",
    description="What the warehouse packed for a shipment it was asked to pick. Fewer units than asked "
    "drop the rest of the line (not charged; OrderLinesDropped). The same report twice answers the same.",
    tags=["fulfilment"],
    operation_id="report_shipment_packed",
    security=BEARER_SECURITY,
    responses=documented(
        ok(PickResult, "Recorded; the order's workflow moves on"),
        401,
        403,
        problem(404, "No shipment has this id"),
        problem(409, "The shipment is not waiting for a pick, or was packed differently"),
        problem(422, "A SKU the shipment does not hold, or more units than asked"),
    ),
)
def report_packed(shipment_id: ShipmentIdPath, report: PackedReport):
    require(router.current_event.raw_event, Group.OPS)
    lines = [ShipmentLine(sku=line.sku, quantity=line.quantity) for line in report.lines]
    answer = wiring.container.fulfilment().packed(shipment_id, lines)
    logger.info("shipment packed", extra={"shipment_id": shipment_id, "packed_units": answer["packed_units"]})
    return json_response(answer)


class CollectionResult(BaseModel):
    shipment_id: str
    status: Literal["collected"]


@router.post(
    "/admin/fulfilment/shipments/<shipment_id>/collected",
    summary="Confirm a store pickup collected (store staff)",
    description="The shopper collected a store pickup (or a transfer delivered to the store): the order's "
    "workflow captures the lines it still holds (units cancelled while it waited, announced to the store by "
    "FulfilmentCancelled, are not handed over nor charged). The same confirmation twice answers the same. "
    "A shipment that is not waiting in the store, whose hold period ran out (it was released and the "
    "order voided), or whose order was cancelled meanwhile, is a 409.",
    tags=["fulfilment"],
    operation_id="confirm_shipment_collected",
    security=BEARER_SECURITY,
    responses=documented(
        ok(CollectionResult, "Recorded; the order's workflow captures the collected lines"),
        401,
        403,
        problem(404, "No shipment has this id"),
        problem(409, "The shipment is not waiting in the store for its shopper"),
    ),
)
def confirm_collected(shipment_id: ShipmentIdPath):
    caller = require(router.current_event.raw_event, Group.OPS)
    answer = wiring.container.fulfilment().collected(shipment_id, caller.subject)
    logger.info("shipment collected", extra={"shipment_id": shipment_id})
    return json_response(answer)


app, handler = api_function(
    [router],
    openapi_path="/admin/fulfilment/openapi.json",
    title=TITLE,
    version=VERSION,
    # Packed reports and collections are the warehouse's and stores' (ops) alone, refused before the body
    # is read.
    guards={"/admin/": [Group.OPS]},
    security_schemes=bearer_scheme(),
)
