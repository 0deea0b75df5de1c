"""Orders REST API: the customer's orders under ``/me/orders`` and staff's under ``/admin/orders``.

One resolver, one OpenAPI document (``GET /orders/openapi.json``). ``/me/...`` is for customers and
``/admin/...`` for agents and ops, refused before anything reads the request (``api_function``); each
route names its group again. A guest reads their order through checkout (``GET /checkout/orders/{id}``,
with the cart's token), which answers the same order with its timeline through ``orders.contract``.
"""

from __future__ import annotations

from orders.handlers.routes import customer, staff
from shop_kernel.auth import Group
from shop_kernel.http import api_function
from shop_kernel.openapi import bearer_scheme

app, handler = api_function(
    [customer.router, staff.router],
    openapi_path="/orders/openapi.json",
    title="Orders API",
    guards={"/me/": [Group.CUSTOMERS], "/admin/": [Group.AGENTS, Group.OPS]},
    security_schemes=bearer_scheme(),
)
