"""A member's own loyalty: balances, tier and progress, store credit, expiring soon, and the ledger."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router

from loyalty import wiring
from loyalty.domain.member import MemberState
from loyalty.handlers.responses import LedgerPage, LoyaltyView, entry_view, member_view
from loyalty.handlers.routes.common import Cursor, Limit, caller
from shop_kernel.auth import Group
from shop_kernel.http import json_response
from shop_kernel.openapi import BEARER_SECURITY, documented, ok

router = Router()


def member_page(member_id: str, limit: int) -> tuple[MemberState, dict[str, Any]]:
    """Summary and the newest ``limit`` entries: one Query (tier benefits and progress are on the summary)."""
    c = wiring.container
    state, entries, last = c.store().member_page(member_id, limit, None)
    assert state is not None  # the first page always has one (a member without a summary: all zero)
    return state, member_view(state, entries, c.cursors().encode(last, scope=member_id), c.clock().now())


def ledger_page(member_id: str, limit: int, cursor: str | None) -> dict:  # type: ignore[type-arg]
    c = wiring.container
    start = c.cursors().decode(cursor, scope=member_id)
    _, entries, last = c.store().member_page(member_id, limit, start)
    return {
        "items": [entry_view(e) for e in entries],
        "next_cursor": c.cursors().encode(last, scope=member_id),
    }


@router.get(
    "/me/loyalty",
    summary="My points, tier and ledger",
    description=(
        "Available and pending points, store credit (cashback), the tier with its benefits and what is left "
        "to spend for the next one, points expiring soon, and the newest ledger entries; `ledger.next_cursor` "
        "pages on through `GET /me/loyalty/ledger`."
    ),
    tags=["loyalty"],
    security=BEARER_SECURITY,
    responses=documented(ok(LoyaltyView, "The member's loyalty"), 401, 403),
)
def get_my_loyalty(limit: Limit = 20):
    _, body = member_page(caller(router, Group.CUSTOMERS), limit)
    return json_response(body)


@router.get(
    "/me/loyalty/ledger",
    summary="My ledger, page by page",
    description="For the signed-in customer: ledger entries newest first; omit the cursor for the newest page.",
    tags=["loyalty"],
    security=BEARER_SECURITY,
    responses=documented(ok(LedgerPage, "A page of entries"), 401, 403),
)
def get_my_ledger(limit: Limit = 20, cursor: Cursor = None):
    return json_response(ledger_page(caller(router, Group.CUSTOMERS), limit, cursor))
