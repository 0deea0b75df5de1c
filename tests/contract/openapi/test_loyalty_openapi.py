"""The loyalty API's OpenAPI document tells a client everything: words, answers, refusals, inputs.

The document is the one the function serves (``GET /loyalty/openapi.json``); the integration suite
(tests/integration/loyalty) drives every route with real-shaped events.
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
    return served_document("loyalty")


def test_every_operation_is_documented_for_a_client_and_a_fuzzer(document: dict[str, Any]) -> None:
    gaps = [
        gap
        for (method, path), operation in operations(document).items()
        for gap in documentation_gaps(document, method, path, operation)
    ]
    assert gaps == []


PUBLIC = {("post", "/loyalty/gift-certificates/balance")}


def test_every_operation_is_secured_and_answers_the_common_refusals(document: dict[str, Any]) -> None:
    for (method, path), operation in operations(document).items():
        if (method, path) in PUBLIC:
            assert not operation.get("security"), f"{method} {path} is public"
            assert {"200", "404", "422", "429"} <= set(operation["responses"])
            continue
        statuses = set(operation["responses"])
        assert statuses >= SECURED, f"{method} {path}: {sorted(SECURED - statuses)}"
        assert operation.get("security"), f"{method} {path} is not secured"


def test_the_member_read_and_the_staff_routes_are_all_there(document: dict[str, Any]) -> None:
    assert set(operations(document)) == {
        ("get", "/me/loyalty"),
        ("get", "/me/loyalty/ledger"),
        ("get", "/me/coupons"),
        ("post", "/me/loyalty/claims"),
        ("get", "/admin/loyalty/members/{member_id}"),
        ("get", "/admin/loyalty/members/{member_id}/ledger"),
        ("post", "/admin/loyalty/members/{member_id}/adjustments"),
        ("get", "/admin/loyalty/adjustments"),
        ("post", "/admin/loyalty/adjustments/{adjustment_id}/approve"),
        ("post", "/admin/loyalty/adjustments/{adjustment_id}/reject"),
        ("get", "/admin/loyalty/rules"),
        ("put", "/admin/loyalty/rules"),
        ("get", "/admin/loyalty/campaigns"),
        ("put", "/admin/loyalty/campaigns/{campaign_id}"),
        ("delete", "/admin/loyalty/campaigns/{campaign_id}"),
        ("post", "/admin/loyalty/gift-certificates"),
        ("get", "/admin/loyalty/gift-certificates"),
        ("get", "/admin/loyalty/gift-certificates/{certificate_id}"),
        ("post", "/admin/loyalty/gift-certificates/{certificate_id}/void"),
        ("post", "/admin/loyalty/gift-certificate-batches"),
        ("get", "/admin/loyalty/gift-certificate-batches/{certificate_batch_id}"),
        ("get", "/admin/loyalty/gift-certificate-batches/{certificate_batch_id}/codes"),
        ("post", "/loyalty/gift-certificates/balance"),
    }


def test_shared_component_names_mean_the_same_in_every_document(document: dict[str, Any]) -> None:
    mine = document["components"]["schemas"]
    for context in API_CONTEXTS:
        theirs = served_document(context)["components"]["schemas"]
        for name in set(mine) & set(theirs) - {"Problem", "FieldError", "ResponseValidationError", "Money"}:
            assert mine[name] == theirs[name], f"{name} differs from {context}'s"
