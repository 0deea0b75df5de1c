"""Merchandiser routes: synonym groups (applied without a reindex) and curated related products."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from search import wiring
from search.handlers.responses import (
    SearchRelatedBody,
    SearchRelatedLinks,
    SearchSynonyms,
    SearchSynonymsBody,
)
from shop_kernel.auth import Group, require
from shop_kernel.http import etag, json_response, parse_if_match
from shop_kernel.openapi import IfMatch, documented, ok, problem

router = Router()
MERCHANDISERS = (401, 403)
VERSIONED = {"ETag": "The synonyms' version; send it as If-Match to replace them"}


def _actor() -> str:
    return require(router.current_event.raw_event, Group.MERCHANDISERS).subject


@router.get(
    "/admin/search/synonyms",
    summary="Read the synonym groups",
    description=(
        "For merchandisers: the groups of terms search treats as the same word (laptop = notebook = "
        "ноутбук), with the version to send back as If-Match when replacing them."
    ),
    tags=["admin"],
    responses=documented(ok(SearchSynonyms, "Every synonym group", headers=VERSIONED), *MERCHANDISERS),
)
def get_synonyms():
    _actor()
    groups, version = wiring.container.search_service().synonyms()
    return json_response({"groups": groups, "version": version}, headers={"ETag": etag(version)})


@router.put(
    "/admin/search/synonyms",
    summary="Replace the synonym groups",
    description=(
        "For merchandisers: replaces every synonym group at once; searches use them immediately, without a "
        "reindex. Send If-Match with the ETag you read so that a colleague's change is not overwritten "
        "unseen; without it the groups replace whatever is there unless someone saves at the same moment."
    ),
    tags=["admin"],
    responses=documented(
        ok(SearchSynonyms, "The groups as applied (trimmed, duplicates dropped)", headers=VERSIONED),
        *MERCHANDISERS,
        problem(
            412, "The synonyms changed since the ETag sent in If-Match (or concurrently): read them again"
        ),
        problem(
            422,
            "A group has fewer than 2 or more than 20 different terms, or a term is too long or has a comma",
        ),
    ),
)
def put_synonyms(body: SearchSynonymsBody, if_match: IfMatch = None):
    actor = _actor()
    expected = parse_if_match(if_match)
    version = wiring.container.search_service().set_synonyms(body.groups, expected, actor)
    groups, _ = wiring.container.search_service().synonyms()
    return json_response({"groups": groups, "version": version}, headers={"ETag": etag(version)})


@router.put(
    "/admin/search/products/<product_id>/related",
    summary="Curate a product's related products",
    description=(
        "For merchandisers: the products a product page shows as 'goes well with' (accessories, bundles), "
        "in this order, replacing the previous list; an empty list removes every link. Every product must "
        "be published."
    ),
    tags=["admin"],
    responses=documented(
        ok(SearchRelatedLinks, "The links as saved"),
        *MERCHANDISERS,
        problem(404, "No published product has this id"),
        problem(422, "A linked product is not published, or is the product itself"),
    ),
)
def put_related(
    product_id: Annotated[str, Path(description="The published product to link from")],
    body: SearchRelatedBody,
):
    actor = _actor()
    saved = wiring.container.search_service().set_related(product_id, body.product_ids, actor)
    return json_response({"product_id": product_id, "product_ids": saved})
