"""The merchandisers' CRUD routes of a catalog resource, built once: list, create, read, change.

Brands, product types, categories and products are administered alike: the list (every locale, with
versions), ``POST`` answering 201 with ``Location`` and the version as ``ETag`` (409 when the id or a
unique value is taken), ``GET`` answering the ``ETag`` to send back, and ``PATCH`` refused without
``If-Match`` (428) or with a stale one (412). ``admin_routes`` registers those operations on a router
from an ``AdminResource``, with the same OpenAPI words, parameters, answers and operation ids the
hand-written routes had; what is particular to a resource (words, models, which service method) is
data. There is no delete: catalog entities are archived (products) or kept, so their history and the
orders naming them stay readable.

Catalog-local, not kernel: the ``If-Match`` semantics (``*`` as any version), the ``Actor`` from
``X-Correlation-Id`` and the ``catalog administration`` tag are the catalog's own; no other context has
this shape of admin API.

The routes are functions made here, so their signature is set explicitly (``__signature__``, real
annotations): Powertools reads it for validation and the document, as it reads a written one.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel

from catalog.domain.changes import Actor, ExpectedVersion
from catalog.handlers.routes.common import (
    ADMIN_SECURITY,
    ADMIN_TAGS,
    CREATED,
    VERSIONED,
    CorrelationId,
    IfMatch,
    admin,
    expected_version,
    versioned,
)
from shop_kernel.http import json_response
from shop_kernel.openapi import documented, ok, problem

Entity = TypeVar("Entity")


@dataclass(frozen=True)
class Words:
    """How an operation reads in the document: its name (the operation id's stem), summary, description."""

    name: str
    summary: str
    description: str


@dataclass(frozen=True)
class AdminResource(Generic[Entity]):
    """One administered resource: its paths, its models and the service calls behind each operation.

    ``read``, ``create`` and ``update`` are looked up per request (they call the function's service), and
    ``document`` is what every answer carries of an entity (its version included, for the ``ETag``).
    ``listing`` is None when the resource lists itself some other way (products page by status)."""

    path: str  # the collection, e.g. /admin/catalog/brands
    id_name: str  # the path parameter, e.g. brand_id
    id_type: Any  # its Annotated[str, Path(...)]
    model: type[BaseModel]  # the documented answer of one entity
    create_command: type[BaseModel]
    patch_command: type[BaseModel]
    document: Callable[[Entity], dict[str, Any]]
    read: Callable[[str], Entity]
    create: Callable[[Any, Actor], Entity]
    update: Callable[[str, Any, ExpectedVersion, Actor], Entity]
    created: Words
    taken: str  # the 409 of a create
    got: Words
    changed: Words
    contended: str  # the 409 of a change
    listing: tuple[Words, type[BaseModel], Callable[[], Iterable[Entity]]] | None = None


def _route(
    name: str, function: Callable[..., Any], parameters: list[inspect.Parameter]
) -> Callable[..., Any]:
    function.__name__ = function.__qualname__ = name
    function.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    return function


def _keyword(name: str, annotation: Any, default: Any = inspect.Parameter.empty) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default, annotation=annotation
    )


def admin_routes(router: Router, resource: AdminResource[Any]) -> None:
    """Register the resource's list (when it has one), create, read and change routes on ``router``."""
    item = f"{resource.path}/<{resource.id_name}>"
    entity_id = _keyword(resource.id_name, resource.id_type)
    correlation = _keyword("correlation_id", CorrelationId, None)

    if resource.listing is not None:
        words, page_model, entities = resource.listing

        def list_all() -> Any:
            admin(router)
            return json_response({"items": [resource.document(e) for e in entities()]})

        router.get(
            resource.path,
            summary=words.summary,
            description=words.description,
            responses=documented(ok(page_model)),
            tags=ADMIN_TAGS,
            security=ADMIN_SECURITY,
        )(_route(words.name, list_all, []))

    def create(body: Any, correlation_id: str | None = None) -> Any:
        entity = resource.create(body, admin(router, correlation_id))
        document = resource.document(entity)
        return versioned(document, 201, f"{resource.path}/{document['id']}")

    router.post(
        resource.path,
        summary=resource.created.summary,
        description=resource.created.description,
        status_code=201,
        responses=documented(
            ok(resource.model, "Created", status=201, headers=CREATED), problem(409, resource.taken)
        ),
        tags=ADMIN_TAGS,
        security=ADMIN_SECURITY,
    )(_route(resource.created.name, create, [_keyword("body", resource.create_command), correlation]))

    def read(**path: str) -> Any:
        admin(router)
        return versioned(resource.document(resource.read(path[resource.id_name])))

    router.get(
        item,
        summary=resource.got.summary,
        description=resource.got.description,
        responses=documented(ok(resource.model, headers=VERSIONED), 404),
        tags=ADMIN_TAGS,
        security=ADMIN_SECURITY,
    )(_route(resource.got.name, read, [entity_id]))

    def change(body: Any, if_match: str | None = None, correlation_id: str | None = None, **path: str) -> Any:
        actor = admin(router, correlation_id)
        entity = resource.update(path[resource.id_name], body, expected_version(if_match), actor)
        return versioned(resource.document(entity))

    router.patch(
        item,
        summary=resource.changed.summary,
        description=resource.changed.description,
        responses=documented(
            ok(resource.model, headers=VERSIONED), 404, problem(409, resource.contended), 412, 428
        ),
        tags=ADMIN_TAGS,
        security=ADMIN_SECURITY,
    )(
        _route(
            resource.changed.name,
            change,
            [
                entity_id,
                _keyword("body", resource.patch_command),
                _keyword("if_match", IfMatch, None),
                correlation,
            ],
        )
    )
