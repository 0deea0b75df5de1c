"""The signed-in customer's own data under ``/me`` (Cognito, group ``customers``): profile and address
book, marketing consents, the GDPR export and erasure."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from customers import wiring
from customers.domain.models import CustomerProfile, CustomerProfileDraft
from customers.handlers.routes.common import ETAG, ChannelPath, caller_id
from customers.handlers.views import (
    CustomerConsent,
    CustomerConsentChange,
    CustomerConsents,
    CustomerErasure,
    CustomerExport,
)
from shop_kernel.auth import Group
from shop_kernel.http import etag, json_response, parse_if_match
from shop_kernel.openapi import BEARER_SECURITY, IfMatch, documented, ok

router = Router()
TAG = "my account"


def _me() -> str:
    return caller_id(router, Group.CUSTOMERS)


def _profile_response(profile: CustomerProfile, status: int = 200):  # type: ignore[no-untyped-def]
    return json_response(profile.model_dump(mode="json"), status, {"ETag": etag(profile.version)})


@router.get(
    "/me/profile",
    summary="Read my profile",
    description="Names, phones, address book and preferences; 404 until the first PUT creates it.",
    tags=[TAG],
    operation_id="get_my_profile",
    security=BEARER_SECURITY,
    responses=documented(ok(CustomerProfile, "The profile", headers=ETAG), 404, 409),
)
def get_my_profile():
    return _profile_response(wiring.container.service().profile(_me()))


@router.put(
    "/me/profile",
    summary="Create or replace my profile",
    description="Without If-Match creates the profile (201); replacing it needs If-Match with the ETag read "
    "(428 without, 412 when it changed). Address-book entries keep their `id`; an entry without one is "
    "added. At most one address is the default for shipping, and one for billing. Phones are E.164.",
    tags=[TAG],
    operation_id="put_my_profile",
    security=BEARER_SECURITY,
    responses=documented(
        ok(CustomerProfile, "Replaced", headers=ETAG),
        ok(CustomerProfile, "Created", status=201, headers=ETAG),
        409,
        412,
        428,
    ),
)
def put_my_profile(body: CustomerProfileDraft, if_match_header: IfMatch = None):
    profile, created = wiring.container.service().save_profile(_me(), body, parse_if_match(if_match_header))
    return _profile_response(profile, 201 if created else 200)


@router.get(
    "/me/consents",
    summary="My marketing consents",
    description="Every channel's consent: none, pending (waiting for the confirmation link), granted, withdrawn.",
    tags=[TAG],
    operation_id="get_my_consents",
    security=BEARER_SECURITY,
    responses=documented(ok(CustomerConsents, "Consents per channel"), 409),
)
def get_my_consents():
    consents = wiring.container.service().consents(_me())
    return json_response(
        CustomerConsents(consents=[CustomerConsent.of(c) for c in consents]).model_dump(mode="json")
    )


@router.put(
    "/me/consents/<channel>",
    summary="Give or withdraw my consent to marketing on a channel",
    description="`granted: true` makes the consent pending and sends a confirmation link over the channel "
    "(double opt-in; asking again sends a new link); `false` withdraws it at once.",
    tags=[TAG],
    operation_id="put_my_consent",
    security=BEARER_SECURITY,
    responses=documented(ok(CustomerConsent, "The channel's consent"), 409),
)
def put_my_consent(channel: ChannelPath, body: CustomerConsentChange):
    consent = wiring.container.service().set_consent(_me(), channel, body.granted, body.source)
    return json_response(CustomerConsent.of(consent).model_dump(mode="json"))


@router.get(
    "/me/export",
    summary="Export everything held about me",
    description="One JSON document of everything the customers context holds about you (GDPR access and "
    "portability). Orders and points are exported by their own APIs.",
    tags=[TAG],
    operation_id="export_me",
    security=BEARER_SECURITY,
    responses=documented(ok(CustomerExport, "Everything held about you"), 409),
)
def export_me():
    service = wiring.container.service()
    record = service.record(_me(), known=False)
    return json_response(CustomerExport.of(record, service.now()).model_dump(mode="json"))


@router.delete(
    "/me",
    summary="Erase my personal data",
    description="Removes your profile, address book, consents and their history, and agents' notes; "
    "announces CustomerErased so that every other context erases what it holds. Repeating it answers the "
    "first erasure.",
    tags=[TAG],
    operation_id="erase_me",
    security=BEARER_SECURITY,
    responses=documented(ok(CustomerErasure, "Erased")),
)
def erase_me():
    customer_id = _me()
    erased_at = wiring.container.service().erase(customer_id, requested_by="customer")
    return json_response(
        CustomerErasure(customer_id=customer_id, erased_at=erased_at).model_dump(mode="json")
    )
