"""Links a customer follows without signing in (``/customers``): the double opt-in confirmation and
one-click unsubscribe (RFC 8058). Both are verified by their signed token alone."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from customers import wiring
from customers.domain.tokens import MAX_TOKEN_LENGTH
from customers.handlers.views import CustomerConsent, CustomerConsentConfirmation
from shop_kernel.http import json_response
from shop_kernel.openapi import documented, ok

router = Router()
TAG = "consent links"
UnsubscribeToken = Annotated[
    str,
    Path(
        min_length=1,
        max_length=MAX_TOKEN_LENGTH,
        pattern=r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$",
        description="The token of the List-Unsubscribe link",
    ),
]


@router.post(
    "/customers/consents/confirm",
    summary="Confirm a marketing consent (double opt-in)",
    description="The token from the confirmation link: the pending consent it was sent for becomes granted. "
    "A link works once and only for the latest request (409 otherwise); 422 when it is not ours or expired.",
    tags=[TAG],
    operation_id="confirm_consent",
    responses=documented(ok(CustomerConsent, "The channel's consent, now granted"), 409),
)
def confirm_consent(body: CustomerConsentConfirmation):
    _, consent = wiring.container.service().confirm_consent(body.token)
    return json_response(CustomerConsent.of(consent).model_dump(mode="json"))


@router.post(
    "/customers/unsubscribe/<token>",
    summary="One-click unsubscribe (RFC 8058)",
    description="The List-Unsubscribe URL of a marketing message: mail clients POST "
    "`List-Unsubscribe=One-Click` to it; any body is ignored. Withdraws the channel's consent; answered "
    "alike when it was already withdrawn.",
    tags=[TAG],
    operation_id="unsubscribe",
    responses=documented(ok(CustomerConsent, "The channel's consent")),
)
def unsubscribe(token: UnsubscribeToken):
    _, consent = wiring.container.service().unsubscribe(token, "path.token")
    return json_response(CustomerConsent.of(consent).model_dump(mode="json"))
