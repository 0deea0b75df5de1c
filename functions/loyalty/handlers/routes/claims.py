"""A signed-up customer claims the points of their earlier guest orders, once, with their verified e-mail."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from loyalty import wiring
from loyalty.handlers.responses import LedgerEntryView, entry_view
from loyalty.handlers.routes.common import caller
from shop_kernel.auth import Group
from shop_kernel.http import json_response
from shop_kernel.openapi import BEARER_SECURITY, documented, ok

router = Router()


def _verified(claims: dict[str, object]) -> bool:
    # API Gateway passes Cognito's boolean claims as strings.
    return str(claims.get("email_verified", "")).lower() == "true"


@router.post(
    "/me/loyalty/claims",
    summary="Claim the points of my earlier guest orders",
    description=(
        "Moves the points, pending points and store credit that guest orders placed with the caller's "
        "verified e-mail (the token's `email` with `email_verified`) earned onto the caller's ledger, once: "
        "the ledger shows a `claim` entry. No body. 403 when the e-mail is not verified, 404 when guest "
        "orders with it earned nothing, 409 when they were claimed already."
    ),
    tags=["loyalty"],
    security=BEARER_SECURITY,
    responses=documented(
        ok(LedgerEntryView, "The claim entry on the caller's ledger", status=201), 401, 403, 404, 409
    ),
)
def post_claim():
    member_id = caller(router, Group.CUSTOMERS)
    claims = router.current_event.raw_event["requestContext"]["authorizer"]["claims"]
    entry = wiring.container.guest_claims().claim(member_id, claims.get("email"), _verified(claims))
    return json_response(entry_view(entry), 201)
