"""Promotions back office REST API (``/admin/promotions``, merchandisers only).

One resolver, one Router per resource, one OpenAPI document (``GET /admin/promotions/openapi.json``,
public like the other APIs' documents). Every other request is authorised before anything reads its body.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from pricing.handlers.routes import codes, promotions
from shop_kernel.auth import Group
from shop_kernel.http import build_resolver, refuse_unauthorised, serve_openapi
from shop_kernel.observability import logger, metrics
from shop_kernel.openapi import bearer_scheme

TITLE = "Promotions back office API"
VERSION = "1.0.0"
OPENAPI_PATH = "/admin/promotions/openapi.json"

app = build_resolver()
app.include_router(promotions.router)
app.include_router(codes.router)
app.configure_openapi(title=TITLE, version=VERSION, security_schemes=bearer_scheme())

serve_openapi(app, OPENAPI_PATH, title=TITLE, version=VERSION)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    guarded = str(event.get("path") or "") != OPENAPI_PATH
    refusal = refuse_unauthorised(event, "/admin/", Group.MERCHANDISERS) if guarded else None
    return refusal or app.resolve(event, context)
