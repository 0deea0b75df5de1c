"""Browser-ready answers: CORS per stage on every answer and preflight, caching headers, 304s.

The stage's origins arrive in ``CORS_ALLOW_ORIGINS`` as the function construct and the local stack
set it; events are the real-shaped API Gateway sample (``tests/events/apigw_rest_proxy.json``).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from shop_kernel.cors import CORS_ENV, CorsPolicy
from shop_kernel.errors import NotFound
from shop_kernel.http import PUBLIC_CACHE, build_resolver, json_response
from shop_kernel.openapi import finalize, ok

EVENT = json.loads((Path(__file__).parents[2] / "events" / "apigw_rest_proxy.json").read_text())
LOCAL = "http://localhost:*,http://127.0.0.1:*"
STOREFRONT = "http://localhost:5173"

app = build_resolver()


@app.get("/catalog/products/<product_id>")
def public_product(product_id: str):
    if product_id == "missing":
        raise NotFound("no such product")
    body = {"id": product_id, "name": "Парка"}
    return json_response(body, headers={"Cache-Control": PUBLIC_CACHE, "Vary": "Accept-Language"})


@app.get("/cart")
def cart():
    return json_response({"lines": []}, headers={"ETag": '"4"', "X-Cart-Token": "t"})


def request(
    path: str, method: str = "GET", headers: dict[str, str] | None = None, body: str | None = None
) -> dict[str, Any]:
    raw = copy.deepcopy(EVENT)
    raw["requestContext"].pop("authorizer")
    merged = {"Accept": "application/json", "Host": "abcdef1234.execute-api.eu-west-1.amazonaws.com"}
    merged.update(headers or {})
    raw.update(
        path=path,
        httpMethod=method,
        headers=merged,
        multiValueHeaders={k: [v] for k, v in merged.items()},
        body=body,
        queryStringParameters=None,
        multiValueQueryStringParameters=None,
    )
    return raw


def resolve(raw: dict[str, Any]) -> tuple[int, dict[str, str], str]:
    response = app.resolve(raw, None)
    headers = {k.lower(): ", ".join(v) for k, v in response["multiValueHeaders"].items()}
    return response["statusCode"], headers, response["body"]


@pytest.fixture
def local_stage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CORS_ENV, LOCAL)


def test_a_preflight_from_a_local_storefront_is_allowed(local_stage: None) -> None:
    # GIVEN the local stage and a storefront dev server on some port
    preflight = request(
        "/cart",
        "OPTIONS",
        {
            "Origin": STOREFRONT,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-cart-token",
        },
    )
    # WHEN the browser asks
    status, headers, body = resolve(preflight)
    # THEN the origin, the methods and the headers it needs are allowed, for an hour
    assert (status, body) == (204, "")
    assert headers["access-control-allow-origin"] == STOREFRONT
    assert "POST" in headers["access-control-allow-methods"]
    allowed = {h.strip().lower() for h in headers["access-control-allow-headers"].split(",")}
    assert {"content-type", "x-cart-token", "if-match", "idempotency-key", "authorization"} <= allowed
    assert headers["access-control-max-age"] == "3600"
    assert headers["vary"] == "Origin"


def test_a_real_answer_echoes_the_allowed_origin_and_exposes_the_headers(local_stage: None) -> None:
    # GIVEN a request from 127.0.0.1 on another port
    origin = "http://127.0.0.1:3000"
    # WHEN the cart answers
    status, headers, _ = resolve(request("/cart", headers={"Origin": origin}))
    # THEN the script may read it, ETag and X-Cart-Token included
    assert status == 200
    assert headers["access-control-allow-origin"] == origin
    exposed = {h.strip() for h in headers["access-control-expose-headers"].split(",")}
    assert {
        "ETag",
        "X-Cart-Token",
        "Location",
        "X-Request-Id",
        "Retry-After",
        "Idempotent-Replayed",
    } <= exposed
    assert headers["vary"] == "Origin"
    assert headers["cache-control"] == "private, no-store"


def test_errors_carry_cors_too(local_stage: None) -> None:
    # GIVEN a request for a product that does not exist, from the storefront
    status, headers, body = resolve(request("/catalog/products/missing", headers={"Origin": STOREFRONT}))
    # THEN the storefront can read the problem and quote its request id
    assert status == 404
    assert headers["access-control-allow-origin"] == STOREFRONT
    assert json.loads(body)["request_id"] == headers["x-request-id"]


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "http://localhost.evil.example:80",
        "http://localhost",
        "https://localhost:5173",
    ],
)
def test_a_foreign_origin_gets_no_permission(local_stage: None, origin: str) -> None:
    # GIVEN an origin the local stage does not allow (another host, no port, another scheme)
    preflight = request("/cart", "OPTIONS", {"Origin": origin, "Access-Control-Request-Method": "POST"})
    # WHEN it preflights and when it calls
    _, preflight_headers, _ = resolve(preflight)
    _, headers, _ = resolve(request("/cart", headers={"Origin": origin}))
    # THEN neither answer lets its scripts read anything
    assert "access-control-allow-origin" not in preflight_headers
    assert "access-control-allow-origin" not in headers
    assert headers["vary"] == "Origin"


def test_a_cloud_stage_allows_only_its_exact_origins(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN production's single origin
    monkeypatch.setenv(CORS_ENV, "https://shop.example")
    # WHEN the shop and a local dev server call
    _, allowed, _ = resolve(request("/cart", headers={"Origin": "https://shop.example"}))
    _, refused, _ = resolve(request("/cart", headers={"Origin": STOREFRONT}))
    # THEN only the shop is allowed
    assert allowed["access-control-allow-origin"] == "https://shop.example"
    assert "access-control-allow-origin" not in refused


def test_without_a_cors_setting_no_cors_headers_are_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CORS_ENV, raising=False)
    _, headers, _ = resolve(request("/cart", headers={"Origin": STOREFRONT}))
    assert not any(name.startswith("access-control-") for name in headers)
    assert "x-request-id" in headers


def test_a_public_read_gets_an_etag_and_a_304_when_unchanged(local_stage: None) -> None:
    # GIVEN a public catalog read
    status, headers, body = resolve(request("/catalog/products/p1", headers={"Origin": STOREFRONT}))
    assert status == 200
    assert headers["cache-control"] == "public, max-age=30"
    assert headers["vary"] == "Accept-Language, Origin"
    tag = headers["etag"]
    # WHEN the client asks again with that ETag (among others)
    again = request(
        "/catalog/products/p1", headers={"If-None-Match": f'"other", {tag}', "Origin": STOREFRONT}
    )
    status, headers, body = resolve(again)
    # THEN a 304 without body, still cacheable and readable by the storefront
    assert (status, body) == (304, "")
    assert headers["etag"] == tag
    assert headers["cache-control"] == "public, max-age=30"
    assert headers["access-control-allow-origin"] == STOREFRONT
    assert "content-type" not in headers


def test_a_changed_public_read_is_sent_in_full(local_stage: None) -> None:
    # GIVEN an ETag of another representation WHEN the product is read
    status, headers, body = resolve(request("/catalog/products/p2", headers={"If-None-Match": '"stale"'}))
    # THEN the whole answer comes back with its own ETag
    assert status == 200
    assert json.loads(body)["id"] == "p2"
    assert headers["etag"] != '"stale"'


def test_private_answers_are_never_cached_nor_304(local_stage: None) -> None:
    # GIVEN the cart's version ETag WHEN the cart is read with it
    status, headers, _ = resolve(request("/cart", headers={"If-None-Match": '"4"'}))
    # THEN it is sent in full and no cache may keep it
    assert status == 200
    assert headers["cache-control"] == "private, no-store"


def test_the_policy_reads_port_patterns_strictly() -> None:
    policy = CorsPolicy.parse(LOCAL + ", https://shop.example/")
    assert policy.allows("http://localhost:1")
    assert policy.allows("https://shop.example")
    assert not policy.allows("http://localhost:99999")
    assert not policy.allows("http://localhost:80/path")
    assert not policy.allows("http://user@localhost:80")
    assert not policy.allows(None)


def test_the_document_lists_304_request_ids_and_retry_after() -> None:
    from pydantic import BaseModel

    class Product(BaseModel):
        id: str

    local = build_resolver()

    @local.get("/catalog/products/<product_id>", responses=ok(Product, public_cache=True))
    def read(product_id: str):
        return {"id": product_id}

    # GIVEN a public read documented with public_cache WHEN the document is finalised
    document = finalize(json.loads(local.get_openapi_json_schema(title="t", version="1")))
    operation = document["paths"]["/catalog/products/{product_id}"]["get"]
    # THEN it documents the 304 and the If-None-Match it answers, request ids and Retry-After
    assert "304" in operation["responses"]
    assert any(p["name"] == "If-None-Match" and p["in"] == "header" for p in operation["parameters"])
    assert {"Cache-Control", "ETag", "X-Request-Id"} <= set(operation["responses"]["200"]["headers"])
    assert all("X-Request-Id" in response["headers"] for response in operation["responses"].values())
    assert "Retry-After" in operation["responses"]["503"]["headers"]
    assert "Retry-After" in operation["responses"]["429"]["headers"]
