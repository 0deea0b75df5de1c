"""The catalog API's OpenAPI document tells the truth about every operation.

The document is the one the function serves (``GET /catalog/openapi.json``). These tests hold its
structure to the contract: words for every operation, a schema for every success, problem+json for
every error, every input a route reads, unique component names. That bodies match their schemas is
proved by the handler tests, which check every answer they get (``tests.conformance``).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tests.conformance import DocumentedAnswers, Operation
from tests.conftest import LambdaContext, build_api_event
from tests.support import Reply, reply_from

PROBLEM = "application/problem+json"
PROBLEM_REF = "#/components/schemas/Problem"
KERNEL_SCHEMAS = {"Problem", "FieldError"}
RESERVED = {"Address", "Price", "Money", "Page", "Error", "Name", "Text", "Status", "Product", "Category"}
WRITE_METHODS = {"post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    """What the catalog function serves, asked through its handler with a real-shaped event."""
    with pytest.MonkeyPatch.context() as env:
        for name, value in {
            "AWS_DEFAULT_REGION": "eu-west-1",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_TRACE_DISABLED": "true",
        }.items():
            env.setenv(name, value)
        from catalog.handlers.api import handler

        reply = reply_from(handler(build_api_event("GET", "/catalog/openapi.json"), LambdaContext()))
    assert reply.status == 200
    return reply.body


@pytest.fixture(scope="module")
def answers(document: dict[str, Any]) -> DocumentedAnswers:
    return DocumentedAnswers(document)


def _operations(document: dict[str, Any]) -> list[Operation]:
    return DocumentedAnswers(document).operations()


def _is_admin(operation: Operation) -> bool:
    return operation.template.startswith("/admin/")


def _parameters(operation: Operation) -> dict[tuple[str, str], dict[str, Any]]:
    return {(p["in"], p["name"].lower()): p for p in operation.spec.get("parameters", [])}


def _schema(parameter: dict[str, Any]) -> dict[str, Any]:
    """The parameter's schema without the ``null`` branch Powertools adds for optional parameters."""
    schema = parameter["schema"]
    branches = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
    assert len(branches) == 1, parameter
    return branches[0]


def _component(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    return document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]


def test_the_document_lists_every_catalog_route(document):
    # GIVEN the resolver's routes
    from catalog.handlers.api import app

    routes = {
        f"{route.method.lower()} {route.openapi_path}"
        for route in app._static_routes + app._dynamic_routes
        if route.include_in_schema
    }
    # WHEN the document's operations are listed
    documented = {f"{op.method} {op.template}" for op in _operations(document)}
    # THEN each route is an operation, and nothing else is
    assert documented == routes
    assert len(documented) == 30


def test_every_operation_says_in_words_what_it_does(document):
    described_tags = {tag["name"] for tag in document.get("tags", []) if tag.get("description")}
    for operation in _operations(document):
        spec = operation.spec
        # THEN a summary that is not the method and path, a description of a sentence or more, tags
        assert spec.get("summary"), operation.name
        assert spec["summary"].lower() != operation.name.lower(), operation.name
        assert "/" not in spec["summary"], operation.name
        assert len(spec.get("description", "")) >= 60, operation.name
        assert spec.get("tags"), operation.name
        assert set(spec["tags"]) <= described_tags, operation.name


def test_every_operation_documents_its_success_body_with_an_example(document):
    for operation in _operations(document):
        successes = {s: r for s, r in operation.spec["responses"].items() if s.startswith("2")}
        # THEN exactly one success, with a schema for each media type it answers in
        assert len(successes) == 1, operation.name
        ((status, response),) = successes.items()
        expected = (
            "201" if operation.method == "post" and operation.spec["summary"].startswith("Create") else "200"
        )
        assert status == expected, operation.name
        assert response["content"], operation.name
        for media, body in response["content"].items():
            assert body.get("schema"), (operation.name, media)
            if media == "application/json":
                # a named response model, with examples a client generator and the docs can show
                model = _component(document, body["schema"])
                assert model.get("examples"), (operation.name, body["schema"])


