"""Customers REST API: the customer's own data under /me, staff routes under /admin/customers, and the
links followed without signing in under /customers (consent confirmation, one-click unsubscribe).

One resolver, one OpenAPI document (``GET /customers/openapi.json``). ``/me`` and ``/admin/customers``
requests are authorised before anything reads their body.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from customers.handlers.routes import admin, links, me
from shop_kernel.auth import Group
from shop_kernel.http import build_resolver, refuse_unauthorised, serve_openapi
from shop_kernel.observability import logger, metrics
from shop_kernel.openapi import bearer_scheme

TITLE = "Customers API"
VERSION = "1.0.0"
UNSUBSCRIBE_PREFIX = "/customers/unsubscribe/"

app = build_resolver()
app.include_router(me.router)
app.include_router(admin.router)
app.include_router(links.router)
app.configure_openapi(title=TITLE, version=VERSION, security_schemes=bearer_scheme())

serve_openapi(app, "/customers/openapi.json", title=TITLE, version=VERSION)


def _one_click(event: dict[str, Any]) -> dict[str, Any]:
    """RFC 8058: the mail client POSTs the form body ``List-Unsubscribe=One-Click``. The route reads
    nothing from the body, and the resolver refuses form bodies (415), so the body is dropped here."""
    if event.get("httpMethod") == "POST" and str(event.get("path") or "").startswith(UNSUBSCRIBE_PREFIX):
        headers = {k: v for k, v in (event.get("headers") or {}).items() if k.lower() != "content-type"}
        multi = {
            k: v for k, v in (event.get("multiValueHeaders") or {}).items() if k.lower() != "content-type"
        }
        return {
            **event,
            "body": None,
            "isBase64Encoded": False,
            "headers": headers,
            "multiValueHeaders": multi,
        }
    return event


def _refusal(event: dict[str, Any]) -> dict[str, Any] | None:
    if event.get("path") == "/me":
        return refuse_unauthorised(event, "/me", Group.CUSTOMERS)
    return refuse_unauthorised(event, "/me/", Group.CUSTOMERS) or refuse_unauthorised(
        event, "/admin/customers", Group.AGENTS, Group.OPS
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return _refusal(event) or app.resolve(_one_click(event), context)
