"""Orders REST API: the customer's orders under ``/me/orders`` and staff's under ``/admin/orders``.

One resolver, one OpenAPI document (``GET /orders/openapi.json``). ``/me/...`` is for customers and
``/admin/...`` for agents and ops, refused before anything reads the request (``api_function``); each
route names its group again. Fraud review decisions are the agents' alone (issue 12): their route is guarded
on its own, before the body is read, so ops get a 403 whatever they send. (API Gateway's Cognito authorizer
checks the token, not its groups: the groups are checked here, as on every route.) A guest reads their order through checkout (``GET /checkout/orders/{id}``,
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
    guards={
        "/me/": [Group.CUSTOMERS],
        "/admin/": [Group.AGENTS, Group.OPS],
        "/admin/orders/*/review": [Group.AGENTS],
    },
    security_schemes=bearer_scheme(),
)
