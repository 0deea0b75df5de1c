"""Checkout REST API: ``POST /checkout`` (guest, ``X-Cart-Token``), ``POST /me/checkout`` (customer) and
a guest's order (``GET /checkout/orders/{id}``); customers' and staff's orders are ``orders-api``'s.

One resolver, one OpenAPI document (``GET /checkout/openapi.json``). ``/me/...`` is authorised
(``customers``) and ``/admin/...`` (agents, ops) before anything reads the body (``api_function``). The
read routes never import stripe or the idempotency layer; ``POST`` loads them on first use.
"""

from __future__ import annotations

from checkout.handlers.routes import checkout, orders
from shop_kernel.auth import Group
from shop_kernel.http import api_function
from shop_kernel.openapi import bearer_scheme

app, handler = api_function(
    [checkout.router, orders.router],
    openapi_path="/checkout/openapi.json",
    title="Checkout API",
    guards={"/me/": [Group.CUSTOMERS], "/admin/": [Group.AGENTS, Group.OPS]},
    security_schemes=bearer_scheme(),
)
