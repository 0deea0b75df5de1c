import json

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from shop_kernel.errors import NotFound
from shop_kernel.http import MAX_BODY_BYTES, build_resolver, parse_if_match
from shop_kernel.money import Money


class CreateThing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    price: Money


app = build_resolver()


@app.post("/things")
def create_thing(thing: CreateThing) -> dict:
    return {"name": thing.name}


@app.get("/things/<thing_id>")
def get_thing(thing_id: str) -> dict:
    if thing_id == "missing":
        raise NotFound("no such thing")
    if thing_id == "throttled":
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "GetItem")
    if thing_id == "bug":
        raise KeyError("boom")
    return {"id": thing_id}


def _event(method, path, body=None, headers=None):
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "requestContext": {"requestId": "r1", "stage": "local", "httpMethod": method, "path": path},
        "body": body,
        "isBase64Encoded": False,
    }


def call(method, path, body=None):
    response = app.resolve(_event(method, path, body), None)
    return response["statusCode"], _header(response, "Content-Type"), json.loads(response["body"])


def _header(response, name):
    values = response.get("multiValueHeaders", {}).get(name) or [response.get("headers", {}).get(name)]
    return values[0]


def test_valid_request_passes():
    status, _, body = call(
        "POST", "/things", json.dumps({"name": "a", "price": {"amount": 1, "currency": "EUR"}})
    )
    assert (status, body) == (200, {"name": "a"})


def test_unknown_field_is_a_422_naming_the_field():
    # GIVEN a client that sends a price total the server computes itself
    payload = {"name": "a", "price": {"amount": 1, "currency": "EUR"}, "total": 5}
    # WHEN it posts THEN the field is named in a problem+json 422
    status, ctype, body = call("POST", "/things", json.dumps(payload))
    assert status == 422
    assert ctype == "application/problem+json"
    assert body["errors"][0]["field"].endswith("total")
    assert body["type"].endswith("/validation-failed")


def test_float_price_and_unknown_currency_are_rejected():
    status, _, body = call(
        "POST", "/things", json.dumps({"name": "a", "price": {"amount": 1.5, "currency": "XXX"}})
    )
    assert status == 422
    fields = {e["field"] for e in body["errors"]}
    assert any(f.endswith("price.amount") for f in fields)
    assert any(f.endswith("price.currency") for f in fields)


def test_malformed_json_is_a_400():
    status, ctype, body = call("POST", "/things", "{not json")
    assert (status, ctype) == (400, "application/problem+json")
    assert "JSON" in body["detail"]


def test_oversized_body_is_a_413():
    status, _, _ = call("POST", "/things", json.dumps({"name": "x" * (MAX_BODY_BYTES + 1)}))
    assert status == 413


def test_domain_errors_and_unknown_routes_map_to_problem_json():
    assert call("GET", "/things/missing")[0] == 404
    assert call("GET", "/nowhere")[0] == 404


def test_dependency_throttling_is_a_503_with_retry_after():
    response = app.resolve(_event("GET", "/things/throttled"), None)
    assert response["statusCode"] == 503
    assert _header(response, "Retry-After") == "1"


def test_a_bug_does_not_leak_internals():
    status, _, body = call("GET", "/things/bug")
    assert status == 500
    assert "boom" not in json.dumps(body)


def test_if_match_parsing():
    assert parse_if_match('"7"') == 7
    assert parse_if_match('W/"7"') == 7
    assert parse_if_match(None) is None
