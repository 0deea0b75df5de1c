"""Search REST API: public search under /search, merchandiser settings under /admin/search.

One resolver, one Router per audience, one OpenAPI document (``GET /search/openapi.json``). Admin
requests are authorised before anything reads their body. Engine failures that are real outages answer
503 (``SearchUnavailable``); no engine message ever reaches a client. No X-Ray tracer here: creating it
dominates the cold start (see shop_kernel.observability); Lambda active tracing covers it.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from search.handlers.routes import admin, search
from shop_kernel.auth import Group
from shop_kernel.http import build_resolver, refuse_unauthorised, serve_openapi
from shop_kernel.observability import logger, metrics

TITLE = "Search API"
VERSION = "1.0.0"
ADMIN_PREFIX = "/admin/"

app = build_resolver()
app.include_router(search.router)
app.include_router(admin.router)

serve_openapi(app, "/search/openapi.json", title=TITLE, version=VERSION)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return refuse_unauthorised(event, ADMIN_PREFIX, Group.MERCHANDISERS) or app.resolve(event, context)
