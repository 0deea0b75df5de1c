"""Staff: member lookup and manual adjustments (agents), rules and campaigns (merchandisers)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from loyalty import wiring
from loyalty.domain.rules import Campaign, LoyaltyRules
from loyalty.handlers.responses import (
    AdjustmentBody,
    AdjustmentList,
    AdjustmentView,
    AdminMemberView,
    CampaignList,
    CampaignView,
    LedgerPage,
    RulesView,
    adjustment_view,
)
from loyalty.handlers.routes.common import STAFF_ONLY, VERSIONED, Cursor, Limit, caller
from loyalty.handlers.routes.member import ledger_page, member_page
from shop_kernel.auth import Group
from shop_kernel.errors import NotFound, PreconditionRequired, ValidationFailed
from shop_kernel.http import etag, json_response, version_to_match
from shop_kernel.openapi import BEARER_SECURITY, IfMatch, documented, ok, problem

router = Router()
MemberId = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$", description="Cognito sub")
]
AdjustmentId = Annotated[
    str, Path(pattern=r"^adj_[0-9A-HJKMNP-TV-Z]{26}$", description="The adjustment's id")
]
CampaignId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        description="The campaign's id, chosen by merchandisers",
    ),
]


@router.get(
    "/admin/loyalty/members/<member_id>",
    summary="Look a member up",
    description="For agents: balances, tier, store credit, pending orders and the newest ledger entries.",
    tags=["admin"],
    security=BEARER_SECURITY,
    responses=documented(ok(AdminMemberView, "The member"), *STAFF_ONLY),
)
def get_member(member_id: MemberId, limit: Limit = 20):
    caller(router, Group.AGENTS)
    state, body = member_page(member_id, limit)
    body.update(version=state.version, pending_orders=[lot.model_dump(mode="json") for lot in state.pending])
    return json_response(body)


@router.get(
    "/admin/loyalty/members/<member_id>/ledger",
    summary="A member's ledger, page by page",
    description="For agents: a member's ledger entries newest first, with reasons, orders and agents' notes.",
    tags=["admin"],
    security=BEARER_SECURITY,
    responses=documented(ok(LedgerPage, "A page of entries"), *STAFF_ONLY),
)
def get_member_ledger(member_id: MemberId, limit: Limit = 20, cursor: Cursor = None):
    caller(router, Group.AGENTS)
    return json_response(ledger_page(member_id, limit, cursor))


@router.post(
    "/admin/loyalty/members/<member_id>/adjustments",
    summary="Adjust a member's points by hand",
    description=(
        "For agents, with a note kept in the ledger. Up to the configured size it is applied at once (201); "
        "above it, it waits for another agent's approval (202)."
    ),
    tags=["admin"],
    security=BEARER_SECURITY,
    responses=documented(
        ok(AdjustmentView, "Applied", status=201),
        ok(AdjustmentView, "Waiting for another agent's approval", status=202),
        *STAFF_ONLY,
        problem(409, "The member has fewer points than the adjustment takes"),
        problem(404, "A debit for a member with no points"),
    ),
)
def post_adjustment(member_id: MemberId, body: AdjustmentBody):
    agent = caller(router, Group.AGENTS)
    if body.points == 0:
        raise ValidationFailed.on("body.points", "an adjustment moves at least one point", "zero")
    adjustment = wiring.container.service().adjust(member_id, body.points, body.note, agent)
    return json_response(adjustment_view(adjustment), 201 if adjustment.status == "applied" else 202)


@router.get(
    "/admin/loyalty/adjustments",
    summary="Adjustments waiting for approval",
    description="For agents: adjustments above the configured size that another agent must approve or reject.",
    tags=["admin"],
    security=BEARER_SECURITY,
    responses=documented(ok(AdjustmentList, "Oldest first"), *STAFF_ONLY),
)
def list_pending_adjustments(limit: Limit = 50):
    caller(router, Group.AGENTS)
    pending = wiring.container.store().pending_adjustments(limit)
    return json_response({"items": [adjustment_view(a) for a in pending]})


def _decide(adjustment_id: str, approve: bool):  # type: ignore[no-untyped-def]
    agent = caller(router, Group.AGENTS)
    decided = wiring.container.service().decide(adjustment_id, agent, approve)
    return json_response(adjustment_view(decided))


_DECISION = documented(
    ok(AdjustmentView, "Decided"),
    *STAFF_ONLY,
    problem(404, "No such adjustment"),
    problem(409, "The member has fewer points than the adjustment takes"),
    problem(412, "Decided by someone else meanwhile"),
    problem(422, "Decided already, or you requested it (another agent must approve)"),
)


@router.post(
    "/admin/loyalty/adjustments/<adjustment_id>/approve",
    summary="Approve and apply an adjustment",
    description="For agents other than the one who asked: the points move, the ledger names both agents.",
    tags=["admin"],
    security=BEARER_SECURITY,
    responses=_DECISION,
)
def approve_adjustment(adjustment_id: AdjustmentId):
    return _decide(adjustment_id, True)


@router.post(
    "/admin/loyalty/adjustments/<adjustment_id>/reject",
    summary="Reject an adjustment",
    description="For agents other than the one who asked: the adjustment is closed and no points move.",
    tags=["admin"],
    security=BEARER_SECURITY,
    responses=_DECISION,
)
def reject_adjustment(adjustment_id: AdjustmentId):
    return _decide(adjustment_id, False)


@router.get(
    "/admin/loyalty/rules",
    summary="The earning, redemption, tier, cashback and expiry rules",
    description="For merchandisers: the rule set with its ETag; version 0 is the built-in default set (none stored).",
    tags=["admin"],
    security=BEARER_SECURITY,
    responses=documented(ok(RulesView, "The rule set", headers=VERSIONED), *STAFF_ONLY),
)
def get_rules():
    caller(router, Group.MERCHANDISERS)
    rules, version, _ = wiring.container.store().configuration()
    body = RulesView(version=version, rules=rules).model_dump(mode="json")
    return json_response(body, headers={"ETag": etag(version)})


@router.put(
    "/admin/loyalty/rules",
    summary="Replace the rule set",
    description='For merchandisers. Send the ETag you read as If-Match (`"0"` replaces the defaults).',
    tags=["admin"],
    security=BEARER_SECURITY,
    responses=documented(ok(RulesView, "Replaced", headers=VERSIONED), *STAFF_ONLY, 412, 428),
)
def put_rules(body: LoyaltyRules, if_match: IfMatch = None):
    caller(router, Group.MERCHANDISERS)
    store = wiring.container.store()
    expected = version_to_match(if_match, lambda: store.configuration()[1])
    if expected is None:
        raise PreconditionRequired("send If-Match with the ETag of the rules you read")
    version = store.put_rules(body, None if expected == 0 else expected)
    return json_response(
        RulesView(version=version, rules=body).model_dump(mode="json"), headers={"ETag": etag(version)}
    )


@router.get(
    "/admin/loyalty/campaigns",
    summary="Bonus campaigns",
    description="For merchandisers: every bonus campaign, past, running and planned, ordered by start.",
    tags=["admin"],
    security=BEARER_SECURITY,
    responses=documented(ok(CampaignList, "Every campaign, by start"), *STAFF_ONLY),
)
def list_campaigns():
    caller(router, Group.MERCHANDISERS)
    _, _, campaigns = wiring.container.store().configuration()
    return json_response({"items": [c.model_dump(mode="json") for c in campaigns]})


@router.put(
    "/admin/loyalty/campaigns/<campaign_id>",
    summary="Create or replace a bonus campaign",
    description="For merchandisers. A new campaign needs no If-Match (201); replacing one needs its ETag.",
    tags=["admin"],
    security=BEARER_SECURITY,
    responses=documented(
        ok(CampaignView, "Created", status=201, headers=VERSIONED),
        ok(CampaignView, "Replaced", headers=VERSIONED),
        *STAFF_ONLY,
        412,
        problem(422, "A field is not valid (the window ends before it starts, the id differs from the path)"),
    ),
)
def put_campaign(campaign_id: CampaignId, body: Campaign, if_match: IfMatch = None):
    caller(router, Group.MERCHANDISERS)
    if body.id != campaign_id:
        raise ValidationFailed.on("body.id", "the campaign's id must be the one in the path", "mismatch")
    store = wiring.container.store()
    expected = version_to_match(if_match, lambda: (found := store.campaign(campaign_id)) and found[1])
    version = store.put_campaign(body, expected)
    return json_response(body.model_dump(mode="json"), 201 if version == 1 else 200, {"ETag": etag(version)})


@router.delete(
    "/admin/loyalty/campaigns/<campaign_id>",
    summary="Remove a bonus campaign",
    description="For merchandisers: the campaign stops applying to orders placed from now on; answers what it was.",
    tags=["admin"],
    security=BEARER_SECURITY,
    responses=documented(
        ok(CampaignView, "Removed; what it was"), *STAFF_ONLY, problem(404, "No such campaign")
    ),
)
def delete_campaign(campaign_id: CampaignId):
    caller(router, Group.MERCHANDISERS)
    removed = wiring.container.store().delete_campaign(campaign_id)
    if removed is None:
        raise NotFound(f"no campaign {campaign_id!r}")
    return json_response(removed.model_dump(mode="json"))
