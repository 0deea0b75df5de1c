"""Search REST API: public search under /search, merchandiser settings under /admin/search.

One resolver, one Router per audience, one OpenAPI document (``GET /search/openapi.json``). Admin
requests are authorised before anything reads their body. Engine failures that are real outages answer
503 (``SearchUnavailable``); no engine message ever reaches a client. No X-Ray tracer here: creating it
dominates the cold start (see shop_kernel.observability); Lambda active tracing covers it.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from search.handlers.routes import admin, search
from shop_kernel.auth import Group, require
from shop_kernel.errors import DomainError
from shop_kernel.http import PROBLEM_JSON, build_resolver
from shop_kernel.observability import logger, metrics

TITLE = "Search API"
VERSION = "1.0.0"

app = build_resolver()
app.include_router(search.router)
app.include_router(admin.router)


@app.get("/search/openapi.json", include_in_schema=False)
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
