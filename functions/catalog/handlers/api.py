"""Catalog REST API: storefront reads under /catalog, merchandiser administration under /admin/catalog.

One resolver, one Router per resource, one OpenAPI document (``GET /catalog/openapi.json``, Swagger UI
at ``/catalog/docs`` with bundled assets). Admin requests are authorised before anything reads their
body, so an anonymous or customer caller learns nothing from validation errors. No X-Ray tracer here:
creating it dominates the cold start (see shop_kernel.observability); Lambda active tracing covers it.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer, Tag
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from catalog.handlers.routes import brands, categories, history, product_types, products, transfers
from shop_kernel.auth import Group
from shop_kernel.http import build_resolver, refuse_unauthorised, serve_openapi
from shop_kernel.observability import logger, metrics

TITLE = "Catalog API"
VERSION = "1.0.0"
DESCRIPTION = (
    "Storefront reads of the published catalog (products, category pages, categories, brands, product "
    "types; localised in en or uk) and the merchandisers' administration of it (create, edit with "
    "If-Match, publish, archive, import/export, content history)."
)
ADMIN_PREFIX = "/admin/"

app = build_resolver()
for module in (products, categories, product_types, brands, transfers, history):
    app.include_router(module.router)

# The same scheme name the gateway gives its Cognito authoriser, so the merged document has one.
app.configure_openapi(
    title=TITLE,
    version=VERSION,
    description=DESCRIPTION,
    tags=[
        Tag(name="storefront", description="Public, cacheable reads of the published catalog, localised"),
        Tag(
            name="catalog administration", description="Merchandisers edit, publish and transfer the catalog"
        ),
    ],
    security_schemes={
        "cognito": HTTPBearer(bearerFormat="JWT", description="Cognito ID token (merchandisers)")
    },
)
serve_openapi(app, "/catalog/openapi.json", title=TITLE, version=VERSION)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return refuse_unauthorised(event, ADMIN_PREFIX, Group.MERCHANDISERS) or app.resolve(event, context)
