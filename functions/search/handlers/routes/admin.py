"""Merchandiser routes: synonym groups (applied without a reindex) and curated related products."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel, ConfigDict, Field

from search.adapters import search_service
from shop_kernel.auth import Group, require
from shop_kernel.http import etag, json_response, parse_if_match

router = Router()


class SynonymGroups(BaseModel):
    model_config = ConfigDict(extra="forbid")

    groups: list[list[Annotated[str, Field(min_length=1, max_length=100)]]] = Field(
        max_length=1000, examples=[[["laptop", "notebook", "ноутбук"]]]
    )


class RelatedProducts(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(max_length=50)


def _actor() -> str:
    return require(router.current_event.raw_event, Group.MERCHANDISERS).subject


@router.get("/admin/search/synonyms", tags=["admin"])
def get_synonyms():
    _actor()
    groups, version = search_service().synonyms()
    return json_response({"groups": groups, "version": version}, headers={"ETag": etag(version)})


@router.put("/admin/search/synonyms", tags=["admin"])
def put_synonyms(body: SynonymGroups):
    actor = _actor()
    expected = parse_if_match(router.current_event.headers.get("if-match"))
    version = search_service().set_synonyms(body.groups, expected, actor)
    groups, _ = search_service().synonyms()
    return json_response({"groups": groups, "version": version}, headers={"ETag": etag(version)})


@router.put("/admin/search/products/<product_id>/related", tags=["admin"])
def put_related(product_id: str, body: RelatedProducts):
    actor = _actor()
    saved = search_service().set_related(product_id, body.product_ids, actor)
    return json_response({"product_id": product_id, "product_ids": saved})