def test_response_model_examples_are_valid_answers(document, answers):
    # GIVEN each documented success body's examples
    for operation in _operations(document):
        for status, response in operation.spec["responses"].items():
            schema = (response.get("content") or {}).get("application/json", {}).get("schema")
            if not status.startswith("2") or schema is None:
                continue
            path = re.sub(r"\{[^}]+\}", "x", operation.template)
            for example in _component(document, schema)["examples"]:
                headers = {name: "x" for name in response.get("headers") or {}}
                reply = Reply(int(status), {**headers, "Content-Type": "application/json"}, example)
                # THEN the document accepts them as what it promises
                assert answers.problems(operation.method, path, reply) == [], operation.name


def test_every_error_answer_is_problem_json(document):
    for operation in _operations(document):
        for status, response in operation.spec["responses"].items():
            if status.startswith(("4", "5")):
                assert response["content"] == {PROBLEM: {"schema": {"$ref": PROBLEM_REF}}}, (
                    operation.name,
                    status,
                )
                assert response["description"], (operation.name, status)


def test_admin_operations_require_a_merchandiser_token_and_storefront_reads_do_not(document):
    schemes = document["components"]["securitySchemes"]
    for operation in _operations(document):
        statuses = set(operation.spec["responses"])
        if _is_admin(operation):
            assert operation.spec["security"] == [{"cognito": []}], operation.name
            assert schemes["cognito"]["scheme"] == "bearer"
            assert {"401", "403"} <= statuses, operation.name
        else:
            assert "security" not in operation.spec, operation.name
            assert not {"401", "403"} & statuses, operation.name
        # every operation lists the answers any request can meet
        assert {"400", "413", "415", "422", "429", "503"} <= statuses, operation.name


def test_every_path_parameter_is_documented_and_described(document):
    for operation in _operations(document):
        names = set(re.findall(r"\{([^}]+)\}", operation.template))
        params = _parameters(operation)
        assert {n for (where, n) in params if where == "path"} == names, operation.name
        for (where, name), parameter in params.items():
            assert parameter.get("description"), (operation.name, where, name)
            if where == "path":
                assert parameter["required"] is True


def test_storefront_reads_take_the_locale_as_an_enum_and_accept_language(document):
    for operation in _operations(document):
        if _is_admin(operation):
            continue
        params = _parameters(operation)
        # THEN ?locale= lists exactly the supported locales, and Accept-Language is a header
        assert _schema(params[("query", "locale")])["enum"] == ["en", "uk"], operation.name
        assert ("header", "accept-language") in params, operation.name
        headers = operation.spec["responses"]["200"]["headers"]
        assert {"Content-Language", "Cache-Control", "Vary"} <= set(headers), operation.name


def test_changes_to_versioned_resources_take_if_match_and_list_412_and_428(document):
    for operation in _operations(document):
        if not _is_admin(operation) or operation.method not in WRITE_METHODS:
            continue
        params = _parameters(operation)
        statuses = set(operation.spec["responses"])
        # THEN every admin write can carry the caller's correlation id
        assert ("header", "x-correlation-id") in params, operation.name
        changes_existing = "{" in operation.template
        assert (("header", "if-match") in params) == changes_existing, operation.name
        if changes_existing:
            assert {"404", "409", "412", "428"} <= statuses, operation.name
            assert "ETag" in operation.spec["responses"]["200"]["headers"], operation.name
        elif operation.spec["summary"].startswith("Create"):
            assert "409" in statuses, operation.name
            assert {"ETag", "Location"} <= set(operation.spec["responses"]["201"]["headers"])


def test_paged_operations_bound_their_limit_and_document_the_cursor(document):
    paged = [op for op in _operations(document) if ("query", "cursor") in _parameters(op)]
    assert len(paged) == 4  # category page, admin product list, history, export
    for operation in paged:
        limit = _schema(_parameters(operation)[("query", "limit")])
        assert limit["minimum"] == 1, operation.name
        assert limit["maximum"] in (100, 500), operation.name
        assert _schema(_parameters(operation)[("query", "cursor")])["maxLength"] == 2048


