"""Customers REST API: the customer's own data under /me, staff routes under /admin/customers, and the
links followed without signing in under /customers (consent confirmation, one-click unsubscribe).

One resolver, one OpenAPI document (``GET /customers/openapi.json``). ``/me`` and ``/admin/customers``
requests are authorised before anything reads their body.
"""

from __future__ import annotations

from typing import Any

from customers.handlers.routes import admin, links, me
from shop_kernel.auth import Group
from shop_kernel.http import api_function
from shop_kernel.openapi import bearer_scheme

TITLE = "Customers API"
VERSION = "1.0.0"
UNSUBSCRIBE_PREFIX = "/customers/unsubscribe/"


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


app, handler = api_function(
    [me.router, admin.router, links.router],
    openapi_path="/customers/openapi.json",
    title=TITLE,
    version=VERSION,
    # "/me" covers /me itself (DELETE erases) and /me/...; the gateway sends this function nothing else
    # that starts with it.
    guards={"/me": [Group.CUSTOMERS], "/admin/customers": [Group.AGENTS, Group.OPS]},
    security_schemes=bearer_scheme(),
    prepare=_one_click,
)
