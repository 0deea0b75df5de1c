"""What the checkout and order routes share: who is buying, and the request headers they read (typed, so
the OpenAPI document lists them)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Header

from cart.domain.models import CartOwner, OwnerKind
from cart.domain.tokens import TOKEN_HEADER, TOKEN_PATTERN, checked_token, token_hash
from orders.domain.models import Buyer
from shop_kernel.auth import Group, require
from shop_kernel.http import parse_if_match
from shop_kernel.openapi import IF_MATCH_PATTERN, route_checked

CartToken = Annotated[
    str | None,
    Header(
        alias=TOKEN_HEADER,
        description="The token of the guest cart being checked out (the one that became the order)",
        json_schema_extra=route_checked(pattern=TOKEN_PATTERN),
    ),
]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description='Optional: the cart\'s ETag as you last read it (e.g. "3"); the checkout is refused with '
        "412 if the cart changed since. `*` means any version",
        json_schema_extra={"pattern": IF_MATCH_PATTERN},
    ),
]


def guest(token: str | None) -> tuple[CartOwner, Buyer]:
    """The guest named by ``X-Cart-Token``; 400 naming the header when it is absent or malformed."""
    key = token_hash(checked_token(token))
    return CartOwner(OwnerKind.GUEST, key), Buyer(kind="guest", key=key)


def customer(router: Router) -> tuple[CartOwner, Buyer]:
    caller = require(router.current_event.raw_event, Group.CUSTOMERS)
    buyer = Buyer(
        kind="customer", key=caller.subject, email=caller.email, price_group=caller.price_group or "retail"
    )
    return CartOwner(OwnerKind.CUSTOMER, caller.subject), buyer


def staff(router: Router) -> None:
    """Only call-center agents and operations read orders that are not their own."""
    require(router.current_event.raw_event, Group.AGENTS, Group.OPS)


def if_match(value: str | None) -> int | None:
    """The cart version ``If-Match`` names; None when absent or ``*`` (any current version, RFC 9110)."""
    if value is not None and value.strip() == "*":
        return None
    return parse_if_match(value)


def client_ip(router: Router) -> str | None:
    identity = (router.current_event.raw_event.get("requestContext") or {}).get("identity") or {}
    return identity.get("sourceIp") or None