def test_fixed_sets_are_enums(document):
    by_name = {op.name: _parameters(op) for op in _operations(document)}
    status = _schema(by_name["GET /admin/catalog/products"][("query", "status")])
    assert _component(document, status)["enum"] == ["draft", "published", "archived"]
    export = by_name["GET /admin/catalog/exports"]
    assert _schema(export[("query", "format")])["enum"] == ["jsonl", "csv"]
    collection = _schema(
        by_name["GET /admin/catalog/{collection}/{entity_id}/history"][("path", "collection")]
    )
    assert collection["enum"] == ["products", "categories", "product-types", "brands"]


def test_the_import_documents_its_file_formats(document):
    body = document["paths"]["/admin/catalog/imports"]["post"]["requestBody"]
    assert body["required"] is True
    assert {"application/x-ndjson", "text/csv"} <= set(body["content"])


def test_component_names_cannot_collide_with_another_context(document):
    # GIVEN every other function's document (the local gateway merges them by schema name)
    import importlib

    ours = set(document["components"]["schemas"])
    assert not ours & RESERVED, ours & RESERVED
    for context in ("search", "cart", "checkout", "inventory"):
        other = json.loads(importlib.import_module(f"{context}.handlers.api").app.get_openapi_json_schema())
        # THEN the only shared names are the kernel's
        shared = ours & set(other.get("components", {}).get("schemas", {}))
        assert shared <= KERNEL_SCHEMAS, (context, shared)


def test_the_conformance_check_catches_an_undocumented_status_and_a_drifting_body(answers, document):
    path = "/catalog/brands"
    good = {"items": [{"id": "acme", "name": "Acme"}], "locale": "en"}
    sent = document["paths"][path]["get"]["responses"]["200"]["headers"]
    json_type = {**{name: "x" for name in sent}, "Content-Type": "application/json"}
    # GIVEN answers a client could receive (with the headers the document promises)
    assert answers.problems("GET", path, Reply(200, json_type, good)) == []
    # WHEN the status is one the document does not list THEN it is reported
    assert answers.problems("GET", path, Reply(404, {"Content-Type": PROBLEM}, {})) != []
    # WHEN the body has a field the model does not declare, or lacks a required one THEN it is reported
    extra = {**good, "items": [{"id": "acme", "name": "Acme", "secret": 1}]}
    assert answers.problems("GET", path, Reply(200, json_type, extra)) != []
    assert answers.problems("GET", path, Reply(200, json_type, {"items": []})) != []
    # WHEN an error is not problem+json THEN it is reported
    assert answers.problems("GET", path, Reply(422, json_type, {"message": "bad"})) != []
    # WHEN a problem lacks its status THEN it is reported
    problem = {"type": "https://problems.shop.example/x", "title": "Bad"}
    assert answers.problems("GET", path, Reply(422, {"Content-Type": PROBLEM}, problem)) != []
    # and a body with a locale outside the enum
    assert answers.problems("GET", path, Reply(200, json_type, {**good, "locale": "fr"})) != []
    # and a success without a header the document promises (here its request id)
    no_request_id = {k: v for k, v in json_type.items() if k != "X-Request-Id"}
    assert answers.problems("GET", path, Reply(200, no_request_id, good)) != []


def test_every_component_is_a_valid_json_schema(document):
    for name, schema in document["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema), name


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_every_reference_resolves_and_the_document_is_valid_openapi(document):
    # THEN no $ref points at a schema the document dropped or never had
    schemas = document["components"]["schemas"]
    refs = set(_refs(document))
    assert refs, "the document references no schema"
    dangling = {ref for ref in refs if ref.rsplit("/", 1)[-1] not in schemas}
    assert dangling == set()
    # AND an OpenAPI 3.1 validator accepts the whole document
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(document)
