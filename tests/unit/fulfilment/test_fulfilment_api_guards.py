"""fulfilment-api's guards: the warehouse's packed and the stores' collected routes are ops' alone, refused
before the body is read; review decisions moved to orders-api (``POST /admin/orders/{id}/review``), the old
path is no route here; the document is read without a token. Nothing
here reaches AWS: a refusal, a validation error and the document are answered before any adapter is built."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fulfilment.handlers.api import handler

from tests.conftest import build_api_event

SHIPMENT = "shp_01JD3Q4Z9K8M2N5P7R9T1V3X5Z"
ORDER = "ord_01JD3Q4Z9K8M2N5P7R9T1V3X5Z"
PACKED = f"/admin/fulfilment/shipments/{SHIPMENT}/packed"
REVIEW = f"/admin/fulfilment/orders/{ORDER}/review"
COLLECTED = f"/admin/fulfilment/shipments/{SHIPMENT}/collected"


def _call(lambda_context: Any, path: str, body: Any, groups: str | None) -> tuple[int, dict[str, Any]]:
    event = build_api_event("POST" if body is not None else "GET", path, body, groups=groups)
    answer = handler(event, lambda_context)
    return answer["statusCode"], json.loads(answer["body"])


@pytest.mark.parametrize(
    ("path", "groups", "status"),
    [
        (PACKED, None, 401),
        (PACKED, "agents", 403),
        (PACKED, "ops", 422),
        (COLLECTED, None, 401),
        (COLLECTED, "agents", 403),
        (REVIEW, None, 401),
        (REVIEW, "agents", 403),
    ],
)
def test_a_caller_outside_the_routes_groups_learns_nothing_from_the_body(
    lambda_context: Any, path: str, groups: str | None, status: int
) -> None:
    # GIVEN a body both routes would refuse field by field
    bad_body = {"lines": "all of them", "decision": "maybe", "price": 1}
    # WHEN it is sent by a caller of the given group
    answered, problem = _call(lambda_context, path, bad_body, groups)
    # THEN only a caller the route admits gets to the body's validation (422 naming fields)
    assert answered == status
    assert ("errors" in problem) == (status == 422)


def test_the_old_review_path_is_no_route_any_more(lambda_context: Any) -> None:
    # WHEN ops post a decision to the path agents used before the orders context took it
    answered, _ = _call(lambda_context, REVIEW, {"decision": "approve"}, "ops")
    # THEN there is no such route: decisions are orders-api's
    assert answered == 404


def test_the_document_is_read_without_a_token(lambda_context: Any) -> None:
    # WHEN the gateway asks for the document under the guarded /admin/ prefix without a token
    answered, document = _call(lambda_context, "/admin/fulfilment/openapi.json", None, None)
    # THEN it is served, with every route
    assert answered == 200
    assert set(document["paths"]) == {
        "/admin/fulfilment/shipments/{shipment_id}/packed",
        "/admin/fulfilment/shipments/{shipment_id}/collected",
    }
