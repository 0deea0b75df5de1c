"""Checkout REST API: ``POST /checkout`` (guest, ``X-Cart-Token``), ``POST /me/checkout`` (customer),
the buyer's orders (``GET /checkout/orders/{id}`` for guests, ``GET /me/orders[/{id}]``), and any order
for staff (``GET /admin/orders/{id}``, agents and ops).

One resolver, one OpenAPI document (``GET /checkout/openapi.json``). ``/me/...`` is authorised
(``customers``) before anything reads the body. The read routes never import stripe or the
idempotency layer; ``POST`` loads them on first use. No X-Ray tracer (see shop_kernel.observability).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from checkout.handlers.routes import checkout, orders
from checkout.handlers.routes.common import remember_context
from shop_kernel.auth import Group
from shop_kernel.http import build_resolver, refuse_unauthorised, serve_openapi
from shop_kernel.observability import logger, metrics
from shop_kernel.openapi import bearer_scheme

TITLE = "Checkout API"
VERSION = "1.0.0"
CUSTOMER_PREFIX = "/me/"
STAFF_PREFIX = "/admin/"

app = build_resolver()
app.include_router(checkout.router)
app.include_router(orders.router)
app.configure_openapi(title=TITLE, version=VERSION, security_schemes=bearer_scheme())

serve_openapi(app, "/checkout/openapi.json", title=TITLE, version=VERSION)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    remember_context(context)
    return (
        refuse_unauthorised(event, CUSTOMER_PREFIX, Group.CUSTOMERS)
        or refuse_unauthorised(event, STAFF_PREFIX, Group.AGENTS, Group.OPS)
        or app.resolve(event, context)
    )
