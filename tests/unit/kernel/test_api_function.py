"""``api_function``: one resolver with the context's routers, its document served to anyone, guarded prefixes
refused first, an event rewrite after the guards."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel, ConfigDict

from shop_kernel.auth import Group
from shop_kernel.http import api_function, json_response
from tests.conftest import build_api_event

admin = Router()
public = Router()


class Thing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str


@admin.post("/admin/things")
def add_thing(thing: Thing):  # type: ignore[no-untyped-def]
    return json_response({"added": thing.name}, 201)


@public.get("/things")
def list_things():  # type: ignore[no-untyped-def]
    return json_response({"things": []})


@public.get("/things/<name>")
def show_thing(name: str):  # type: ignore[no-untyped-def]
    return json_response({"name": name, "seen": public.current_event.headers.get("X-Seen")})


def _mark_seen(event: dict[str, Any]) -> dict[str, Any]:
    return {**event, "headers": {**event["headers"], "X-Seen": "prepared"}}


app, handler = api_function(
    [admin, public],
    openapi_path="/things/openapi.json",
    title="Things API",
    guards={"/admin/": [Group.OPS], "/things/": [Group.AGENTS]},
    prepare=_mark_seen,
)


def _call(lambda_context: Any, method: str, path: str, body: Any = None, groups: str | None = None) -> Any:
    event = build_api_event(method, path, body, groups=groups)
    if groups is not None and not path.startswith("/admin/"):
        event["requestContext"]["authorizer"] = {"claims": {"sub": "u1", "cognito:groups": groups}}
    response = handler(event, lambda_context)
    return response["statusCode"], json.loads(response["body"])


def test_a_guarded_prefix_is_refused_before_its_body_is_read(lambda_context: Any) -> None:
    # GIVEN a body the route would refuse with a 422 naming its fields
    bad_body = {"name": "x", "price": 1}
    # WHEN an anonymous caller and a customer send it, and ops send a good one
    anonymous = _call(lambda_context, "POST", "/admin/things", bad_body, groups=None)
    customer = _call(lambda_context, "POST", "/admin/things", bad_body, groups="customers")
    ops = _call(lambda_context, "POST", "/admin/things", {"name": "lamp"}, groups="ops")
    # THEN the first two learn nothing about the body (401, 403); ops reach the route
    assert (anonymous[0], customer[0]) == (401, 403)
    assert "errors" not in anonymous[1]
    assert "errors" not in customer[1]
    assert ops == (201, {"added": "lamp"})


def test_every_router_is_served_and_each_guard_applies_to_its_own_prefix(lambda_context: Any) -> None:
    # WHEN the public route, an agent-guarded one and the document (under the agents' prefix) are asked for
    listed = _call(lambda_context, "GET", "/things")
    refused = _call(lambda_context, "GET", "/things/lamp", groups="ops")
    shown = _call(lambda_context, "GET", "/things/lamp", groups="agents")
    document = _call(lambda_context, "GET", "/things/openapi.json")
    # THEN the public route answers, the guarded one only the agents (the event rewritten after the
    # guard), and the document anyone, with every router's routes in it
    assert listed == (200, {"things": []})
    assert refused[0] == 403
    assert shown == (200, {"name": "lamp", "seen": "prepared"})
    assert document[0] == 200
    assert set(document[1]["paths"]) == {"/admin/things", "/things", "/things/{name}"}
    assert document[1]["info"]["title"] == "Things API"


def test_a_star_segment_guards_one_route_inside_a_wider_prefix(lambda_context: Any) -> None:
    # GIVEN a thing's page guarded for agents, with the thing's name as a "*" segment
    _, narrow_handler = api_function(
        [admin, public],
        openapi_path="/things/openapi.json",
        title="Things API",
        guards={"/things/*": [Group.AGENTS], "/things/*/": [Group.OPS]},
    )

    def call(path: str, groups: str) -> int:
        event = build_api_event("GET", path, groups=None)
        event["requestContext"]["authorizer"] = {"claims": {"sub": "u1", "cognito:groups": groups}}
        return int(narrow_handler(event, lambda_context)["statusCode"])

    # WHEN agents and ops ask for a thing, and agents for the list (no segment where the "*" is)
    # THEN the thing is the agents' only, the list is public, and "/things/*/" needs a further segment
    assert (call("/things/lamp", "agents"), call("/things/lamp", "ops")) == (200, 403)
    assert call("/things", "ops") == 200
    assert call("/things/lamp/", "agents") == 403
