"""No 5xx from bad input: every unreadable request is a 4xx problem+json naming the request.

Driven with the real-shaped API Gateway REST proxy event in ``tests/events/apigw_rest_proxy.json``
against a resolver built the way every context builds its own (``shop_kernel.http.build_resolver``).
"""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Annotated, Any

import pytest
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, ConfigDict, Field

from shop_kernel.auth import Group
from shop_kernel.errors import DependencyUnavailable, TooManyRequests
from shop_kernel.http import build_resolver, refuse_unauthorised

EVENT = json.loads((Path(__file__).parents[2] / "events" / "apigw_rest_proxy.json").read_text())
REQUEST_ID = EVENT["requestContext"]["requestId"]


class Note(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str
    copies: int = Field(default=1, ge=1, le=1000)


class Count(BaseModel):
    model_config = ConfigDict(extra="forbid")
    on_hand: int = Field(ge=0, strict=True)
    label: str = ""


app = build_resolver()


@app.post("/admin/catalog/products/<product_id>/counts")
def count(product_id: str, body: Count) -> dict[str, Any]:
    return {"on_hand": body.on_hand, "type": type(body.on_hand).__name__, "label": body.label}


@app.post("/admin/catalog/products/<product_id>/notes")
def add_note(product_id: str, body: Note) -> dict[str, Any]:
    return {"product_id": product_id, "note": body.note}


@app.get("/admin/catalog/products/<product_id>/notes")
def list_notes(
    product_id: str,
    tag: Annotated[list[str] | None, Query()] = None,
    locale: Annotated[str | None, Query()] = None,
) -> dict[str, Any]:
    return {"product_id": product_id, "tags": tag or [], "locale": locale}


@app.get("/admin/catalog/busy")
def busy() -> dict[str, Any]:
    raise TooManyRequests("an import is running: try again shortly")


@app.get("/admin/catalog/down")
def down() -> dict[str, Any]:
    raise DependencyUnavailable("the table is throttled")


@app.get("/admin/catalog/bug")
def bug() -> dict[str, Any]:
    raise KeyError("internal detail")


def event(
    method: str = "POST",
    path: str = "/admin/catalog/products/prod_1/notes",
    body: str | None = '{"note": "winter"}',
    headers: dict[str, str] | None = None,
    base64_encoded: bool = False,
) -> dict[str, Any]:
    raw = copy.deepcopy(EVENT)
    # The sample's query (locale, tag) is the notes list's; query parameters are closed, so it is left out
    # here and sent where it belongs (``test_the_sample_event_is_served``).
    raw.update(queryStringParameters=None, multiValueQueryStringParameters=None)
    merged = {**raw["headers"], **(headers or {})}
    raw.update(
        path=path,
        httpMethod=method,
        headers=merged,
        multiValueHeaders={k: [v] for k, v in merged.items()},
        body=body,
        isBase64Encoded=base64_encoded,
    )
    raw["requestContext"].update(httpMethod=method, path=f"/dev{path}")
    return raw


def answer(raw: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any] | None]:
    response = app.resolve(raw, None)
    headers = {k: ", ".join(v) for k, v in response["multiValueHeaders"].items()}
    body = json.loads(response["body"]) if response["body"] else None
    return response["statusCode"], headers, body


def assert_problem(status: int, headers: dict[str, str], body: Any, expected: int) -> None:
    assert status == expected, body
    assert headers["Content-Type"] == "application/problem+json"
    assert body["status"] == expected
    assert body["request_id"] == REQUEST_ID
    assert headers["X-Request-Id"] == REQUEST_ID


