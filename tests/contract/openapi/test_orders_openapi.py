"""The orders API's OpenAPI document tells a client everything: words, answers, refusals, inputs.

The document is the one the function serves (``GET /orders/openapi.json``); the integration suite
(tests/integration/orders) drives every route with real-shaped events and checks each answer against it.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.contract.openapi.search_inventory_documents import (
    API_CONTEXTS,
    documentation_gaps,
    operations,
    served_document,
)

COMMON = {"400", "413", "415", "422", "429", "503"}
SECURED = COMMON | {"401", "403"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return served_document("orders")


def test_every_operation_is_documented_for_a_client_and_a_fuzzer(document: dict[str, Any]) -> None:
    gaps = [
        gap
        for (method, path), operation in operations(document).items()
        for gap in documentation_gaps(document, method, path, operation)
    ]
    assert gaps == []


def test_every_operation_is_secured_and_answers_the_common_refusals(document: dict[str, Any]) -> None:
    for (method, path), operation in operations(document).items():
        statuses = set(operation["responses"])
        assert statuses >= SECURED, f"{method} {path}: {sorted(SECURED - statuses)}"
        assert operation.get("security"), f"{method} {path} is not secured"
        if "{order_id}" in path:
            assert "404" in statuses, f"{method} {path}"
        if path.endswith(("/cancellation", "/review")):
            assert {"202", "409"} <= statuses, f"{method} {path}"


def test_the_customers_and_the_staff_routes_are_all_there(document: dict[str, Any]) -> None:
    assert set(operations(document)) == {
        ("get", "/me/orders"),
        ("get", "/me/orders/{order_id}"),
        ("post", "/me/orders/{order_id}/cancellation"),
        ("get", "/admin/orders"),
        ("get", "/admin/orders/{order_id}"),
        ("post", "/admin/orders/{order_id}/cancellation"),
        ("post", "/admin/orders/{order_id}/review"),
    }


def test_shared_component_names_mean_the_same_in_every_document(document: dict[str, Any]) -> None:
    mine = document["components"]["schemas"]
    for context in API_CONTEXTS:
        theirs = served_document(context)["components"]["schemas"]
        for name in set(mine) & set(theirs) - {"Problem", "FieldError", "ResponseValidationError", "Money"}:
            assert mine[name] == theirs[name], f"{name} differs from {context}'s"
