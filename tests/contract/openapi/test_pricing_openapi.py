"""The promotions back office's OpenAPI document: every route, merchandisers only, valid OpenAPI 3.1."""

from __future__ import annotations

import copy

from tests.conformance import served_document

DOCUMENT = served_document("pricing.handlers.api", "/admin/promotions/openapi.json")
OPERATIONS = sorted(
    (method.upper(), path)
    for path, item in DOCUMENT["paths"].items()
    for method in item
    if method in ("get", "put", "post", "patch", "delete")
)


def test_every_back_office_route_is_documented() -> None:
    # GIVEN the served document; THEN it lists every back office operation, and only those
    assert OPERATIONS == [
        ("GET", "/admin/promotions"),
        ("GET", "/admin/promotions/{promotion_id}"),
        ("GET", "/admin/promotions/{promotion_id}/code-batches/{batch_id}"),
        ("GET", "/admin/promotions/{promotion_id}/code-batches/{batch_id}/codes"),
        ("GET", "/admin/promotions/{promotion_id}/codes"),
        ("GET", "/admin/promotions/{promotion_id}/codes/{code}"),
        ("GET", "/admin/promotions/{promotion_id}/report"),
        ("POST", "/admin/promotions"),
        ("POST", "/admin/promotions/{promotion_id}/archive"),
        ("POST", "/admin/promotions/{promotion_id}/code-batches"),
        ("POST", "/admin/promotions/{promotion_id}/codes"),
        ("POST", "/admin/promotions/{promotion_id}/codes/{code}/disable"),
        ("PUT", "/admin/promotions/{promotion_id}"),
    ]


def test_every_operation_documents_the_refusals_of_a_staff_route() -> None:
    # GIVEN each operation; THEN it answers 401/403 (merchandisers only) and the common problems
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            statuses = set(operation["responses"])
            assert {"401", "403", "422", "503"} <= statuses, (method, path)
    assert "412" in DOCUMENT["paths"]["/admin/promotions/{promotion_id}"]["put"]["responses"]
    assert "202" in DOCUMENT["paths"]["/admin/promotions/{promotion_id}/code-batches"]["post"]["responses"]


def test_the_document_is_valid_openapi_3_1() -> None:
    from openapi_spec_validator import validate

    assert DOCUMENT["openapi"].startswith("3.1")
    validate(copy.deepcopy(DOCUMENT))
