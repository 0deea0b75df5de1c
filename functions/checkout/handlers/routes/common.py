"""What the checkout and order routes share: who is buying, the request headers they read."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router

from cart.domain.models import CartOwner, OwnerKind
from cart.domain.tokens import TOKEN_HEADER, checked_token, token_hash
from checkout.domain.models import Buyer
from shop_kernel.auth import Group, require
from shop_kernel.http import header, parse_if_match

_context: list[Any] = [None]


def remember_context(context: Any) -> None:
    """The invocation's Lambda context, for the idempotency layer's in-progress expiry."""
    _context[0] = context


def lambda_context() -> Any:
    return _context[0]


def guest(router: Router) -> tuple[CartOwner, Buyer]:
    key = token_hash(checked_token(header(router, TOKEN_HEADER)))
    return CartOwner(OwnerKind.GUEST, key), Buyer(kind="guest", key=key)


def customer(router: Router) -> tuple[CartOwner, Buyer]:
    caller = require(router.current_event.raw_event, Group.CUSTOMERS)
    buyer = Buyer(
        kind="customer", key=caller.subject, email=caller.email, price_group=caller.price_group or "retail"
    )
    return CartOwner(OwnerKind.CUSTOMER, caller.subject), buyer


def if_match(router: Router) -> int | None:
    return parse_if_match(header(router, "If-Match"))


def client_ip(router: Router) -> str | None:
    identity = (router.current_event.raw_event.get("requestContext") or {}).get("identity") or {}
    return identity.get("sourceIp") or None
