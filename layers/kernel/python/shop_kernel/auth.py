"""Caller identity from the API Gateway Cognito authorizer claims.

In the cloud API Gateway validates the JWT and puts its claims in
``requestContext.authorizer.claims``; the local API does the same with locally signed tokens, so this
module is identical in both. Group membership (``cognito:groups``) decides what a caller may do.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from shop_kernel.errors import Forbidden, Unauthorized


class Group(StrEnum):
    CUSTOMERS = "customers"
    AGENTS = "agents"
    MERCHANDISERS = "merchandisers"
    OPS = "ops"


# A Cognito custom attribute naming a B2B customer's price group; absent for consumers (retail). Staff set it;
# the app clients cannot write it (infra/constructs/auth.py), so a verified token's value can be trusted.
PRICE_GROUP_CLAIM = "custom:price_group"
RETAIL_PRICE_LIST = "retail"


class Caller(BaseModel):
    subject: str
    username: str | None = None
    email: str | None = None
    groups: frozenset[str] = frozenset()
    price_group: str | None = None

    def in_any(self, *groups: Group) -> bool:
        return any(g.value in self.groups for g in groups)


def _parse_groups(raw: Any) -> frozenset[str]:
    # API Gateway flattens list claims into "[a, b]" or "a,b" strings; accept every shape.
    if raw is None:
        return frozenset()
    if isinstance(raw, list | tuple | set | frozenset):
        return frozenset(str(g) for g in raw)
    text = str(raw).strip().strip("[]")
    return frozenset(part.strip().strip('"') for part in text.replace(" ", ",").split(",") if part.strip())


def caller_from_event(event: dict[str, Any]) -> Caller | None:
    claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("claims")
    if not claims or not claims.get("sub"):
        return None
    return Caller(
        subject=claims["sub"],
        username=claims.get("cognito:username") or claims.get("username"),
        email=claims.get("email"),
        groups=_parse_groups(claims.get("cognito:groups")),
        price_group=claims.get(PRICE_GROUP_CLAIM) or None,
    )


def visible_price_lists(event: dict[str, Any]) -> frozenset[str]:
    """The price lists whose prices this request may see: retail for everyone, plus the caller's own
    price group when API Gateway verified a token naming it. Negotiated prices are confidential."""
    caller = caller_from_event(event)
    if caller is None or not caller.price_group:
        return frozenset({RETAIL_PRICE_LIST})
    return frozenset({RETAIL_PRICE_LIST, caller.price_group})


def require(event: dict[str, Any], *groups: Group) -> Caller:
    """The caller, if authenticated and in one of ``groups``; 401 or 403 otherwise."""
    caller = caller_from_event(event)
    if caller is None:
        raise Unauthorized("sign in: this route needs a bearer token")
    if groups and not caller.in_any(*groups):
        names = ", ".join(g.value for g in groups)
        raise Forbidden(f"this route is for the {names} group")
    return caller
