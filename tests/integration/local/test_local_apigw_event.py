"""The local gateway builds the same proxy events API Gateway sends, and reads results the same way."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from infra.local.api import match_route
from infra.local.apigw import HttpRequest, MalformedIntegrationResponse, build_proxy_event, to_http_response
from infra.resources import ApiRoute

SAMPLE = json.loads((Path(__file__).parents[2] / "events" / "apigw_rest_proxy.json").read_text())
CLAIMS = SAMPLE["requestContext"]["authorizer"]["claims"]


def _shape(value: Any) -> Any:
    """The key tree of a JSON value, with leaves reduced to their type (None stays None)."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return None if value is None else type(value).__name__


def _sample_request() -> HttpRequest:
    return HttpRequest(
        method="POST",
        path="/admin/catalog/products/prod_01JD5Q8Y3R4T6V8X0Z2B4D6F8H/publish",
        query="locale=uk&tag=new&tag=sale",
        headers=(
            ("Accept", "application/json"),
            ("Authorization", "Bearer eyJraWQiOi..."),
            ("Content-Type", "application/json"),
            ("Host", "abcdef1234.execute-api.eu-west-1.amazonaws.com"),
            ("User-Agent", "curl/8.5.0"),
        ),
        body=b'{"note": "ready for the winter collection"}',
        source_ip="203.0.113.7",
    )


def test_the_event_has_exactly_the_shape_of_an_api_gateway_rest_proxy_event() -> None:
    # GIVEN the request behind the sample event
    request = _sample_request()

    # WHEN the local gateway turns it into an event
    event = build_proxy_event(request, prefix="admin/catalog", stage="dev", claims=CLAIMS)

    # THEN every key API Gateway sends is there, with the same types, and nothing else
    assert _shape(event) == _shape(SAMPLE)


def test_the_event_carries_the_request_as_api_gateway_would() -> None:
    # GIVEN / WHEN
    event = build_proxy_event(_sample_request(), prefix="admin/catalog", stage="dev", claims=CLAIMS)

    # THEN
    for key in (
        "resource",
        "path",
        "httpMethod",
        "pathParameters",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "body",
        "isBase64Encoded",
    ):
        assert event[key] == SAMPLE[key], key
    context = event["requestContext"]
    for key in ("resourcePath", "httpMethod", "path", "stage", "accountId", "protocol"):
        assert context[key] == SAMPLE["requestContext"][key], key
    assert context["identity"]["sourceIp"] == "203.0.113.7"
    assert context["identity"]["userAgent"] == "curl/8.5.0"
    assert context["authorizer"] == {"claims": CLAIMS}
    assert event["multiValueHeaders"]["Accept"] == ["application/json"]
    assert event["headers"]["X-Forwarded-For"] == "203.0.113.7"
    assert event["headers"]["X-Amzn-Trace-Id"].startswith("Root=1-")


def test_a_public_get_has_null_query_body_and_no_authorizer() -> None:
    # GIVEN a bare GET on a public resource
    request = HttpRequest(method="GET", path="/catalog/products/p%C3%A9")

    # WHEN
    event = build_proxy_event(request, prefix="catalog", stage="local")

    # THEN nulls where API Gateway sends nulls, and the proxy parameter decoded
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["body"] is None
    assert event["isBase64Encoded"] is False
    assert "authorizer" not in event["requestContext"]
    assert event["pathParameters"] == {"proxy": "products/pé"}
    assert event["path"] == "/catalog/products/p%C3%A9"
    assert event["resource"] == "/catalog/{proxy+}"


def test_binary_bodies_are_base64_encoded() -> None:
    # GIVEN an image upload
    payload = bytes(range(256))
    request = HttpRequest(
        method="PUT", path="/admin/catalog/media/x", headers=(("Content-Type", "image/png"),), body=payload
    )

    # WHEN
    event = build_proxy_event(request, prefix="admin/catalog", stage="local")

    # THEN
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == payload


def test_results_become_responses_with_merged_headers_and_decoded_bodies() -> None:
    # GIVEN a result with both header maps and a base64 body
    result = {
        "statusCode": 201,
        "headers": {"Content-Type": "application/octet-stream", "Set-Cookie": "ignored=1"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": base64.b64encode(b"\x00\x01").decode(),
        "isBase64Encoded": True,
    }

    # WHEN
    response = to_http_response(result)

    # THEN the multi-value map wins for a name in both, as in API Gateway
    assert response.status == 201
    assert response.body == b"\x00\x01"
    assert ("Set-Cookie", "a=1") in response.headers
    assert ("Set-Cookie", "b=2") in response.headers
    assert ("Set-Cookie", "ignored=1") not in response.headers
    assert ("Content-Type", "application/octet-stream") in response.headers


@pytest.mark.parametrize(
    "result", [None, {"body": "x"}, {"statusCode": "200"}, {"statusCode": 200, "body": {}}]
)
def test_a_malformed_result_is_rejected(result: Any) -> None:
    # GIVEN a result API Gateway would answer with a 502
    # WHEN / THEN
    with pytest.raises(MalformedIntegrationResponse):
        to_http_response(result)


def test_routes_match_by_longest_prefix_and_only_below_the_prefix() -> None:
    # GIVEN two overlapping resources
    routes = (
        ApiRoute(prefix="catalog", function="a", authorized=False),
        ApiRoute(prefix="admin/catalog", function="b", authorized=True),
        ApiRoute(prefix="admin", function="c", authorized=True),
    )

    # WHEN / THEN
    def served_by(path: str) -> str | None:
        route = match_route(path, routes)
        return route.function if route else None

    assert served_by("/catalog/products") == "a"
    assert served_by("/admin/catalog/products") == "b"
    assert served_by("/admin/orders") == "c"
    assert served_by("/catalog") == "a"  # the bare prefix has its own ANY method in the cloud
    assert match_route("/catalog/", routes) is None
    assert match_route("/catalogue/x", routes) is None
