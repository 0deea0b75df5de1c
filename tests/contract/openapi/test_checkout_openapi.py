"""The checkout API's and the Stripe webhook's OpenAPI documents tell a client everything it needs: what
each operation is for, every header it reads (cart token, Idempotency-Key, If-Match, Stripe-Signature),
every answer with its schema, problems as problem+json; and component names do not clash across the
documents the local gateway merges into one ``/openapi.json``.

That the documented schemas match real answers is proven by the checkout integration tests: their
``cart``, ``checkout`` and ``webhook`` fixtures check every answer against these documents.
"""

from __future__ import annotations

import copy
import json
import typing
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

CHECKOUT = ("checkout.handlers.api", "/checkout/openapi.json")
WEBHOOKS = ("checkout.handlers.webhooks", "/webhooks/stripe/openapi.json")
OPERATIONS = [*operations(served_document(*CHECKOUT)), *operations(served_document(*WEBHOOKS))]
IDS = [f"{method} {path}" for method, path, _ in OPERATIONS]
# Every API function's document, as the local gateway merges them (the other contexts' too).
ALL_DOCUMENTS = {
    "catalog": ("catalog.handlers.api", "/catalog/openapi.json"),
    "search": ("search.handlers.api", "/search/openapi.json"),
    "inventory": ("inventory.handlers.api", "/inventory/openapi.json"),
    "cart": ("cart.handlers.api", "/cart/openapi.json"),
    "checkout": CHECKOUT,
    "stripe-webhooks": WEBHOOKS,
    "pricing": ("pricing.handlers.api", "/admin/promotions/openapi.json"),
}


def _document_of(path: str) -> dict[str, Any]:
    return served_document(*(WEBHOOKS if path.startswith("/webhooks/") else CHECKOUT))


def test_every_checkout_order_and_webhook_route_is_documented() -> None:
    assert sorted((method, path) for method, path, _ in OPERATIONS) == [
        ("GET", "/checkout/orders/{order_id}"),
        ("POST", "/checkout"),
        ("POST", "/me/checkout"),
        ("POST", "/webhooks/stripe"),
    ]


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_each_operation_says_in_words_what_it_does(method: str, path: str, operation: dict[str, Any]) -> None:
    assert_described(method, path, operation)


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_each_operation_documents_its_success_body_with_an_example(
    method: str, path: str, operation: dict[str, Any]
) -> None:
    # GIVEN an operation WHEN its success answer is read THEN it is a named model whose examples fit it
    status, schema = success_schema(operation)
    assert "$ref" in schema, f"{method} {path} {status} answers an anonymous schema"
    assert_examples_fit(_document_of(path), schema["$ref"])
    if path.endswith("checkout"):
        assert status == "201"
        assert "Location" in operation["responses"][status]["headers"]


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_each_refusal_is_problem_json(method: str, path: str, operation: dict[str, Any]) -> None:
    assert_problems(method, path, operation)
    statuses = set(operation["responses"])
    if path.endswith("checkout"):
        assert {"404", "409", "412"} <= statuses
    if "{order_id}" in path:
        assert "404" in statuses


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_every_header_and_parameter_read_is_documented(
    method: str, path: str, operation: dict[str, Any]
) -> None:
    params = parameters(operation)
    guest = path in ("/checkout", "/checkout/orders/{order_id}")
    token = params.get(("header", "x-cart-token"))
    # THEN the cart token is required exactly where a guest is named by it
    assert (
        (token is not None and token["required"] is True and token["schema"]["pattern"])
        if guest
        else token is None
    )
    if path.endswith("checkout"):
        key = params[("header", "idempotency-key")]
        assert key["required"] is True
        assert key["schema"]["type"] == "string"
        assert params[("header", "if-match")]["required"] is False
    if path == "/me/orders":
        limit = params[("query", "limit")]["schema"]
        assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 50, 20)
    if "{order_id}" in path:
        assert params[("path", "order_id")]["schema"]["pattern"].startswith("^ord_")
    if path == "/webhooks/stripe":
        signature = params[("header", "stripe-signature")]
        assert signature["required"] is True
        assert operation["tags"] == ["stripe"]
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": "#/components/schemas/StripeEvent"}


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_customer_operations_ask_for_a_bearer_token(
    method: str, path: str, operation: dict[str, Any]
) -> None:
    if path.startswith(("/me/", "/admin/")):
        assert operation["security"] == [{"cognito": []}]
        assert {"401", "403"} <= set(operation["responses"])
    else:
        assert "security" not in operation


def test_addresses_are_the_kernels_one_address() -> None:
    # GIVEN the checkout document WHEN its Address is read THEN it is the kernel's: postal_code, no postcode
    schemas = served_document(*CHECKOUT)["components"]["schemas"]
    assert "postal_code" in schemas["Address"]["properties"]
    assert "postcode" not in schemas["Address"]["properties"]
    body = schemas["CheckoutBody"]["properties"]["shipping_address"]
    assert {"$ref": "#/components/schemas/Address"} in body["anyOf"]


