"""Staff routes under ``/admin/customers`` (Cognito, groups ``agents`` and ``ops``): the agent view, notes,
the B2B price group, export and erasure on a customer's behalf."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from customers import wiring
from customers.domain.models import ConsentActor, CustomerNote
from customers.handlers.routes.common import ETAG, ChannelPath, CustomerIdPath, caller_id
from customers.handlers.views import (
    CustomerAgentView,
    CustomerConsent,
    CustomerErasure,
    CustomerExport,
    CustomerGroup,
    CustomerGroupChange,
    CustomerNoteDraft,
    CustomerSupportConsentChange,
)
from shop_kernel.auth import Group
from shop_kernel.http import etag, json_response, parse_if_match
from shop_kernel.openapi import BEARER_SECURITY, IfMatch, documented, ok

router = Router()
TAG = "customers (staff)"
STAFF = (Group.AGENTS, Group.OPS)


def _staff() -> str:
    return caller_id(router, *STAFF)


@router.get(
    "/admin/customers/<customer_id>",
    summary="A customer as an agent sees them",
    description="Profile, consents, notes, price group, segments, and the orders this context knows as links "
    "to the staff order API; points are loyalty's (`loyalty_href`). 404 when nothing is held.",
    tags=[TAG],
    operation_id="get_customer",
    security=BEARER_SECURITY,
    responses=documented(ok(CustomerAgentView, "The customer"), 404, 409),
)
def get_customer(customer_id: CustomerIdPath):
    _staff()
    record = wiring.container.service().record(customer_id)
    return json_response(CustomerAgentView.of(record).model_dump(mode="json"))


@router.post(
    "/admin/customers/<customer_id>/notes",
    summary="Add a note about a customer",
    description="Notes are kept with their author and time and cannot be changed (audited).",
    tags=[TAG],
    operation_id="add_customer_note",
    security=BEARER_SECURITY,
    responses=documented(ok(CustomerNote, "The note", status=201), 409),
)
def add_customer_note(customer_id: CustomerIdPath, body: CustomerNoteDraft):
    note = wiring.container.service().add_note(customer_id, body.text, author=_staff())
    return json_response(note.model_dump(mode="json"), 201)


@router.put(
    "/admin/customers/<customer_id>/group",
    summary="Set a customer's B2B price group",
    description="Staff only: the price list the customer buys at (`null`: retail). Announced as "
    "CustomerGroupChanged. If-Match (the group's ETag) guards against a change made meanwhile.",
    tags=[TAG],
    operation_id="set_customer_group",
    security=BEARER_SECURITY,
    responses=documented(ok(CustomerGroup, "The customer's group", headers=ETAG), 409, 412),
)
def set_customer_group(
    customer_id: CustomerIdPath, body: CustomerGroupChange, if_match_header: IfMatch = None
):
    staff = _staff()
    group = wiring.container.service().set_group(
        customer_id, body.group, staff, parse_if_match(if_match_header)
    )
    return json_response(
        CustomerGroup.of(customer_id, group).model_dump(mode="json"), headers={"ETag": etag(group.version)}
    )


@router.put(
    "/admin/customers/<customer_id>/consents/<channel>",
    summary="Record a consent request a customer made to support",
    description="`granted: false` withdraws the channel's consent at once; `granted: true` sends the customer "
    "the double opt-in link, since consent is the customer's to give. Kept in the history as support's.",
    tags=[TAG],
    operation_id="set_customer_consent",
    security=BEARER_SECURITY,
    responses=documented(ok(CustomerConsent, "The channel's consent"), 409),
)
def set_customer_consent(
    customer_id: CustomerIdPath, channel: ChannelPath, body: CustomerSupportConsentChange
):
    _staff()
    service = wiring.container.service()
    consent = service.set_consent(customer_id, channel, body.granted, "support", ConsentActor.AGENT)
    return json_response(CustomerConsent.of(consent).model_dump(mode="json"))


@router.get(
    "/admin/customers/<customer_id>/export",
    summary="Export everything held about a customer",
    description="The customer's GDPR export, for a request received by support.",
    tags=[TAG],
    operation_id="export_customer",
    security=BEARER_SECURITY,
    responses=documented(ok(CustomerExport, "Everything held about the customer"), 404, 409),
)
def export_customer(customer_id: CustomerIdPath):
    _staff()
    service = wiring.container.service()
    return json_response(
        CustomerExport.of(service.record(customer_id), service.now()).model_dump(mode="json")
    )


@router.delete(
    "/admin/customers/<customer_id>",
    summary="Erase a customer's personal data",
    description="As `DELETE /me`, for an erasure request received by support.",
    tags=[TAG],
    operation_id="erase_customer",
    security=BEARER_SECURITY,
    responses=documented(ok(CustomerErasure, "Erased")),
)
def erase_customer(customer_id: CustomerIdPath):
    _staff()
    erased_at = wiring.container.service().erase(customer_id, requested_by="agent")
    return json_response(
        CustomerErasure(customer_id=customer_id, erased_at=erased_at).model_dump(mode="json")
    )
