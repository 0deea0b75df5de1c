"""``finalize`` documents parameters as a client must send them: route-checked headers required, and no
``null`` branch (a header or a query value is a string or absent)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.params import Header, Query

from shop_kernel.openapi import finalize, route_checked


def _parameters() -> dict[str, dict[str, Any]]:
    app = APIGatewayRestResolver(enable_validation=True)

    @app.get("/things")
    def things(
        token: Annotated[
            str | None, Header(alias="X-Token", json_schema_extra=route_checked(pattern="^[a-z]+$"))
        ] = None,
        etag: Annotated[str | None, Header(alias="If-Match")] = None,
        limit: Annotated[int, Query(ge=1, le=50)] = 20,
    ) -> dict[str, Any]:
        return {}

    document = finalize(json.loads(app.get_openapi_json_schema()))
    return {p["name"]: p for p in document["paths"]["/things"]["get"]["parameters"]}


def test_a_route_checked_header_is_documented_as_a_required_string_with_its_pattern() -> None:
    # GIVEN a header the route itself requires WHEN the document is finalized
    token = _parameters()["x-token"]
    # THEN a client must send it, as a string of the documented shape; no marker is left in the schema
    assert token["required"] is True
    assert token["schema"]["type"] == "string"
    assert token["schema"]["pattern"] == "^[a-z]+$"
    assert "x-required-by-route" not in json.dumps(token)


def test_optional_parameters_have_no_null_branch_and_keep_their_bounds() -> None:
    params = _parameters()
    assert params["if-match"]["required"] is False
    assert params["if-match"]["schema"]["type"] == "string"
    assert "anyOf" not in params["if-match"]["schema"]
    assert (params["limit"]["schema"]["minimum"], params["limit"]["schema"]["maximum"]) == (1, 50)
