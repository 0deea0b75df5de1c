"""The customers API's OpenAPI document tells a client everything: words, answers, refusals, who may call.

The document is the one the function serves (``GET /customers/openapi.json``). That the answers match it is
proven by the integration suite (tests/integration/customers), whose every call is checked.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.contract.openapi.search_inventory_documents import (
    API_CONTEXTS,
    KERNEL_COMPONENTS,
    documentation_gaps,
    invalid_examples,
    operations,
    served_document,
)

COMMON = {"400", "413", "415", "422", "429", "503"}
SECURED = COMMON | {"401", "403"}
EXPECTED: dict[tuple[str, str], set[str]] = {
    ("get", "/me/profile"): SECURED | {"200", "404", "409"},
    ("put", "/me/profile"): SECURED | {"200", "201", "409", "412", "428"},
    ("get", "/me/consents"): SECURED | {"200", "409"},
    ("put", "/me/consents/{channel}"): SECURED | {"200", "409"},
    ("get", "/me/export"): SECURED | {"200", "409"},
    ("delete", "/me"): SECURED | {"200"},
    ("get", "/admin/customers/{customer_id}"): SECURED | {"200", "404", "409"},
    ("post", "/admin/customers/{customer_id}/notes"): SECURED | {"201", "409"},
    ("put", "/admin/customers/{customer_id}/group"): SECURED | {"200", "409", "412"},
    ("put", "/admin/customers/{customer_id}/consents/{channel}"): SECURED | {"200", "409"},
    ("get", "/admin/customers/{customer_id}/export"): SECURED | {"200", "404", "409"},
    ("delete", "/admin/customers/{customer_id}"): SECURED | {"200"},
    ("post", "/customers/consents/confirm"): COMMON | {"200", "409"},
    ("post", "/customers/unsubscribe/{token}"): COMMON | {"200"},
}
# Shared with other documents under the same name and schema: the kernel's.
SHARED = KERNEL_COMPONENTS | {"Address", "Money"}
OWN_PREFIXES = ("Customer", "Consent", "Marketing")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return served_document("customers")


def test_every_route_is_documented_and_nothing_else(document: dict[str, Any]) -> None:
    assert set(operations(document)) == set(EXPECTED)


@pytest.mark.parametrize(("method", "path"), list(EXPECTED), ids=[f"{m} {p}" for m, p in EXPECTED])
def test_each_operation_is_documented_with_its_answers_and_who_may_call(
    document: dict[str, Any], method: str, path: str
) -> None:
    # GIVEN one operation of the served document
    operation = operations(document)[(method, path)]
    # WHEN a client reads it
    gaps = documentation_gaps(document, method, path, operation)
    # THEN it says what it does, names its models with examples, and lists every status it answers
    assert gaps == []
    assert set(operation["responses"]) == EXPECTED[(method, path)]
    # AND it needs a bearer token unless it is a link followed from a message
    assert bool(operation.get("security")) is (not path.startswith("/customers/"))


def test_every_example_is_valid_against_its_own_model(document: dict[str, Any]) -> None:
    assert invalid_examples(document, "Customer") == []


def test_component_names_are_the_contexts_own_or_mean_the_same_everywhere(document: dict[str, Any]) -> None:
    # GIVEN the documents of every other API function the gateway merges
    others = {context: served_document(context) for context in API_CONTEXTS}
    # WHEN the customers components are looked up in them
    for name, schema in document["components"]["schemas"].items():
        # THEN a name is the context's own, or shared with the same schema
        assert name.startswith(OWN_PREFIXES) or name in SHARED, name
        for context, other in others.items():
            if name in other["components"]["schemas"]:
                assert name in SHARED, (name, context)
                assert other["components"]["schemas"][name] == schema, (name, context)