def test_the_sample_event_is_served() -> None:
    # GIVEN the sample event as API Gateway sends it WHEN it is resolved
    status, headers, body = answer(event())
    # THEN the route answers, and the answer names the request
    assert (status, body) == (200, {"product_id": "prod_1", "note": "winter"})
    assert headers["X-Request-Id"] == REQUEST_ID
    assert headers["Cache-Control"] == "private, no-store"
    # AND its query, as sent, reaches the list that declares it
    listing = event("GET", body=None)
    listing.update({key: EVENT[key] for key in ("queryStringParameters", "multiValueQueryStringParameters")})
    status, _, listed = answer(listing)
    assert (status, listed["tags"], listed["locale"]) == (200, ["new", "sale"], "uk")


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/xml", "text/csv", "application/merge-patch+json"]
)
def test_a_body_in_a_media_type_the_route_does_not_take_is_a_415(content_type: str) -> None:
    # GIVEN a JSON route and a body sent as another media type (Powertools refuses to parse it)
    raw = event(headers={"Content-Type": content_type})
    # WHEN it is resolved THEN it is a 415 problem, not the catch-all's 500
    assert_problem(*answer(raw), 415)


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
)
def test_a_form_is_a_415(content_type: str) -> None:
    # GIVEN a form post (Powertools would parse it into lists no model takes)
    status, headers, body = answer(event(body="note=winter", headers={"Content-Type": content_type}))
    # THEN 415 says what to send instead
    assert_problem(status, headers, body, 415)
    assert "application/json" in body["detail"]


@pytest.mark.parametrize(
    ("body", "base64_encoded"),
    [
        ("{not json", False),
        ('{"note": "winter"', False),
        ("[" * 100_000 + "]" * 100_000, False),  # nesting deeper than the parser's recursion limit
        ('{"note": "x", "copies": ' + "9" * 5000 + "}", False),  # more digits than int() converts
        ("not//base64!!", True),
        (base64.b64encode(b'{"note": "caf\xe9"}').decode(), True),  # Latin-1, not UTF-8
        ('{"note": "\ud800"}', False),  # a lone surrogate: no UTF-8 client could send it
    ],
    ids=["broken", "truncated", "deep", "huge-integer", "bad-base64", "latin-1", "lone-surrogate"],
)
def test_an_unreadable_body_is_a_400(body: str, base64_encoded: bool) -> None:
    # GIVEN a body nothing could read WHEN it is posted
    status, headers, problem = answer(event(body=body, base64_encoded=base64_encoded))
    # THEN it is a 400 problem naming the request
    assert_problem(status, headers, problem, 400)
    assert problem["type"].endswith("/malformed-request")


def test_a_base64_body_that_is_valid_json_is_served() -> None:
    # GIVEN a JSON body API Gateway passed base64-encoded (binary media type)
    encoded = base64.b64encode('{"note": "зимова колекція"}'.encode()).decode()
    # WHEN it is resolved THEN the route reads it
    status, _, body = answer(event(body=encoded, base64_encoded=True))
    assert (status, body["note"]) == (200, "зимова колекція")


@pytest.mark.parametrize(
    ("body", "expected"),
    [(None, 422), ("", 422), ("[1, 2]", 422), ('"note"', 422), ("null", 422), ("1e400", 422)],
    ids=["no-body", "empty", "array", "string", "null", "huge-float"],
)
def test_a_missing_or_non_object_body_is_a_4xx(body: str | None, expected: int) -> None:
    # GIVEN a route that requires an object body and a request without one
    status, headers, problem = answer(event(body=body))
    # THEN it is refused as a client error
    assert_problem(status, headers, problem, expected)


def test_huge_numbers_inside_the_model_are_a_422() -> None:
    # GIVEN a number far beyond what the field allows (and beyond DynamoDB's 38 digits)
    payload = {"note": "x", "copies": 10**40}
    # WHEN it is posted THEN the field is named
    status, headers, problem = answer(event(body=json.dumps(payload)))
    assert_problem(status, headers, problem, 422)
    assert any(error["field"].endswith("copies") for error in problem["errors"])


def test_repeated_query_parameters_and_non_ascii_headers_are_served() -> None:
    # GIVEN repeated query parameters and header values outside ASCII
    raw = event("GET", body=None, headers={"Accept-Language": "uk-UA,uk;q=0.9", "X-Note": "зима ☃"})
    raw["multiValueQueryStringParameters"] = {"tag": ["new", "sale", "new"]}
    raw["queryStringParameters"] = {"tag": "new"}
    # WHEN it is resolved THEN the route gets every value
    status, _, body = answer(raw)
    assert (status, body["tags"]) == (200, ["new", "sale", "new"])


@pytest.mark.parametrize("value", ["²", "٣", '"' + "9" * 40 + '"', "зима", '"3", "4"', '"-1"'])
def test_a_malformed_if_match_is_a_400_not_a_500(value: str) -> None:
    from shop_kernel.errors import MalformedRequest
    from shop_kernel.http import parse_if_match

    # GIVEN If-Match values str.isdigit() accepts but int() refuses, or far too long
    # WHEN parsed THEN each is a 400
    with pytest.raises(MalformedRequest):
        parse_if_match(value)


