"""Search REST API: public search under /search, merchandiser settings under /admin/search.

One resolver, one Router per audience, one OpenAPI document (``GET /search/openapi.json``). Admin
requests are authorised before anything reads their body (``api_function``). Engine failures that are
real outages answer 503 (``SearchUnavailable``); no engine message ever reaches a client.
"""

from __future__ import annotations

from search.handlers.routes import admin, search
from shop_kernel.auth import Group
from shop_kernel.http import api_function

app, handler = api_function(
    [search.router, admin.router],
    openapi_path="/search/openapi.json",
    title="Search API",
    guards={"/admin/": [Group.MERCHANDISERS]},
)
