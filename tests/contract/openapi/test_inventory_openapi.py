"""The inventory API's OpenAPI document tells a client everything: words, answers, refusals, inputs.

The document is the one the function serves (``GET /inventory/openapi.json``). That the answers match
it is proven by the integration suite (tests/integration/inventory), whose every call is checked.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conformance import DocumentedAnswers
from tests.contract.openapi.search_inventory_documents import (
    API_CONTEXTS,
    KERNEL_COMPONENTS,
    documentation_gaps,
    invalid_examples,
    operations,
    parameter,
    served_document,
)
from tests.support import Reply

COMMON = {"400", "413", "415", "422", "429", "503"}
OPS = COMMON | {"401", "403"}
STOCK_TARGET = {"sku", "location_id"}
# Nested domain models the request bodies reuse; their names are inventory's own in every document.
DOMAIN_COMPONENTS = {"LocationKind", "OpeningInterval", "AdjustmentReason"}
# The location address: another change moves it into the kernel as the one Address of inventory, cart
# and checkout (postal_code vs postcode); until then it is the one name this document shares unequal.
ADDRESS_MOVING_TO_KERNEL = "Address"

EXPECTED: dict[tuple[str, str], tuple[set[str], set[str]]] = {
    ("get", "/inventory/availability/{sku}"): (
        COMMON | {"200", "304", "404"},
        {"sku", "location", "country", "accept-language", "if-none-match"},
    ),
    ("put", "/admin/inventory/locations/{location_id}"): (
        OPS | {"200", "201", "412", "428"},
        {"location_id", "if-match"},
    ),
    ("get", "/admin/inventory/locations/{location_id}"): (OPS | {"200", "404"}, {"location_id"}),
    ("get", "/admin/inventory/locations"): (OPS | {"200"}, set()),
    ("get", "/admin/inventory/stock/{sku}"): (OPS | {"200", "404"}, {"sku"}),
    ("put", "/admin/inventory/stock/{sku}/{location_id}"): (
        OPS | {"200", "201", "404", "409", "412", "428"},
        STOCK_TARGET | {"if-match"},
    ),
    ("post", "/admin/inventory/stock/{sku}/{location_id}/adjustments"): (
        OPS | {"200", "404", "409"},
        STOCK_TARGET,
    ),
    ("post", "/admin/inventory/stock/bulk"): (OPS | {"200"}, set()),
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return served_document("inventory")


def test_every_route_is_documented_and_nothing_else(document):
    # GIVEN the served document / WHEN its operations are listed
    # THEN they are exactly the inventory API's routes
    assert set(operations(document)) == set(EXPECTED)


@pytest.mark.parametrize(("method", "path"), list(EXPECTED), ids=[f"{m} {p}" for m, p in EXPECTED])
def test_each_operation_is_documented_in_words_with_models_and_problems(document, method, path):
    # GIVEN one operation of the served document
    operation = operations(document)[(method, path)]
    # WHEN a client reads it
    gaps = documentation_gaps(document, method, path, operation)
    statuses, parameters = EXPECTED[(method, path)]
    # THEN it has a summary and a description, a named success model with examples, problem+json refusals
    assert gaps == []
    # AND it lists every status the route can answer and every parameter it reads
    assert set(operation["responses"]) == statuses
    assert {p["name"].lower() for p in operation.get("parameters") or []} == parameters


def test_writes_document_their_etag_and_inputs_their_formats(document):
    # GIVEN the operations that create or change a versioned resource
    ops = operations(document)
    for key in (
        ("put", "/admin/inventory/locations/{location_id}"),
        ("put", "/admin/inventory/stock/{sku}/{location_id}"),
    ):
        # THEN both the 201 (created) and the 200 (replaced) answers carry an ETag, and If-Match is a pattern
        assert "ETag" in ops[key]["responses"]["201"]["headers"]
        assert "ETag" in ops[key]["responses"]["200"]["headers"]
        assert parameter(ops[key], "If-Match")["pattern"]
    # AND ids are patterned as the server checks them, the country is ISO 3166-1
    availability = ops[("get", "/inventory/availability/{sku}")]
    assert parameter(availability, "sku")["pattern"]
    assert parameter(availability, "country")["pattern"] == "^[A-Z]{2}$"
    # AND the adjustment reasons are an enum
    reasons = document["components"]["schemas"]["AdjustmentReason"]["enum"]
    assert set(reasons) == {"received", "counted", "damaged", "lost", "returned", "correction"}


def test_every_example_is_valid_against_its_own_model(document):
    # GIVEN the inventory models with examples / WHEN each example is validated against its schema
    # THEN none is refused (a client copying an example gets a valid request or a real answer shape)
    assert invalid_examples(document, "Inventory") == []


def test_component_names_mean_one_thing_across_every_api(document):
    # GIVEN the documents of every API function the gateway merges
    others = {context: served_document(context) for context in API_CONTEXTS if context != "inventory"}
    own = DOMAIN_COMPONENTS | KERNEL_COMPONENTS | {ADDRESS_MOVING_TO_KERNEL}
    # WHEN the inventory components are looked up in them
    for name, schema in document["components"]["schemas"].items():
        # THEN a name is inventory's own or the kernel's, and means the same schema everywhere
        assert name.startswith("Inventory") or name in own, name
        if name == ADDRESS_MOVING_TO_KERNEL:
            continue
        for context, other in others.items():
            if name in other["components"]["schemas"]:
                assert other["components"]["schemas"][name] == schema, (name, context)


def test_the_conformance_check_catches_an_undocumented_answer(document):
    # GIVEN the document / WHEN answers it does not describe are checked
    checker = DocumentedAnswers(document)
    level = {"sku": "S", "location_id": "kyiv-dc", "on_hand": 1, "reserved": 0, "available": 1, "version": 1}
    json_etag = {"Content-Type": "application/json", "ETag": '"1"', "X-Request-Id": "req-1"}
    # THEN an undocumented status, a missing required field and a missing ETag are reported
    assert checker.problems(
        "POST", "/admin/inventory/stock/S/kyiv-dc/adjustments", Reply(201, json_etag, level)
    )
    assert "updated_at" in " ".join(
        checker.problems("PUT", "/admin/inventory/stock/S/kyiv-dc", Reply(200, json_etag, level))
    )
    complete = {**level, "updated_at": None}
    no_etag = Reply(200, {"Content-Type": "application/json"}, complete)
    assert "ETag" in " ".join(checker.problems("PUT", "/admin/inventory/stock/S/kyiv-dc", no_etag))
    # AND a conforming answer is not; the literal route wins over the parameter one (bulk is not a SKU)
    assert checker.problems("PUT", "/admin/inventory/stock/S/kyiv-dc", Reply(200, json_etag, complete)) == []
    assert checker.operation("POST", "/admin/inventory/stock/bulk").template == "/admin/inventory/stock/bulk"