def test_documented_enums_are_the_domains() -> None:
    # GIVEN the literals the views list WHEN compared with the domain's enums THEN they are the same values
    from cart.handlers.views import RejectionReasonName, TaxDisplayName
    from checkout.handlers.views import CheckoutCancelReason, CheckoutOrderStatus
    from orders.domain.models import CancelReason, OrderStatus
    from pricing.domain import RejectionReason, TaxDisplay

    for literal, enum in (
        (CheckoutOrderStatus, OrderStatus),
        (CheckoutCancelReason, CancelReason),
        (TaxDisplayName, TaxDisplay),
        (RejectionReasonName, RejectionReason),
    ):
        assert set(typing.get_args(literal)) == {member.value for member in enum}  # type: ignore[attr-defined]


def test_component_names_do_not_clash_across_the_merged_documents() -> None:
    # GIVEN every API function's document WHEN their components are put side by side
    owners: dict[str, dict[str, str]] = {}
    for context, source in ALL_DOCUMENTS.items():
        for name, schema in served_document(*source)["components"]["schemas"].items():
            owners.setdefault(name, {})[context] = json.dumps(schema, sort_keys=True)
    # THEN a name used by two documents names the same schema (the kernel's Problem, Money, Address...)
    clashes = {name: sorted(by) for name, by in owners.items() if len(set(by.values())) > 1}
    assert clashes == {}


# --- the checker the integration tests rely on can fail ------------------------------------------------


def test_the_answer_checker_refuses_an_undocumented_webhook_status() -> None:
    # GIVEN the webhook's document WHEN Stripe would get a 404 (not documented for it) THEN the check fails
    document = copy.deepcopy(served_document(*WEBHOOKS))
    reply = Reply(
        404, {"Content-Type": "application/problem+json"}, {"type": "x", "title": "x", "status": 404}
    )
    with pytest.raises(AssertionError, match="does not list"):
        DocumentedAnswers(document).check("POST", "/webhooks/stripe", reply)


def test_the_answer_checker_refuses_an_order_without_its_payment() -> None:
    document = copy.deepcopy(served_document(*CHECKOUT))
    order = dict(document["components"]["schemas"]["CheckoutGuestOrder"]["examples"][0])
    DocumentedAnswers(document).check(
        "GET",
        "/checkout/orders/ord_01JD3Q4Z9K8M2N5P7R9T1V3X5Z",
        Reply(200, {"Content-Type": "application/json", "X-Request-Id": "req-1"}, order),
    )
    del order["payment"]
    with pytest.raises(AssertionError, match="breaks the documented schema"):
        DocumentedAnswers(document).check(
            "GET",
            "/checkout/orders/ord_01JD3Q4Z9K8M2N5P7R9T1V3X5Z",
            Reply(200, {"Content-Type": "application/json", "X-Request-Id": "req-1"}, order),
        )


def test_the_local_gateway_merges_cart_checkout_and_the_stripe_webhook_into_one_document() -> None:
    # GIVEN the local gateway with the cart, checkout and webhook functions as their specs load them
    from infra.local.api import LocalGateway
    from infra.local.functions import LocalFunction
    from infra.resources import function

    names = ("cart-api", "checkout-api", "stripe-webhooks")
    gateway = LocalGateway("local", {name: LocalFunction("local", function(name)) for name in names})
    # WHEN the merged /openapi.json is built
    document = gateway.openapi()
    # THEN the webhook is in it beside cart and checkout, documented as each function serves it
    webhook = document["paths"]["/webhooks/stripe"]["post"]
    assert webhook["tags"] == ["stripe"]
    assert "security" not in webhook
    assert {"/cart", "/me/cart/merge", "/checkout", "/checkout/orders/{order_id}"} <= set(document["paths"])
    assert document["paths"]["/me/checkout"]["post"]["security"] == [{"cognito": []}]
    for name in ("StripeEvent", "CheckoutPlaced", "PricedCartView", "Address", "Problem"):
        assert name in document["components"]["schemas"]


@pytest.mark.parametrize(
    "source", [ALL_DOCUMENTS["cart"], CHECKOUT, WEBHOOKS], ids=["cart", "checkout", "stripe-webhooks"]
)
def test_each_document_is_valid_openapi_3_1(source: tuple[str, str]) -> None:
    # GIVEN a function's served document WHEN it is checked against the OpenAPI 3.1 specification
    from openapi_spec_validator import validate

    document = served_document(*source)
    # THEN a generator or a fuzzer can read it
    assert document["openapi"].startswith("3.1")
    validate(copy.deepcopy(document))