def test_rate_limited_and_unavailable_answers_say_when_to_retry() -> None:
    # GIVEN a route over a rate limit and one whose dependency is down
    for path, expected in (("/admin/catalog/busy", 429), ("/admin/catalog/down", 503)):
        # WHEN called
        status, headers, problem = answer(event("GET", path, body=None))
        # THEN the problem says when to retry
        assert_problem(status, headers, problem, expected)
        assert headers["Retry-After"] == "1"


def test_a_bug_is_a_500_naming_the_request_but_nothing_internal() -> None:
    status, headers, problem = answer(event("GET", "/admin/catalog/bug", body=None))
    assert_problem(status, headers, problem, 500)
    assert "internal detail" not in json.dumps(problem)


def test_an_unauthorised_caller_is_refused_with_the_request_id() -> None:
    # GIVEN an anonymous request to an admin path
    raw = event()
    raw["requestContext"].pop("authorizer")
    # WHEN the guard that runs before the resolver refuses it
    response = refuse_unauthorised(raw, "/admin/", Group.MERCHANDISERS)
    # THEN the 401 is finished like every other answer
    assert response is not None
    assert response["statusCode"] == 401
    assert response["multiValueHeaders"]["X-Request-Id"] == [REQUEST_ID]
    assert json.loads(response["body"])["request_id"] == REQUEST_ID


def test_if_match_star_means_any_current_version() -> None:
    from shop_kernel.errors import PreconditionFailed
    from shop_kernel.http import parse_if_match, version_to_match

    # GIVEN a route whose writes without If-Match are unconditional: * is the same as no header
    assert parse_if_match("*") is None
    assert parse_if_match(' W/"12" ') == 12
    # GIVEN a route where If-Match is required or absent means create: * is the current version
    assert version_to_match("*", lambda: 4) == 4
    assert version_to_match('"3"', lambda: 4) == 3  # a named version is kept, read or not
    assert version_to_match(None, lambda: 4) is None
    # AND * on something that does not exist is a 412
    with pytest.raises(PreconditionFailed):
        version_to_match("*", lambda: None)


@pytest.mark.parametrize("method", ["TRACE", "PUT", "DELETE", "PATCH"])
def test_an_undeclared_method_on_a_known_path_is_a_405_with_allow(method: str) -> None:
    # GIVEN a path served with GET and POST only, called with another method (API Gateway's ANY passes it)
    status, headers, problem = answer(event(method, body=None))
    # THEN 405 names the methods it has, in the header and in the problem
    assert_problem(status, headers, problem, 405)
    assert headers["Allow"] == "GET, POST"
    assert problem["allowed"] == ["GET", "POST"]


def test_an_unknown_path_stays_a_404() -> None:
    status, headers, problem = answer(event("TRACE", "/admin/catalog/nowhere", body=None))
    assert_problem(status, headers, problem, 404)


@pytest.mark.parametrize(("number", "expected"), [("3.0", 3), ("1e2", 100), ("0.0", 0), ("7", 7)])
def test_a_whole_number_written_with_a_fraction_or_exponent_is_an_integer(number: str, expected: int) -> None:
    # GIVEN a strictly integer field and a client that writes a whole number as JSON allows (JSON Schema: integer)
    raw = event(path="/admin/catalog/products/prod_1/counts", body=f'{{"on_hand": {number}, "label": "1.0"}}')
    # WHEN it is resolved
    status, _, body = answer(raw)
    # THEN it is read as that integer, and a string that looks like a number is left as it is
    assert (status, body) == (200, {"on_hand": expected, "type": "int", "label": "1.0"})


@pytest.mark.parametrize("number", ["3.5", "1e-2", '"3"', "true"])
def test_a_number_with_a_fraction_or_a_non_number_is_still_refused(number: str) -> None:
    # GIVEN a strictly integer field WHEN anything but a whole number is sent THEN it is a 422 naming the field
    status, headers, body = answer(
        event(path="/admin/catalog/products/prod_1/counts", body=f'{{"on_hand": {number}}}')
    )
    assert_problem(status, headers, body, 422)
    assert [e["field"] for e in body["errors"]] == ["body.on_hand"]
