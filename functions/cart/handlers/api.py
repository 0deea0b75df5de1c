"""Cart REST API: guest carts under /cart (X-Cart-Token), the signed-in customer's cart under /me/cart.

One resolver, one OpenAPI document (``GET /cart/openapi.json``). ``/me/...`` requests are authorised
(``customers``) before anything reads their body. No X-Ray tracer here: creating it dominates the cold
start (see shop_kernel.observability); Lambda active tracing covers it.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from cart.handlers.routes import customer, guest
from shop_kernel.auth import Group
from shop_kernel.http import build_resolver, refuse_unauthorised, serve_openapi
from shop_kernel.observability import logger, metrics
from shop_kernel.openapi import bearer_scheme

TITLE = "Cart API"
VERSION = "1.0.0"
CUSTOMER_PREFIX = "/me/"

app = build_resolver()
app.include_router(guest.router)
app.include_router(customer.router)
app.configure_openapi(title=TITLE, version=VERSION, security_schemes=bearer_scheme())

serve_openapi(app, "/cart/openapi.json", title=TITLE, version=VERSION)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return refuse_unauthorised(event, CUSTOMER_PREFIX, Group.CUSTOMERS) or app.resolve(event, context)
