"""Loyalty REST API: the member's own under /me/loyalty, staff's under /admin/loyalty.

One resolver, one OpenAPI document (``GET /loyalty/openapi.json``). ``/me/...`` is for customers and
``/admin/...`` for agents (members, adjustments) and merchandisers (rules, campaigns), refused before
anything reads the request; each route names its group again. No X-Ray tracer here: creating
it dominates the cold start (see shop_kernel.observability); Lambda active tracing covers it.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty.handlers.routes import admin, member
from shop_kernel.auth import Group
from shop_kernel.http import build_resolver, refuse_unauthorised, serve_openapi
from shop_kernel.observability import logger, metrics
from shop_kernel.openapi import bearer_scheme

TITLE = "Loyalty API"
VERSION = "1.0.0"

# Who may call what, checked before anything reads the request (Powertools validates parameters and
# bodies before a route runs: a caller of the wrong group must get 403, not learn from a 422).
GUARDED: tuple[tuple[str, tuple[Group, ...]], ...] = (
    ("/me/", (Group.CUSTOMERS,)),
    ("/admin/loyalty/members", (Group.AGENTS,)),
    ("/admin/loyalty/adjustments", (Group.AGENTS,)),
    ("/admin/loyalty/rules", (Group.MERCHANDISERS,)),
    ("/admin/loyalty/campaigns", (Group.MERCHANDISERS,)),
    ("/admin/", (Group.AGENTS, Group.MERCHANDISERS)),
)

app = build_resolver()
app.include_router(member.router)
app.include_router(admin.router)
app.configure_openapi(title=TITLE, version=VERSION, security_schemes=bearer_scheme())

serve_openapi(app, "/loyalty/openapi.json", title=TITLE, version=VERSION)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    for prefix, groups in GUARDED:
        if (refusal := refuse_unauthorised(event, prefix, *groups)) is not None:
            return refusal
    return app.resolve(event, context)
