"""Loyalty REST API: the member's own under /me/loyalty and /me/coupons, staff's under /admin/loyalty, and
the public gift certificate balance check under /loyalty/gift-certificates.

One resolver, one OpenAPI document (``GET /loyalty/openapi.json``). ``/me/...`` is for customers and
``/admin/...`` for agents (members, adjustments) and merchandisers (rules, campaigns, gift certificates), refused before
anything reads the request; each route names its group again. No X-Ray tracer here: creating
it dominates the cold start (see shop_kernel.observability); Lambda active tracing covers it.
"""

from __future__ import annotations

from loyalty.handlers.routes import admin, certificates, claims, coupons, member
from shop_kernel.auth import Group
from shop_kernel.http import api_function
from shop_kernel.openapi import bearer_scheme

TITLE = "Loyalty API"
VERSION = "1.0.0"

# Who may call what, checked before anything reads the request (Powertools validates parameters and
# bodies before a route runs: a caller of the wrong group must get 403, not learn from a 422).
GUARDED: dict[str, tuple[Group, ...]] = {
    "/me/": (Group.CUSTOMERS,),
    "/admin/loyalty/members": (Group.AGENTS,),
    "/admin/loyalty/adjustments": (Group.AGENTS,),
    "/admin/loyalty/rules": (Group.MERCHANDISERS,),
    "/admin/loyalty/campaigns": (Group.MERCHANDISERS,),
    "/admin/loyalty/gift-certificate": (Group.MERCHANDISERS,),
    "/admin/": (Group.AGENTS, Group.MERCHANDISERS),
}

app, handler = api_function(
    [member.router, claims.router, coupons.router, admin.router, certificates.router],
    openapi_path="/loyalty/openapi.json",
    title=TITLE,
    version=VERSION,
    guards=GUARDED,
    security_schemes=bearer_scheme(),
)
