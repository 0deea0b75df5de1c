"""A member's automatic coupons: code, what it gives, valid from/until, used or not, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from loyalty import wiring
from loyalty.domain.coupons import Coupon
from loyalty.handlers.routes.common import Cursor, Limit, caller
from shop_kernel.auth import Group
from shop_kernel.clock import isoformat
from shop_kernel.http import json_response
from shop_kernel.openapi import BEARER_SECURITY, documented, ok

router = Router()

_COUPON: JsonDict = {
    "coupon_id": "cpn_01JD0000000000000000000001",
    "code": "BDAY-7K2M9QX4TR",
    "trigger": "birthday",
    "promotion_id": "promo_coupon_birthday",
    "name": "Birthday: 15 % off",
    "benefit": {"kind": "percent_off", "basis_points": 1500},
    "valid_from": "2026-11-05T00:00:00.000Z",
    "valid_until": "2026-12-05T00:00:00.000Z",
    "status": "active",
    "used": False,
    "issued_at": "2026-11-05T00:00:00.000Z",
}


class CouponView(BaseModel):
    model_config = ConfigDict(extra="forbid")

    coupon_id: str
    code: str = Field(description="Enter it in the cart (signed in as its owner); usable once")
    trigger: Literal["birthday", "tier_reached", "first_order", "win_back"]
    promotion_id: str
    name: str = Field(description="The promotion's name when the coupon was issued")
    benefit: dict[str, Any] = Field(description="What it gives, as pricing's promotion benefit")
    valid_from: str
    valid_until: str
    status: Literal["used", "active", "not_started", "expired"]
    used: bool
    issued_at: str


class CouponsPage(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"items": [_COUPON], "next_cursor": None}]}
    )

    items: list[CouponView]
    next_cursor: str | None = None


def coupon_view(coupon: Coupon, used: bool, now: datetime) -> dict[str, Any]:
    if used:
        status = "used"
    elif now < coupon.valid_from:
        status = "not_started"
    elif now >= coupon.valid_until:
        status = "expired"
    else:
        status = "active"
    return {
        "coupon_id": coupon.coupon_id,
        "code": coupon.code,
        "trigger": coupon.trigger,
        "promotion_id": coupon.promotion_id,
        "name": coupon.promotion_name,
        "benefit": coupon.benefit,
        "valid_from": isoformat(coupon.valid_from),
        "valid_until": isoformat(coupon.valid_until),
        "status": status,
        "used": used,
        "issued_at": isoformat(coupon.issued_at),
    }


@router.get(
    "/me/coupons",
    summary="My coupons",
    description=(
        "The signed-in customer's automatic coupons (birthday, tier reached, first order, win-back), newest "
        "first: the code, what it gives, its validity window and whether it was used; `next_cursor` pages on."
    ),
    tags=["loyalty"],
    security=BEARER_SECURITY,
    responses=documented(ok(CouponsPage, "A page of coupons"), 401, 403, 422),
)
def get_my_coupons(limit: Limit = 20, cursor: Cursor = None):
    member_id = caller(router, Group.CUSTOMERS)
    c = wiring.container
    start = c.cursors().decode(cursor, scope=f"coupons:{member_id}")
    coupons, last = c.coupon_store().coupons_page(member_id, limit, start)
    now = c.clock().now()
    return json_response(
        {
            "items": [coupon_view(coupon, used, now) for coupon, used in coupons],
            "next_cursor": c.cursors().encode(last, scope=f"coupons:{member_id}"),
        }
    )
