"""Inventory REST API: public availability under /inventory, ops administration under /admin/inventory.

One resolver, one Router per resource, one OpenAPI document (``GET /inventory/openapi.json``). Admin
requests are authorised (``ops``) before anything reads their body (``api_function``).
"""

from __future__ import annotations

from inventory.handlers.routes import availability, locations, stock
from shop_kernel.auth import Group
from shop_kernel.http import api_function

app, handler = api_function(
    [availability.router, locations.router, stock.router],
    openapi_path="/inventory/openapi.json",
    title="Inventory API",
    guards={"/admin/": [Group.OPS]},
)
