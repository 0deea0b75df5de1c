"""The cart API's OpenAPI document tells a client everything it needs: what each operation is for, every
header it reads (the cart token above all), every answer with its schema, problems as problem+json.

That the documented schemas match real answers is proven by the cart integration tests: their ``call``
fixture checks every answer against this document (``tests.conformance.DocumentedAnswers``).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.conformance import DocumentedAnswers, served_document
from tests.contract.openapi.cart_checkout_documents import (
    assert_described,
    assert_examples_fit,
    assert_problems,
    operations,
    parameters,
    success_schema,
)
from tests.support import Reply

GUEST_WRITES_AND_READS = "/cart"
MERGE = "/me/cart/merge"


@pytest.fixture
def document() -> dict[str, Any]:
    return copy.deepcopy(served_document(*CART))


CART = ("cart.handlers.api", "/cart/openapi.json")
OPERATIONS = operations(served_document(*CART))
IDS = [f"{method} {path}" for method, path, _ in OPERATIONS]


def test_every_cart_route_is_documented(document: dict[str, Any]) -> None:
    # GIVEN the cart API's document WHEN its operations are counted THEN guest and customer carts are all there
    paths = {(method, path) for method, path, _ in OPERATIONS}
    for base in ("/cart", "/me/cart"):
        for method, suffix in (
            ("GET", ""),
            ("PATCH", ""),
            ("POST", "/lines"),
            ("PUT", "/lines/{sku}"),
            ("DELETE", "/lines/{sku}"),
            ("POST", "/promo-codes"),
            ("DELETE", "/promo-codes/{code}"),
            ("POST", "/gift-certificates"),
            ("DELETE", "/gift-certificates/{code}"),
            ("POST", ""),
        ):
            assert (method, base + suffix) in paths
    assert ("POST", MERGE) in paths
    assert len(paths) == 21


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_each_operation_says_in_words_what_it_does(method: str, path: str, operation: dict[str, Any]) -> None:
    assert_described(method, path, operation)


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_each_operation_documents_its_success_body_with_an_example(
    document: dict[str, Any], method: str, path: str, operation: dict[str, Any]
) -> None:
    # GIVEN an operation WHEN its success answer is read THEN it is a named model whose examples fit it
    status, schema = success_schema(operation)
    assert "$ref" in schema, f"{method} {path} {status} answers an anonymous schema"
    assert_examples_fit(document, schema["$ref"])
    headers = operation["responses"][status].get("headers") or {}
    assert "ETag" in headers, "every cart answer carries the cart's version"


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_each_refusal_is_problem_json(method: str, path: str, operation: dict[str, Any]) -> None:
    assert_problems(method, path, operation)
    statuses = set(operation["responses"])
    if not (method == "POST" and path in ("/cart", "/me/cart")):
        assert "404" in statuses, "a missing cart is a 404"
    if method in ("PATCH", "PUT", "DELETE") or (
        method == "POST" and path.endswith(("lines", "codes", "cates"))
    ):
        assert {"409", "412"} <= statuses, f"{method} {path}: a write can conflict or fail If-Match"


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_the_cart_token_is_a_required_header_wherever_it_is_read(
    method: str, path: str, operation: dict[str, Any]
) -> None:
    # GIVEN an operation on a guest cart (or the merge, which names the guest cart)
    token = parameters(operation).get(("header", "x-cart-token"))
    reads_token = (path.startswith("/cart") and not (method == "POST" and path == "/cart")) or path == MERGE
    # THEN a generated client is made to send X-Cart-Token, with the token's shape; elsewhere it is absent
    if reads_token:
        assert token is not None
        assert token["required"] is True
        assert token["schema"]["type"] == "string"
        assert token["schema"]["pattern"]
    else:
        assert token is None


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_if_match_accept_language_and_path_parameters_are_documented(
    method: str, path: str, operation: dict[str, Any]
) -> None:
    params = parameters(operation)
    writes = method in ("PATCH", "PUT", "DELETE") or (
        method == "POST" and path.endswith(("/lines", "codes", "cates"))
    )
    if writes:
        if_match = params[("header", "if-match")]
        assert if_match["required"] is False
        assert "*" in if_match["description"]
    if method == "GET":
        assert ("header", "accept-language") in params
    for name in ("sku", "code"):
        if "{" + name + "}" in path:
            assert params[("path", name)]["required"] is True
            assert params[("path", name)]["schema"]["pattern"]


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_customer_operations_ask_for_a_bearer_token(
    method: str, path: str, operation: dict[str, Any]
) -> None:
    if path.startswith("/me/"):
        assert operation["security"] == [{"cognito": []}]
        assert {"401", "403"} <= set(operation["responses"])
    else:
        assert "security" not in operation


def test_the_document_defines_the_bearer_scheme_and_no_powertools_leftovers(document: dict[str, Any]) -> None:
    assert document["components"]["securitySchemes"]["cognito"]["scheme"] == "bearer"
    schemas = document["components"]["schemas"]
    assert not {"HTTPValidationError", "ValidationError", "ResponseValidationError"} & set(schemas)
    assert "Address" not in schemas or "postal_code" in schemas["Address"]["properties"]


# --- the checker the integration tests rely on can fail ------------------------------------------------


def _reply(status: int, body: Any, content_type: str = "application/json", **headers: str) -> Reply:
    # Every answer carries the request id (shop_kernel.proxy finishes them all).
    return Reply(status, {"Content-Type": content_type, "X-Request-Id": "req-1", **headers}, body)


def test_the_answer_checker_refuses_an_undocumented_status(document: dict[str, Any]) -> None:
    # GIVEN the document WHEN an answer's status is not listed for its operation THEN the check fails
    with pytest.raises(AssertionError, match="does not list"):
        DocumentedAnswers(document).check("GET", "/cart", _reply(418, {"title": "teapot"}))


def test_the_answer_checker_refuses_a_body_that_breaks_the_schema(document: dict[str, Any]) -> None:
    # GIVEN an answer missing a required field (no version) WHEN checked THEN it fails naming the body
    body = {"id": "cart_1", "currency": "UAH", "lines": []}
    with pytest.raises(AssertionError, match="breaks the documented schema"):
        DocumentedAnswers(document).check("POST", "/cart/lines", _reply(200, body, ETag='"1"'))


def test_the_answer_checker_refuses_an_error_that_is_not_problem_json(document: dict[str, Any]) -> None:
    with pytest.raises(AssertionError, match="the document says"):
        DocumentedAnswers(document).check("GET", "/cart", _reply(404, {"message": "nope"}))


def test_the_answer_checker_wants_the_documented_etag(document: dict[str, Any]) -> None:
    example = document["components"]["schemas"]["CartChoices"]["examples"][0]
    with pytest.raises(AssertionError, match="without the documented headers"):
        DocumentedAnswers(document).check("POST", "/cart/lines", _reply(200, example))
    DocumentedAnswers(document).check("POST", "/cart/lines", _reply(200, example, ETag='"3"'))
