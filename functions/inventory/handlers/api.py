"""Inventory REST API: public availability under /inventory, ops administration under /admin/inventory.

One resolver, one Router per resource, one OpenAPI document (``GET /inventory/openapi.json``). Admin
requests are authorised (``ops``) before anything reads their body. No X-Ray tracer here: creating it
dominates the cold start (see shop_kernel.observability); Lambda active tracing covers it.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from inventory.handlers.routes import availability, locations, stock
from shop_kernel.auth import Group
from shop_kernel.http import build_resolver, refuse_unauthorised, serve_openapi
from shop_kernel.observability import logger, metrics

TITLE = "Inventory API"
VERSION = "1.0.0"
ADMIN_PREFIX = "/admin/"

app = build_resolver()
for module in (availability, locations, stock):
    app.include_router(module.router)

serve_openapi(app, "/inventory/openapi.json", title=TITLE, version=VERSION)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return refuse_unauthorised(event, ADMIN_PREFIX, Group.OPS) or app.resolve(event, context)
