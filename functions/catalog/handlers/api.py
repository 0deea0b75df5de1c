"""Catalog REST API: storefront reads under /catalog, merchandiser administration under /admin/catalog.

One resolver, one Router per resource, one OpenAPI document (``GET /catalog/openapi.json``, Swagger UI
at ``/catalog/docs`` with bundled assets). Admin requests are authorised before anything reads their
body, so an anonymous or customer caller learns nothing from validation errors. No X-Ray tracer here:
creating it dominates the cold start (see shop_kernel.observability); Lambda active tracing covers it.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from catalog.handlers.routes import brands, categories, history, product_types, products, transfers
from shop_kernel.auth import Group, require
from shop_kernel.errors import DomainError
from shop_kernel.http import PROBLEM_JSON, build_resolver
from shop_kernel.observability import logger, metrics

TITLE = "Catalog API"
VERSION = "1.0.0"

app = build_resolver()
for module in (products, categories, product_types, brands, transfers, history):
    app.include_router(module.router)
app.enable_swagger(path="/catalog/docs", title=TITLE, version=VERSION)


@app.get("/catalog/openapi.json", include_in_schema=False)
def openapi_document():
    return Response(
        status_code=200,
        content_type="application/json",
        body=app.get_openapi_json_schema(title=TITLE, version=VERSION),
    )


def _admin_refusal(event: dict[str, Any]) -> dict[str, Any] | None:
    if not str(event.get("path") or "").startswith("/admin/"):
        return None
    try:
        require(event, Group.MERCHANDISERS)
    except DomainError as exc:
        return {
            "statusCode": exc.status,
            "headers": {"Content-Type": PROBLEM_JSON},
            "multiValueHeaders": {"Content-Type": [PROBLEM_JSON]},
            "body": json.dumps(exc.problem(event.get("path"))),
            "isBase64Encoded": False,
        }
    return None


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return _admin_refusal(event) or app.resolve(event, context)
