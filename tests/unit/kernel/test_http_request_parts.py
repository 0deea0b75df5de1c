"""What the resolver reads of a request line: percent-encoded path parameters, unknown query parameters.

API Gateway REST hands the function the path as the client encoded it (``/codes/SPRING%2010``); the
parameter a route receives must be the decoded text, as ``pathParameters`` carries it, or a documented
pattern that allows a space refuses it. Query parameters are closed, as the OpenAPI document's list
of them is read by clients and fuzzers, and as request bodies refuse unknown fields: one a route does
not declare is a 422 naming it, on every operation.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from shop_kernel.http import build_resolver

app = build_resolver()


@app.get("/codes/<code>")
def read_code(code: Annotated[str, Path(pattern=r"^[A-Za-z0-9 _-]+$")]) -> dict[str, str]:
    return {"code": code}


@app.get("/things")
def list_things(
    limit: Annotated[int, Query(ge=1)] = 10, sort_by: Annotated[str, Query(alias="sort-by")] = "id"
):
    return {"limit": limit, "sort": sort_by}


@app.get("/hidden", include_in_schema=False)
def hidden() -> dict[str, str]:
    return {"ok": "yes"}


def _get(path: str, query: dict[str, list[str]] | None = None) -> tuple[int, Any]:
    event = {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": "GET",
        "headers": {},
        "multiValueHeaders": {},
        "queryStringParameters": {k: v[-1] for k, v in (query or {}).items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "requestContext": {"requestId": "r1", "stage": "local", "httpMethod": "GET", "path": path},
        "body": None,
        "isBase64Encoded": False,
    }
    answer = app.resolve(event, None)
    return answer["statusCode"], json.loads(answer["body"])


def test_a_percent_encoded_path_parameter_reaches_the_route_decoded() -> None:
    # GIVEN a code with a space, sent percent-encoded as every HTTP client sends it
    # WHEN it is read THEN the route gets the text the client meant, which the documented pattern allows
    assert _get("/codes/SPRING%2010") == (200, {"code": "SPRING 10"})


def test_a_path_parameter_that_decodes_to_forbidden_text_is_a_422_on_the_parameter() -> None:
    # GIVEN an encoded character the pattern does not allow WHEN it is read THEN 422 naming path.code
    status, problem = _get("/codes/SPRING%2B10")
    assert status == 422
    assert [e["field"] for e in problem["errors"]] == ["path.code"]


def test_an_unknown_query_parameter_is_a_422_naming_it() -> None:
    # GIVEN a typo in a parameter name WHEN the list is read THEN 422 naming it, and nothing else
    status, problem = _get("/things", {"limt": ["5"], "limit": ["3"]})
    assert status == 422
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [("query.limt", "unknown_parameter")]


def test_declared_query_parameters_pass_by_their_alias() -> None:
    assert _get("/things", {"limit": ["3"], "sort-by": ["name"]}) == (200, {"limit": 3, "sort": "name"})


def test_routes_outside_the_document_are_not_checked() -> None:
    # Swagger UI and the document itself read their own parameters (?format=json) and are not API operations.
    assert _get("/hidden", {"format": ["json"]}) == (200, {"ok": "yes"})
