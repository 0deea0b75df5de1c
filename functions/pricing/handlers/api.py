"""Promotions back office REST API (``/admin/promotions``, merchandisers only).

One resolver, one Router per resource, one OpenAPI document (``GET /admin/promotions/openapi.json``,
public like the other APIs' documents: ``api_function`` never guards it). Every other request is
authorised before anything reads its body.
"""

from __future__ import annotations

from pricing.handlers.routes import codes, promotions
from shop_kernel.auth import Group
from shop_kernel.http import api_function
from shop_kernel.openapi import bearer_scheme

TITLE = "Promotions back office API"
VERSION = "1.0.0"
OPENAPI_PATH = "/admin/promotions/openapi.json"

app, handler = api_function(
    [promotions.router, codes.router],
    openapi_path=OPENAPI_PATH,
    title=TITLE,
    version=VERSION,
    guards={"/admin/": [Group.MERCHANDISERS]},
    security_schemes=bearer_scheme(),
)
