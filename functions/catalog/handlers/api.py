"""Catalog REST API: storefront reads under /catalog, merchandiser administration under /admin/catalog.

One resolver, one Router per resource, one OpenAPI document (``GET /catalog/openapi.json``, Swagger UI
at ``/catalog/docs`` with bundled assets). Admin requests are authorised before anything reads their
body, so an anonymous or customer caller learns nothing from validation errors (``api_function``).
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer, Tag

from catalog.handlers.routes import brands, categories, history, product_types, products, transfers
from shop_kernel.auth import Group
from shop_kernel.http import api_function

TITLE = "Catalog API"
DESCRIPTION = (
    "Storefront reads of the published catalog (products, category pages, categories, brands, product "
    "types; localised in en or uk) and the merchandisers' administration of it (create, edit with "
    "If-Match, publish, archive, import/export, content history)."
)

app, handler = api_function(
    [m.router for m in (products, categories, product_types, brands, transfers, history)],
    openapi_path="/catalog/openapi.json",
    title=TITLE,
    guards={"/admin/": [Group.MERCHANDISERS]},
    description=DESCRIPTION,
    tags=[
        Tag(name="storefront", description="Public, cacheable reads of the published catalog, localised"),
        Tag(
            name="catalog administration", description="Merchandisers edit, publish and transfer the catalog"
        ),
    ],
    # The same scheme name the gateway gives its Cognito authoriser, so the merged document has one.
    security_schemes={
        "cognito": HTTPBearer(bearerFormat="JWT", description="Cognito ID token (merchandisers)")
    },
)
